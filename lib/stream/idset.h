/*
 * idset.h — a set of 64-bit example ids (open addressing), for duplicate
 * detection and for ds-remove's lookups. Memory O(n).
 */
#ifndef IDSET_H
#define IDSET_H

#include <stddef.h>
#include <stdint.h>

typedef struct idset {
	uint64_t *keys;         /* slot value = id + 1; 0 = empty */
	size_t cap, n;
	int has_max;            /* id UINT64_MAX is kept apart (no room for +1) */
} idset;

void idset_init(idset *s);
void idset_free(idset *s);
/* 1 if added, 0 if already present */
int idset_add(idset *s, uint64_t id);
int idset_has(const idset *s, uint64_t id);
size_t idset_count(const idset *s);

/* a map from id to index (e.g. into a dataset in memory) */
typedef struct idmap {
	idset keys;
	size_t *vals;           /* parallel to keys.keys */
	size_t max_val;         /* for UINT64_MAX */
} idmap;

void idmap_init(idmap *m);
void idmap_free(idmap *m);
/* set id -> val (replacing) */
void idmap_put(idmap *m, uint64_t id, size_t val);
/* 1 and *val if present, else 0 */
int idmap_get(const idmap *m, uint64_t id, size_t *val);

#endif
