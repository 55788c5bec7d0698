/*
 * test-iforest.c — the isolation forest (lib/score/iforest.c): c(n), the shape of
 * the trees, determinism whatever the thread count, planted outliers, and
 * degenerate matrices (duplicate rows, constant columns, fewer rows than ψ).
 *
 * With arguments, `test-iforest --score FILE [SEED [TREES [PSI]]]` reads a
 * matrix as text ("n d" then n rows of d numbers), fits a forest and prints
 * one anomaly score per row: tests/py/iforest.sh holds it to scikit-learn's
 * IsolationForest on the same matrices.
 */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/score/iforest.h"
#include "../../lib/util/rand.h"
#include "../../lib/util/util.h"
#include "check.h"

typedef struct mat {
	size_t n, d;
	double *v;
} mat;

static double mat_get(const void *ctx, size_t i, size_t j)
{
	const mat *m = ctx;
	return m->v[i * m->d + j];
}

static iforest_src src_of(const mat *m)
{
	iforest_src s = { .n = m->n, .d = m->d, .get = mat_get, .ctx = m };
	return s;
}

static double gauss(rng *r)
{
	double u = rng_uniform(r), v = rng_uniform(r);
	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

/* n Gaussian rows of d, the first `out` of them moved 6 σ away */
static mat planted(size_t n, size_t d, size_t out, uint64_t seed)
{
	mat m = { n, d, malloc(n * d * sizeof(double)) };
	rng r;
	rng_init(&r, seed);
	for (size_t i = 0; i < n * d; i++)
		m.v[i] = gauss(&r);
	for (size_t i = 0; i < out; i++)
		for (size_t j = 0; j < d; j++)
			m.v[i * d + j] += j % 2 ? 6 : -6;
	return m;
}

static void test_c(void)
{
	CHECK(iforest_c(1) == 0 && iforest_c(2) == 1, "c(1), c(2)");
	/* 2(ln 255 + γ) − 2·255/256 */
	CHECK(fabs(iforest_c(256) - 10.244770920116851) < 1e-9, "c(256) = %.15g", iforest_c(256));
	CHECK(fabs(iforest_c(3) - (2 * (log(2) + 0.5772156649015329) - 4.0 / 3)) < 1e-12, "c(3)");
}

static int depth_ok(const iforest_tree *t, int32_t at, int depth, int max_depth, uint32_t *rows)
{
	const iforest_node *nd = &t->node[at];
	if (nd->left < 0) {
		*rows += nd->n;
		return depth <= max_depth;
	}
	return t->node[nd->left].n + t->node[nd->right].n == nd->n &&
	       t->node[nd->left].n > 0 && t->node[nd->right].n > 0 &&
	       depth_ok(t, nd->left, depth + 1, max_depth, rows) &&
	       depth_ok(t, nd->right, depth + 1, max_depth, rows);
}

static void test_planted(void)
{
	mat m = planted(2000, 6, 10, 3);
	iforest_src s = src_of(&m);
	iforest f;
	iforest_fit(&f, &s, IFOREST_TREES, IFOREST_PSI, 1);
	CHECK(f.psi == 256 && f.max_depth == 8 && f.ntrees == 100, "defaults %d %d %d", f.psi,
	      f.max_depth, f.ntrees);
	for (int t = 0; t < f.ntrees; t++) {
		uint32_t rows = 0;
		CHECK(depth_ok(&f.tree[t], 0, 0, f.max_depth, &rows) && rows == 256,
		      "tree %d: bad shape (%u rows in leaves)", t, rows);
	}
	double *sc = malloc(m.n * sizeof *sc);
	iforest_scores(&f, &s, sc);
	double min_out = 1, max_in = 0;
	for (size_t i = 0; i < m.n; i++) {
		CHECK(sc[i] > 0 && sc[i] <= 1, "score %zu = %g", i, sc[i]);
		if (i < 10)
			min_out = fmin(min_out, sc[i]);
		else
			max_in = fmax(max_in, sc[i]);
	}
	printf("planted: outliers score >= %.3f, the rest <= %.3f\n", min_out, max_in);
	CHECK(min_out > max_in, "the 10 planted outliers score highest (%.3f vs %.3f)", min_out,
	      max_in);
	CHECK(min_out > 0.6, "outliers score above 0.6: %.3f", min_out);

	/* the same seed gives the same forest whatever the thread count; another
	 * seed another one */
	int nt = omp_get_max_threads();
	omp_set_num_threads(1);
	iforest g;
	iforest_fit(&g, &s, IFOREST_TREES, IFOREST_PSI, 1);
	double *sc1 = malloc(m.n * sizeof *sc1);
	iforest_scores(&g, &s, sc1);
	omp_set_num_threads(nt > 1 ? nt : 4);
	CHECK(!memcmp(sc, sc1, m.n * sizeof *sc), "1 thread and %d threads agree", nt);
	iforest_free(&g);
	iforest_fit(&g, &s, IFOREST_TREES, IFOREST_PSI, 2);
	iforest_scores(&g, &s, sc1);
	CHECK(memcmp(sc, sc1, m.n * sizeof *sc), "seed 2 differs from seed 1");
	iforest_free(&g);
	iforest_free(&f);
	free(sc), free(sc1), free(m.v);
}

static void test_degenerate(void)
{
	/* duplicate rows: no split anywhere, every path is c(ψ), score 0.5 */
	mat m = { 50, 3, calloc(150, sizeof(double)) };
	iforest_src s = src_of(&m);
	iforest f;
	iforest_fit(&f, &s, 10, 256, 1);
	CHECK(f.psi == 50, "psi = n when n < 256: %d", f.psi);
	CHECK(fabs(iforest_score(&f, &s, 0) - 0.5) < 1e-12, "duplicates score 0.5: %g",
	      iforest_score(&f, &s, 0));
	iforest_free(&f);
	/* a constant column is never split on */
	rng r;
	rng_init(&r, 5);
	for (size_t i = 0; i < m.n; i++)
		m.v[i * 3 + 1] = rng_uniform(&r);
	iforest_fit(&f, &s, 20, 256, 1);
	for (int t = 0; t < f.ntrees; t++)
		for (int32_t k = 0; k < f.tree[t].nnodes; k++)
			CHECK(f.tree[t].node[k].left < 0 || f.tree[t].node[k].feature == 1,
			      "split on a constant column");
	iforest_free(&f);
	/* one row */
	m.n = 1;
	s = src_of(&m);
	iforest_fit(&f, &s, 5, 256, 1);
	CHECK(iforest_score(&f, &s, 0) == 0.5, "one row scores 0.5");
	iforest_free(&f);
	free(m.v);
}

static int score_file(int argc, char **argv)
{
	FILE *f = fopen(argv[2], "r");
	CHECK(f, "open %s", argv[2]);
	mat m;
	CHECK(fscanf(f, "%zu %zu", &m.n, &m.d) == 2 && m.n > 0 && m.d > 0, "bad header");
	m.v = malloc(m.n * m.d * sizeof *m.v);
	for (size_t i = 0; i < m.n * m.d; i++)
		CHECK(fscanf(f, "%lf", &m.v[i]) == 1, "bad entry %zu", i);
	fclose(f);
	uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
	int trees = argc > 4 ? atoi(argv[4]) : IFOREST_TREES;
	int psi = argc > 5 ? atoi(argv[5]) : IFOREST_PSI;
	iforest_src s = src_of(&m);
	iforest fo;
	iforest_fit(&fo, &s, trees, psi, seed);
	for (size_t i = 0; i < m.n; i++)
		printf("%.17g\n", iforest_score(&fo, &s, i));
	iforest_free(&fo);
	free(m.v);
	return ferror(stdout) || fclose(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	util_init("test-iforest");
	if (argc > 2 && !strcmp(argv[1], "--score"))
		return score_file(argc, argv);
	test_c();
	test_planted();
	test_degenerate();
	return 0;
}
