/*
 * rand.h — cleanse's own seeded random numbers. Never seeded from time or
 * the OS: the same seed gives the same bits everywhere.
 *
 * Two forms: a sequential generator (xoshiro256**, seeded through
 * splitmix64) for shuffles and initialisation, and a counter-based hash
 * rng_key(seed, a, b) for values that must be regenerated later from their
 * key alone (e.g. the augmentation of example id in epoch e).
 */
#ifndef RAND_H
#define RAND_H

#include <stdint.h>

typedef struct rng {
	uint64_t s[4];
} rng;

void rng_init(rng *r, uint64_t seed);
/* seed a generator for one purpose ("ds-split", "top-neg random", ...):
 * the same user seed given to two programs must not give them the same
 * stream (ds-noise --seed 1 and top-neg --random --seed 1 would otherwise
 * pick the same examples) */
void rng_init_for(rng *r, uint64_t seed, const char *purpose);
uint64_t rng_next(rng *r);
/* uniform in [0, n), unbiased (Lemire); n > 0 */
uint64_t rng_below(rng *r, uint64_t n);
/* uniform double in [0, 1) with 53 random bits */
double rng_uniform(rng *r);

/* a 64-bit value determined by (seed, a, b) alone */
uint64_t rng_key(uint64_t seed, uint64_t a, uint64_t b);

/* Fisher-Yates shuffle of idx[0..n) */
void rng_shuffle_u32(rng *r, uint32_t *idx, uint32_t n);

#endif
