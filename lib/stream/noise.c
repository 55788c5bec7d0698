/*
 * noise.c — symmetric, pair and transition-matrix label noise (see noise.h).
 */
#include "noise.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../util/rand.h"
#include "../util/util.h"

static int fail(char *err, size_t errn, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errn, fmt, ap);
	va_end(ap);
	return -1;
}

/* the examples in a seeded random order */
static uint32_t *shuffled(size_t n, rng *r)
{
	uint32_t *idx = emalloc(emul(n, sizeof *idx) + 1);
	for (uint32_t i = 0; i < n; i++)
		idx[i] = i;
	rng_shuffle_u32(r, idx, (uint32_t)n);
	return idx;
}

void noise_symmetric(uint32_t *y, size_t n, uint32_t K, uint64_t k, uint64_t seed,
		     uint32_t *from, unsigned char *flipped)
{
	rng r;
	rng_init_for(&r, seed, "ds-noise");
	uint32_t *idx = shuffled(n, &r);
	memset(flipped, 0, n);
	for (size_t i = 0; i < n; i++)
		from[i] = y[i];
	for (uint64_t j = 0; j < k; j++) {
		uint32_t i = idx[j];
		flipped[i] = 1;
		y[i] = (uint32_t)((y[i] + 1 + rng_below(&r, K - 1)) % K);
	}
	free(idx);
}

/* a class: its number, or its name */
static int class_of(uint32_t *c, const char *s, size_t len, uint32_t K, char *const *names)
{
	char buf[64];
	if (len == 0 || len >= sizeof buf)
		return -1;
	memcpy(buf, s, len);
	buf[len] = 0;
	if (names)
		for (uint32_t k = 0; k < K; k++)
			if (names[k] && !strcmp(names[k], buf)) {
				*c = k;
				return 0;
			}
	char *end;
	errno = 0;
	unsigned long v = strtoul(buf, &end, 10);
	if (!isdigit((unsigned char)buf[0]) || *end || errno)
		return -1;
	*c = v >= K ? UINT32_MAX : (uint32_t)v;
	return 0;
}

int noise_pairs_parse(uint32_t *to, uint32_t K, char *const *names, const char *spec,
		      char *err, size_t errn)
{
	for (uint32_t k = 0; k < K; k++)
		to[k] = NOISE_KEEP;
	int npairs = 0;
	for (const char *p = spec; *p;) {
		const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!colon)
			return fail(err, errn, "'%.*s' is not a pair FROM:TO", (int)(end - p), p);
		uint32_t a, b;
		const char *side[2] = { p, colon + 1 };
		size_t len[2] = { (size_t)(colon - p), (size_t)(end - colon - 1) };
		uint32_t *v[2] = { &a, &b };
		for (int s = 0; s < 2; s++) {
			if (class_of(v[s], side[s], len[s], K, names) < 0)
				return fail(err, errn, "'%.*s' is not a class (want 0 to %u%s)",
					    (int)len[s], side[s], K - 1, names ? " or a class name" : "");
			if (*v[s] == UINT32_MAX)
				return fail(err, errn, "class %.*s: the data has classes 0 to %u",
					    (int)len[s], side[s], K - 1);
		}
		if (a == b)
			return fail(err, errn, "%u:%u flips a class to itself", a, b);
		if (to[a] != NOISE_KEEP)
			return fail(err, errn, "class %u flips twice (%u:%u and %u:%u)", a, a,
				    to[a], a, b);
		to[a] = b;
		npairs++;
		p = comma ? comma + 1 : end;
	}
	if (!npairs)
		return fail(err, errn, "no pairs");
	return 0;
}

void noise_pairs(uint32_t *y, size_t n, uint32_t K, const uint32_t *to, double frac,
		 uint64_t seed, uint32_t *from, unsigned char *flipped)
{
	rng r;
	rng_init_for(&r, seed, "ds-noise pairs");
	uint32_t *idx = shuffled(n, &r);
	uint64_t *count = ecalloc(K, sizeof *count), *want = ecalloc(K, sizeof *want);
	memset(flipped, 0, n);
	for (size_t i = 0; i < n; i++)
		from[i] = y[i], count[y[i]]++;
	for (uint32_t k = 0; k < K; k++)
		want[k] = to[k] == NOISE_KEEP ? 0 : (uint64_t)(frac * (double)count[k] + 0.5);
	memset(count, 0, K * sizeof *count);
	/* the first want[a] of class a in the shuffled order; from[] holds the
	 * labels before, so 5:6,6:5 swaps and never flips twice */
	for (size_t j = 0; j < n; j++) {
		uint32_t i = idx[j], a = from[i];
		if (count[a] < want[a]) {
			count[a]++;
			y[i] = to[a];
			flipped[i] = 1;
		}
	}
	free(idx), free(count), free(want);
}

int noise_matrix_read(double *T, uint32_t K, FILE *f, char *err, size_t errn)
{
	char *line = NULL;
	size_t cap = 0;
	uint32_t row = 0;
	int ret = 0;
	long lineno = 0;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (row == K) {
			ret = fail(err, errn, "line %ld: more than %u rows (one per class)", lineno, K);
			goto out;
		}
		uint32_t col = 0;
		double sum = 0;
		while (*p) {
			char *end;
			errno = 0;
			double v = strtod(p, &end);
			if (end == p || errno == ERANGE) {
				ret = fail(err, errn, "row %u: '%.20s' is not a number", row, p);
				goto out;
			}
			if (!isfinite(v) || v < 0) {
				ret = fail(err, errn, "row %u, column %u: %g %s", row, col, v,
					   isfinite(v) ? "is negative" : "is not finite");
				goto out;
			}
			if (col < K)
				T[(size_t)row * K + col] = v;
			col++;
			sum += v;
			p = end;
			while (isspace((unsigned char)*p) || *p == ',')
				p++;
		}
		if (col != K) {
			ret = fail(err, errn, "row %u has %u entries, want %u (one per class)", row,
				   col, K);
			goto out;
		}
		if (fabs(sum - 1) > 1e-6) {
			ret = fail(err, errn, "row %u sums to %.9g, not 1", row, sum);
			goto out;
		}
		row++;
	}
	if (ferror(f))
		ret = fail(err, errn, "read error");
	else if (row != K)
		ret = fail(err, errn, "%u rows, want %u (one per class)", row, K);
out:
	free(line);
	return ret;
}

void noise_matrix(uint32_t *y, size_t n, uint32_t K, const double *T, uint64_t seed,
		  uint32_t *from, unsigned char *flipped)
{
	rng r;
	rng_init_for(&r, seed, "ds-noise matrix");
	for (size_t i = 0; i < n; i++) {
		const double *row = T + (size_t)y[i] * K;
		double u = rng_uniform(&r), c = 0;
		uint32_t j = 0;
		/* the first class whose cumulative probability passes u; round-off
		 * past the last non-zero entry lands on that entry */
		uint32_t last = 0;
		for (j = 0; j < K; j++) {
			if (row[j] > 0)
				last = j;
			c += row[j];
			if (u < c && row[j] > 0)
				break;
		}
		if (j == K)
			j = last;
		from[i] = y[i];
		flipped[i] = j != y[i];
		y[i] = j;
	}
}
