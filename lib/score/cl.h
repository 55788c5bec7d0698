/*
 * cl.h — confident learning (Northcutt, Jiang and Chuang, "Confident
 * Learning: Estimating Uncertainty in Dataset Labels", JAIR 70, 2021): from
 * out-of-sample predicted probabilities p̂ and given labels ỹ, the joint
 * distribution of given and true labels, the noise rates, how many labels
 * are wrong and which. label-issues writes what cl_run computes; the
 * formulas, with every rounding and tie, are in formats/scores.md
 * ("label-issues") and tools/label-issues.1, and tests/py/cl_oracle.py
 * computes the same from the paper on its own.
 *
 * In short, for n examples and K classes, n_i the examples labelled i:
 *   t_j = mean of p̂_j over the examples labelled j (none: no threshold,
 *         j is never a candidate);
 *   x goes to cell (ỹ, j*), j* the arg max of p̂_j among the candidates
 *         p̂_j ≥ t_j − 1e-6 (ties: the lowest j); no candidate: uncounted;
 *   C̃[i][j] = C'[i][j] / Σ_j C'[i][j] · n_i, C' = C with its diagonal
 *         raised to at least 1; Q = C̃ / Σ C̃ (the joint);
 *   noise[i][j] = P(ỹ = i | y* = j) = Q[i][j] / Σ_i Q[i][j];
 *   issues = round(Σ_{i≠j} n·Q[i][j]), round(x) = ⌊x + 1/2⌋.
 */
#ifndef CL_H
#define CL_H

#include <stddef.h>
#include <stdint.h>

/* which examples are flagged (cleanlab's filter_by) */
enum { CL_PRUNE_BY_NOISE_RATE, CL_PRUNE_BY_CLASS, CL_BOTH, CL_CONFIDENT_LEARNING };
/* how every example is scored (cleanlab's rank_by, less 1: most negative
 * is most suspect) */
enum { CL_SELF_CONFIDENCE, CL_NORMALIZED_MARGIN, CL_CONFIDENCE_WEIGHTED_ENTROPY };

/* the name of a filter or rank → CL_*, or -1; and back */
int cl_filter_parse(const char *name);
const char *cl_filter_name(int filter);
int cl_rank_parse(const char *name);
const char *cl_rank_name(int rank);

/* the candidates' slack below a threshold (cleanlab's): an example at its
 * class's mean probability counts whatever the rounding of the mean */
#define CL_THRESHOLD_SLACK 1e-6

typedef struct cl_result {
	size_t n;
	int K;
	uint64_t *label_counts; /* (K) n_i */
	double *thresholds;     /* (K) t_j; NAN where no example is labelled j */
	uint64_t *cj;           /* (K, K) the confident joint C as counted (row: given) */
	double *joint;          /* (K, K) Q, summing to 1 */
	double *noise;          /* (K, K) P(given = i | true = j) at [i·K + j] */
	uint64_t issues;        /* the estimated number of label issues */
	size_t flagged;         /* examples with flag set */
	unsigned char *flag;    /* (n) 1: in the estimated set of issues */
	double *score;          /* (n) the rank's score, in [−1, 0] */
	int *suggest;           /* (n) arg max_{k≠ỹ} p̂_k (ties: lowest k); −1 when K = 1 */
} cl_result;

/* confident learning over n examples: ids id (ties of the filters' orders
 * go to the smaller id), labels y < K, probabilities p (n, K) row-major.
 * Allocates r's arrays; free with cl_free. */
void cl_run(cl_result *r, size_t n, int K, const uint64_t *id, const uint32_t *y,
	    const float *p, int filter, int rank);
void cl_free(cl_result *r);

/* the rank's score of one example: p its K probabilities, y its label */
double cl_score(int rank, const float *p, int y, int K);

#endif
