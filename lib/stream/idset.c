/*
 * idset.c — linear-probing hash set of uint64 ids (see idset.h).
 */
#include "idset.h"

#include <stdlib.h>

#include "../util/util.h"

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

/* double the table; vals (may be NULL) moves along with the keys */
static void grow(idset *s, size_t **vals)
{
	size_t cap = s->cap * 2;
	uint64_t *keys = ecalloc(cap, sizeof *keys);
	size_t *nv = vals ? ecalloc(cap, sizeof *nv) : NULL;
	for (size_t i = 0; i < s->cap; i++) {
		uint64_t k = s->keys[i];
		if (!k)
			continue;
		size_t j = slot(k, cap);
		while (keys[j])
			j = (j + 1) & (cap - 1);
		keys[j] = k;
		if (nv)
			nv[j] = (*vals)[i];
	}
	free(s->keys);
	s->keys = keys;
	s->cap = cap;
	if (vals) {
		free(*vals);
		*vals = nv;
	}
}

/* the slot of id (present or where it would go); id < UINT64_MAX */
static size_t find(const idset *s, uint64_t id)
{
	uint64_t k = id + 1;
	size_t j = slot(k, s->cap);
	while (s->keys[j] && s->keys[j] != k)
		j = (j + 1) & (s->cap - 1);
	return j;
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
		grow(s, NULL);
	size_t j = find(s, id);
	if (s->keys[j])
		return 0;
	s->keys[j] = id + 1;
	s->n++;
	return 1;
}

int idset_has(const idset *s, uint64_t id)
{
	if (id == UINT64_MAX)
		return s->has_max;
	return s->keys[find(s, id)] != 0;
}

size_t idset_count(const idset *s)
{
	return s->n;
}

void idmap_init(idmap *m)
{
	idset_init(&m->keys);
	m->vals = ecalloc(m->keys.cap, sizeof *m->vals);
	m->max_val = 0;
}

void idmap_free(idmap *m)
{
	idset_free(&m->keys);
	free(m->vals);
	m->vals = NULL;
}

void idmap_put(idmap *m, uint64_t id, size_t val)
{
	idset *s = &m->keys;
	if (id == UINT64_MAX) {
		idset_add(s, id);
		m->max_val = val;
		return;
	}
	if ((s->n + 1) * 2 > s->cap)
		grow(s, &m->vals);
	size_t j = find(s, id);
	if (!s->keys[j]) {
		s->keys[j] = id + 1;
		s->n++;
	}
	m->vals[j] = val;
}

int idmap_get(const idmap *m, uint64_t id, size_t *val)
{
	const idset *s = &m->keys;
	if (id == UINT64_MAX) {
		if (s->has_max)
			*val = m->max_val;
		return s->has_max;
	}
	size_t j = find(s, id);
	if (!s->keys[j])
		return 0;
	*val = m->vals[j];
	return 1;
}
