/*
 * noise.h — label noise for ds-noise, seeded and deterministic: labels
 * flipped uniformly to another class (symmetric), between given pairs of
 * classes (asymmetric, after Patrini et al. 2017), or drawn from a K × K
 * transition matrix. Each fills from[i] with example i's label before and
 * flipped[i] with 1 where the label changed; y is changed in place.
 */
#ifndef NOISE_H
#define NOISE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* exactly k of the n labels flipped, each to one of the other K − 1
 * classes uniformly (K ≥ 2, k ≤ n) */
void noise_symmetric(uint32_t *y, size_t n, uint32_t K, uint64_t k, uint64_t seed,
		     uint32_t *from, unsigned char *flipped);

/* the pairs of spec "A:B,C:D,..." into to[0..K): to[A] = B, NOISE_KEEP for
 * classes that do not flip. A class is its number or, where names is not
 * NULL, its name. Returns 0, or -1 with the reason in err: a class outside
 * 0..K−1 or not a name, a class flipped to itself or to two classes, an
 * empty list. */
#define NOISE_KEEP UINT32_MAX
int noise_pairs_parse(uint32_t *to, uint32_t K, char *const *names, const char *spec,
		      char *err, size_t errn);
/* of the examples of every class a with to[a] != NOISE_KEEP, exactly
 * round(frac · n_a) chosen at random get label to[a] */
void noise_pairs(uint32_t *y, size_t n, uint32_t K, const uint32_t *to, double frac,
		 uint64_t seed, uint32_t *from, unsigned char *flipped);

/* a K × K row-stochastic matrix from text: K lines of K numbers (spaces,
 * tabs or commas between them; lines empty or starting with # skipped),
 * T[i·K + j] = P(label j | label i). Returns 0, or -1 with the reason in
 * err: not a number, NaN or infinity, a negative entry, a row of the wrong
 * length or not summing to 1 (within 1e-6), the wrong number of rows. */
int noise_matrix_read(double *T, uint32_t K, FILE *f, char *err, size_t errn);
/* every example's new label drawn from row y of T (the diagonal keeps it) */
void noise_matrix(uint32_t *y, size_t n, uint32_t K, const double *T, uint64_t seed,
		  uint32_t *from, unsigned char *flipped);

#endif
