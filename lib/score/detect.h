/*
 * detect.h — the Hessian-free detectors of grad-outlier: per-example scores
 * from one forward pass in evaluation mode, needing no validation set.
 *
 * Outlier gradient analysis (Chhabra et al., 2024) looks at the gradient
 * of an example's loss with respect to the last affine layer's weights W
 * (K × F, no bias). For softmax cross-entropy it is an outer product,
 *   ∇_W ℓ = a ⊗ h,   a = p − onehot(y) (K),   h = the layer's input (F),
 * entry (k, f) = a_k h_f (row k·F + f, the layout of W in θ). Its norms
 * factor, ‖a ⊗ h‖₂ = ‖a‖₂‖h‖₂ and ‖a ⊗ h‖₁ = ‖a‖₁‖h‖₁, so the K·F vector
 * is never formed; an isolation forest reads its entries a_k h_f on demand
 * (detect_src).
 *
 * The prediction baselines are cleanlab's label-quality scores q ∈ [0, 1]
 * (1: the label looks right): self-confidence p_y; normalized margin
 * (p_y − max_{k≠y} p_k + 1)/2; confidence-weighted entropy
 * log(x + 1)/x with x = H(p)/log K ÷ p_y (p clipped at 1e-6 as cleanlab
 * does); and the loss itself.
 *
 * Every score follows the scores-stream convention (formats/scores.md):
 * the most negative is the most suspect and is removed first.
 *   oga-l2   −‖a‖₂‖h‖₂           oga-l1   −‖a‖₁‖h‖₁
 *   oga-iforest  −s, s the forest's anomaly score in (0, 1]
 *   loss     −ℓ = log p_y        self-confidence, margin, entropy   q − 1
 */
#ifndef DETECT_H
#define DETECT_H

#include <stddef.h>

#include "../nn/backend.h"
#include "iforest.h"

enum { DET_OGA_L2, DET_OGA_L1, DET_OGA_IFOREST, DET_LOSS, DET_SELF_CONFIDENCE,
       DET_MARGIN, DET_ENTROPY, DET_NMETHODS };

/* a method's name → DET_*, or -1 */
int detect_parse(const char *name);
const char *detect_name(int method);
/* "oga-l2, oga-l1, ..." for messages */
const char *detect_names(void);
/* 1 if the method needs the features h */
int detect_needs_features(int method);

/* the score of one example (every method but oga-iforest): p its K
 * probabilities, loss its loss (−log p_y, computed stably by the network),
 * h its F features */
double detect_score(int method, const real *p, double loss, int y, int K,
		    const real *h, int F);

/* the N × (K·F) per-example gradient matrix held as its factors: a (N × K)
 * and h (N × F), row-major; entries are a[i][j / F] · h[i][j % F] */
typedef struct detect_grads {
	size_t n;
	int K, F;
	const real *a, *h;
} detect_grads;

/* an isolation-forest source reading g's entries on demand (g outlives it) */
iforest_src detect_src(const detect_grads *g);
/* a = p − onehot(y) */
void detect_residual(real *a, const real *p, int y, int K);

/* --layers all: the full per-example gradient g_j (P = every parameter)
 * through a seeded sparse random projection (Achlioptas, 2003), k rows of
 * P entries each +√(3/k) or −√(3/k) with probability 1/6 and 0 otherwise,
 * so E‖R g‖² = ‖g‖² and distances between rows keep to 1 ± ε for
 * k = O(log n / ε²) (Johnson–Lindenstrauss). Row r, entry i depends on
 * (seed, r, i) alone. R is k × P, row-major. */
void detect_projection(real *R, int k, size_t P, uint64_t seed);

/* a dense n × d matrix (row-major) as an isolation-forest source (m
 * outlives it) */
typedef struct detect_dense {
	size_t n, d;
	const real *m;
} detect_dense;
iforest_src detect_dense_src(const detect_dense *m);

#endif
