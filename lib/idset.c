/*
 * idset.c — linear-probing hash set of uint64 ids (see idset.h).
 */
#include "idset.h"

#include <stdlib.h>

#include "util.h"

static size_t slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void idset_init(idset *s)
{
	s->cap = 1024;
	s->n = 0;
	s->has_max = 0;
	s->keys = ecalloc(s->cap, sizeof *s->keys);
}

void idset_free(idset *s)
{
	free(s->keys);
	s->keys = NULL;
}

static void grow(idset *s)
{
	size_t cap = s->cap * 2;
	uint64_t *keys = ecalloc(cap, sizeof *keys);
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t k = s->keys[i];
		if (!k)
			continue;
		size_t j = slot(k, cap);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = k;
	}
	free(s->keys);
	s->keys = keys;
	s->cap = cap;
}

int idset_add(idset *s, uint64_t id)
{
	if (id == UINT64_MAX) {
		int added = !s->has_max;
		s->has_max = 1;
		s->n += added;
		return added;
	}
	if ((s->n + 1) * 2 > s->cap)
		grow(s);
	uint64_t k = id + 1;
	size_t j = slot(k, s->cap);
	while (s->keys[j]) {
		if (s->keys[j] == k)
			return 0;
		j = (j + 1) & (s->cap - 1);
	}
	s->keys[j] = k;
	s->n++;
	return 1;
}

int idset_has(const idset *s, uint64_t id)
{
	if (id == UINT64_MAX)
		return s->has_max;
	uint64_t k = id + 1;
	size_t j = slot(k, s->cap);
	while (s->keys[j]) {
		if (s->keys[j] == k)
			return 1;
		j = (j + 1) & (s->cap - 1);
	}
	return 0;
}

size_t idset_count(const idset *s)
{
	return s->n;
}
