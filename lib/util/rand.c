/*
 * rand.c — xoshiro256** seeded by splitmix64, and a splitmix-based keyed
 * hash (see rand.h). Both are public-domain algorithms by Blackman & Vigna.
 */
#include "rand.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void rng_init(rng *r, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

void rng_init_for(rng *r, uint64_t seed, const char *purpose)
{
	uint64_t h = 0xcbf29ce484222325ull;     /* FNV-1a of the purpose */
	for (const char *p = purpose; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
	rng_init(r, rng_key(seed, h, 0));
}

uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint64_t rng_below(rng *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t thresh = -n % n;
		while (lo < thresh) {
			m = (unsigned __int128)rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

double rng_uniform(rng *r)
{
	return (rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t rng_key(uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t x = seed;
	uint64_t h = splitmix64(&x);
	x = h ^ a;
	h = splitmix64(&x);
	x = h ^ b;
	return splitmix64(&x);
}

void rng_shuffle_u32(rng *r, uint32_t *idx, uint32_t n)
{
	for (uint32_t i = n; i > 1; i--) {
		uint32_t j = (uint32_t)rng_below(r, i);
		uint32_t t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}
