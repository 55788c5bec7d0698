/*
 * iforest.c — isolation forest over a matrix read entry by entry (see
 * iforest.h). CPU only: a forest is at most 100 × 511 nodes, and fitting
 * reads ψ rows per tree.
 */
#include "iforest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/rand.h"
#include "../util/util.h"

double iforest_c(double n)
{
	if (n <= 1)
		return 0;
	if (n <= 2)
		return 1;
	return 2 * (log(n - 1) + 0.5772156649015329) - 2 * (n - 1) / n;
}

/* one tree's growth: its generator, sub-sample and a feature order */
typedef struct grow {
	const iforest_src *src;
	rng r;
	uint32_t *rows;         /* the sub-sample, partitioned node by node */
	size_t *perm;           /* features, shuffled lazily at each node */
	iforest_tree *t;
	int max_depth;
} grow;

static int32_t grow_node(grow *g, uint32_t *rows, uint32_t n, int depth)
{
	const iforest_src *s = g->src;
	int32_t at = g->t->nnodes++;
	iforest_node *nd = &g->t->node[at];
	nd->left = nd->right = -1;
	nd->n = n;
	nd->feature = 0;
	nd->threshold = 0;
	if (depth >= g->max_depth || n <= 1)
		return at;
	/* the first feature of a uniform random order that is not constant on
	 * these rows: uniform among the non-constant ones (scikit-learn's
	 * random splitter with max_features=1 draws the same way) */
	size_t d = s->d, f = 0;
	double lo = 0, hi = 0;
	int found = 0;
	for (size_t k = 0; k < d && !found; k++) {
		size_t j = k + (size_t)rng_below(&g->r, d - k);
		size_t tmp = g->perm[k];
		g->perm[k] = g->perm[j], g->perm[j] = tmp;
		f = g->perm[k];
		lo = hi = s->get(s->ctx, rows[0], f);
		for (uint32_t q = 1; q < n; q++) {
			double v = s->get(s->ctx, rows[q], f);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		found = hi > lo;
	}
	if (!found)             /* all rows equal: a leaf */
		return at;
	double t = lo + rng_uniform(&g->r) * (hi - lo);
	if (t >= hi)
		t = lo;
	/* rows ≤ t first; both sides are non-empty since lo ≤ t < hi */
	uint32_t m = 0;
	for (uint32_t q = 0; q < n; q++)
		if (s->get(s->ctx, rows[q], f) <= t) {
			uint32_t tmp = rows[q];
			rows[q] = rows[m], rows[m++] = tmp;
		}
	int32_t l = grow_node(g, rows, m, depth + 1);
	int32_t r = grow_node(g, rows + m, n - m, depth + 1);
	nd = &g->t->node[at];   /* node[] does not move, but be plain about it */
	nd->feature = f;
	nd->threshold = t;
	nd->left = l;
	nd->right = r;
	return at;
}

void iforest_fit(iforest *f, const iforest_src *src, int ntrees, int psi, uint64_t seed)
{
	if (src->n == 0 || src->d == 0 || ntrees < 1 || psi < 1)
		die("internal error: iforest_fit on %zu × %zu with %d trees of %d", src->n,
		    src->d, ntrees, psi);
	if (src->n > UINT32_MAX)
		die("isolation forest: %zu rows, at most %u", src->n, UINT32_MAX);
	memset(f, 0, sizeof *f);
	f->ntrees = ntrees;
	f->psi = (size_t)psi < src->n ? psi : (int)src->n;
	f->d = src->d;
	/* ⌈log2 max(ψ, 2)⌉ */
	for (f->max_depth = 0; (1L << f->max_depth) < (f->psi > 2 ? f->psi : 2); f->max_depth++)
		;
	f->tree = ecalloc((size_t)ntrees, sizeof *f->tree);
	for (int t = 0; t < ntrees; t++)
		f->tree[t].node = emalloc(emul(2 * (size_t)f->psi, sizeof(iforest_node)));
	#pragma omp parallel
	{
		grow g = { .src = src, .max_depth = f->max_depth };
		uint32_t *all = emalloc(emul(src->n, sizeof *all));
		g.perm = emalloc(emul(src->d, sizeof *g.perm));
		#pragma omp for schedule(dynamic)
		for (int t = 0; t < ntrees; t++) {
			rng_init(&g.r, rng_key(seed, 0x69666f72657374ull /* "iforest" */, (uint64_t)t));
			/* a tree's draws depend on its own key alone, not on the
			 * trees its thread grew before */
			for (size_t j = 0; j < src->d; j++)
				g.perm[j] = j;
			/* ψ rows without replacement: a partial Fisher-Yates shuffle */
			for (size_t i = 0; i < src->n; i++)
				all[i] = (uint32_t)i;
			for (int k = 0; k < f->psi; k++) {
				size_t j = (size_t)k + (size_t)rng_below(&g.r, src->n - (size_t)k);
				uint32_t tmp = all[k];
				all[k] = all[j], all[j] = tmp;
			}
			g.t = &f->tree[t];
			grow_node(&g, all, (uint32_t)f->psi, 0);
		}
		free(all);
		free(g.perm);
	}
}

void iforest_free(iforest *f)
{
	for (int t = 0; f->tree && t < f->ntrees; t++)
		free(f->tree[t].node);
	free(f->tree);
	memset(f, 0, sizeof *f);
}

double iforest_score(const iforest *f, const iforest_src *src, size_t i)
{
	double total = 0;
	for (int t = 0; t < f->ntrees; t++) {
		const iforest_node *node = f->tree[t].node, *nd = node;
		int depth = 0;
		while (nd->left >= 0) {
			nd = src->get(src->ctx, i, nd->feature) <= nd->threshold ?
			     &node[nd->left] : &node[nd->right];
			depth++;
		}
		total += depth + iforest_c(nd->n);
	}
	double c = iforest_c(f->psi);
	/* one row per tree: every path is 0 and c(1) = 0; scikit-learn says 0.5 */
	return c > 0 ? pow(2, -total / f->ntrees / c) : 0.5;
}

void iforest_scores(const iforest *f, const iforest_src *src, double *out)
{
	#pragma omp parallel for schedule(static)
	for (size_t i = 0; i < src->n; i++)
		out[i] = iforest_score(f, src, i);
}
