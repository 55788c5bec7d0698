/*
 * kmeans.h — k-means with k-means++ seeding (Arthur & Vassilvitskii 2007)
 * over n points of d floats, seeded, single-threaded in a fixed order so
 * the same seed gives the same clusters everywhere. Time O(n·k·d) per
 * iteration, memory O(k·d + n) beyond the points. hess-sample clusters the
 * training set's features or logits with it.
 */
#ifndef KMEANS_H
#define KMEANS_H

#include <stddef.h>
#include <stdint.h>

typedef struct kmeans {
	size_t k, d;
	double *c;              /* (k, d) centroids */
	uint32_t *assign;       /* (n) the cluster of each point */
	size_t *size;           /* (k) points per cluster */
	int iters;              /* Lloyd iterations run */
	double inertia;         /* Σ squared distance to the own centroid */
} kmeans;

/* cluster x (n, d) into k ≤ n clusters: k-means++ seeds, then Lloyd
 * iterations until no point moves or max_iter; progress (if set) gets a
 * line per iteration. An empty cluster keeps its centroid. */
void kmeans_fit(kmeans *km, const float *x, size_t n, size_t d, size_t k, int max_iter,
		uint64_t seed, void (*progress)(int iter, size_t moved));
void kmeans_free(kmeans *km);

/* squared distance of point p (d floats) to centroid j */
double kmeans_dist2(const kmeans *km, const float *p, size_t j);

#endif
