/*
 * test-kmeans.c — lib/score/kmeans.c: on four well-separated Gaussian blobs the
 * clusters are the blobs; at convergence every centroid is the mean of its
 * points (recomputed here in double) and every point is nearest its own
 * centroid (checked by brute force); the same seed gives the same bits;
 * the inertia is the recomputed sum; k = n puts every point alone.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/score/kmeans.h"
#include "../../lib/util/rand.h"
#include "../../lib/util/util.h"
#include "check.h"

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	enum { N = 400, D = 3, K = 4 };
	static float x[N * D];
	int truth[N];
	rng r;
	rng_init(&r, 9);
	for (int p = 0; p < N; p++) {
		truth[p] = p % K;
		for (int i = 0; i < D; i++) {
			/* blob centres 10 apart, unit spread (Box-Muller) */
			double u1 = rng_uniform(&r) + 1e-12, u2 = rng_uniform(&r);
			double g = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
			x[p * D + i] = (float)(10.0 * (i == truth[p] % D) + 10.0 * (truth[p] == 3) + g);
		}
	}
	kmeans km, km2;
	kmeans_fit(&km, x, N, D, K, 100, 1, NULL);
	/* the clusters are the blobs: one cluster per blob, every member in it */
	int map[K];
	for (int b = 0; b < K; b++)
		map[b] = -1;
	for (int p = 0; p < N; p++) {
		int b = truth[p], c = (int)km.assign[p];
		if (map[b] < 0)
			map[b] = c;
		CHECK(map[b] == c, "point %d of blob %d in cluster %d, its blob's is %d", p, b, c, map[b]);
	}
	for (int b = 0; b < K; b++)
		for (int b2 = 0; b2 < b; b2++)
			CHECK(map[b] != map[b2], "blobs %d and %d share cluster %d", b, b2, map[b]);
	printf("ok - four blobs, four clusters, %d iterations\n", km.iters);
	/* a fixed point: centroids are means, points are nearest their own */
	double inertia = 0;
	for (size_t j = 0; j < K; j++) {
		double m[D] = { 0 };
		size_t c = 0;
		for (int p = 0; p < N; p++)
			if (km.assign[p] == j) {
				c++;
				for (int i = 0; i < D; i++)
					m[i] += x[p * D + i];
			}
		CHECK(c == km.size[j], "cluster %zu: %zu points, size says %zu", j, c, km.size[j]);
		for (int i = 0; i < D; i++)
			CHECK(fabs(m[i] / (double)c - km.c[j * D + i]) <= 1e-9,
			      "centroid %zu is not its points' mean", j);
	}
	for (int p = 0; p < N; p++) {
		double own = kmeans_dist2(&km, x + p * D, km.assign[p]);
		inertia += own;
		for (size_t j = 0; j < K; j++)
			CHECK(kmeans_dist2(&km, x + p * D, j) >= own, "point %d is nearer cluster %zu", p, j);
	}
	CHECK(fabs(inertia - km.inertia) <= 1e-9 * inertia, "inertia %.9g, recomputed %.9g",
	      km.inertia, inertia);
	printf("ok - converged: centroids are means, points nearest their own, inertia %.4g\n",
	       inertia);
	/* seeded */
	kmeans_fit(&km2, x, N, D, K, 100, 1, NULL);
	CHECK(!memcmp(km.assign, km2.assign, N * sizeof *km.assign) &&
	      !memcmp(km.c, km2.c, K * D * sizeof *km.c), "the same seed gave other clusters");
	kmeans_free(&km2);
	printf("ok - the same seed, the same bits\n");
	/* k = n: every point alone, inertia 0 */
	kmeans_fit(&km2, x, 20, D, 20, 10, 3, NULL);
	for (size_t j = 0; j < 20; j++)
		CHECK(km2.size[j] == 1, "k = n: cluster %zu has %zu points", j, km2.size[j]);
	CHECK(km2.inertia == 0, "k = n: inertia %g", km2.inertia);
	printf("ok - k = n: one point per cluster\n");
	kmeans_free(&km2);
	kmeans_free(&km);
	printf("kmeans checks passed\n");
	return 0;
}
