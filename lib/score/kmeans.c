/*
 * kmeans.c — k-means++ and Lloyd iterations (see kmeans.h).
 */
#include "kmeans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/rand.h"
#include "../util/util.h"

double kmeans_dist2(const kmeans *km, const float *p, size_t j)
{
	const double *c = km->c + j * km->d;
	double s = 0;
	for (size_t i = 0; i < km->d; i++) {
		double t = (double)p[i] - c[i];
		s += t * t;
	}
	return s;
}

static size_t nearest(const kmeans *km, const float *p, double *dist)
{
	size_t best = 0;
	double bd = INFINITY;
	for (size_t j = 0; j < km->k; j++) {
		double t = kmeans_dist2(km, p, j);
		if (t < bd)
			bd = t, best = j;
	}
	*dist = bd;
	return best;
}

void kmeans_fit(kmeans *km, const float *x, size_t n, size_t d, size_t k, int max_iter,
		uint64_t seed, void (*progress)(int iter, size_t moved))
{
	memset(km, 0, sizeof *km);
	km->k = k, km->d = d;
	km->c = ecalloc(emul(k, d), sizeof *km->c);
	km->assign = ecalloc(n, sizeof *km->assign);
	km->size = ecalloc(k, sizeof *km->size);
	rng g;
	rng_init_for(&g, seed, "k-means++");
	/* k-means++: the first centre uniform, each next with probability ∝ D² */
	double *d2 = emalloc(n * sizeof *d2);
	size_t first = (size_t)rng_below(&g, n);
	for (size_t i = 0; i < d; i++)
		km->c[i] = x[first * d + i];
	km->k = 1;
	for (size_t p = 0; p < n; p++)
		d2[p] = kmeans_dist2(km, x + p * d, 0);
	for (size_t j = 1; j < k; j++) {
		double tot = 0;
		for (size_t p = 0; p < n; p++)
			tot += d2[p];
		size_t pick = 0;
		if (tot > 0) {
			double r = rng_uniform(&g) * tot, acc = 0;
			for (pick = 0; pick < n - 1; pick++)
				if ((acc += d2[pick]) > r && d2[pick] > 0)
					break;
		} else {        /* every point sits on a centre: any will do */
			pick = (size_t)rng_below(&g, n);
		}
		for (size_t i = 0; i < d; i++)
			km->c[j * d + i] = x[pick * d + i];
		km->k = j + 1;
		for (size_t p = 0; p < n; p++) {
			double t = kmeans_dist2(km, x + p * d, j);
			if (t < d2[p])
				d2[p] = t;
		}
	}
	free(d2);
	km->k = k;
	/* Lloyd */
	double *sum = emalloc(emul(k, d) * sizeof *sum);
	for (size_t p = 0; p < n; p++) {
		double t;
		km->assign[p] = (uint32_t)nearest(km, x + p * d, &t);
	}
	for (km->iters = 0; km->iters < max_iter; km->iters++) {
		memset(sum, 0, emul(k, d) * sizeof *sum);
		memset(km->size, 0, k * sizeof *km->size);
		for (size_t p = 0; p < n; p++) {
			size_t j = km->assign[p];
			km->size[j]++;
			for (size_t i = 0; i < d; i++)
				sum[j * d + i] += x[p * d + i];
		}
		for (size_t j = 0; j < k; j++)
			if (km->size[j])
				for (size_t i = 0; i < d; i++)
					km->c[j * d + i] = sum[j * d + i] / (double)km->size[j];
		size_t moved = 0;
		for (size_t p = 0; p < n; p++) {
			double t;
			uint32_t j = (uint32_t)nearest(km, x + p * d, &t);
			moved += j != km->assign[p];
			km->assign[p] = j;
		}
		if (progress)
			progress(km->iters + 1, moved);
		if (moved == 0) {
			km->iters++;
			break;
		}
	}
	memset(km->size, 0, k * sizeof *km->size);
	km->inertia = 0;
	for (size_t p = 0; p < n; p++) {
		km->size[km->assign[p]]++;
		km->inertia += kmeans_dist2(km, x + p * d, km->assign[p]);
	}
	free(sum);
}

void kmeans_free(kmeans *km)
{
	free(km->c), free(km->assign), free(km->size);
	memset(km, 0, sizeof *km);
}
