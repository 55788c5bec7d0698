/*
 * iforest.h — isolation forest (Liu, Ting and Zhou, ICDM 2008) over a matrix
 * read entry by entry, so a matrix that is never stored (grad-outlier's
 * per-example gradients, (p − onehot(y)) ⊗ h) can be scored from its
 * factors.
 *
 * Built as scikit-learn's IsolationForest builds it (its defaults are ours:
 * 100 trees, ψ = min(256, n) rows per tree drawn without replacement, all
 * features, depth limit ⌈log2 ψ⌉): at each node a feature drawn uniformly
 * among those not constant on the node's rows, a threshold uniform in
 * [min, max) of that feature there, rows ≤ threshold to the left. A row's
 * path length is the depth of its leaf plus c(size of the leaf), and its
 * anomaly score is s = 2^(−E[h]/c(ψ)), in (0, 1]: near 1 an outlier, about
 * 0.5 or less an ordinary row (scikit-learn's score_samples is −s).
 *
 * Seeded and deterministic: tree t draws from its own generator keyed on
 * (seed, t), so the forest does not depend on the number of threads. The
 * trees are random, so the scores match scikit-learn's in distribution and
 * rank (tests/py/iforest.sh), not bit for bit.
 */
#ifndef IFOREST_H
#define IFOREST_H

#include <stddef.h>
#include <stdint.h>

/* a read-only n × d matrix given by its entries; get must be safe to call
 * from several threads at once */
typedef struct iforest_src {
	size_t n, d;
	double (*get)(const void *ctx, size_t i, size_t j);
	const void *ctx;
} iforest_src;

typedef struct iforest_node {
	size_t feature;
	double threshold;
	int32_t left, right;    /* child nodes; left < 0: a leaf */
	uint32_t n;             /* rows of the sub-sample that reached the node */
} iforest_node;

typedef struct iforest_tree {
	iforest_node *node;     /* node[0] is the root */
	int32_t nnodes;
} iforest_tree;

typedef struct iforest {
	int ntrees, psi, max_depth;
	size_t d;
	iforest_tree *tree;
} iforest;

enum { IFOREST_TREES = 100, IFOREST_PSI = 256 };

/* grow ntrees trees on sub-samples of min(psi, n) rows of src (n ≥ 1);
 * release with iforest_free */
void iforest_fit(iforest *f, const iforest_src *src, int ntrees, int psi, uint64_t seed);
void iforest_free(iforest *f);
/* the anomaly score of row i of src (any matrix of f->d columns) */
double iforest_score(const iforest *f, const iforest_src *src, size_t i);
/* the scores of every row of src into out (src->n), in parallel */
void iforest_scores(const iforest *f, const iforest_src *src, double *out);
/* c(n): the mean path length of an unsuccessful search in a binary search
 * tree of n keys, 2H(n−1) − 2(n−1)/n; c(1) = 0, c(2) = 1 */
double iforest_c(double n);

#endif
