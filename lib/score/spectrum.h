/*
 * spectrum.h — curvature of a loss seen only through Hessian-vector
 * products: the eigenvalue of largest magnitude by power iteration, and the
 * gradient-flow propagator exp(−ηH) applied to a vector by sub-steps. Both
 * work on backend vectors (lib/nn/backend.h) with an HVP callback, so they run
 * wherever the network does; tests/unit/test-spectrum.c holds them to a
 * dense Hessian decomposed with LAPACK in double.
 */
#ifndef SPECTRUM_H
#define SPECTRUM_H

#include <stdint.h>

#include "../nn/backend.h"

/* hv = H v (backend vectors of n) */
typedef void (*hvp_fn)(void *ctx, real *hv, const real *v);

typedef struct power_result {
	double lambda;          /* the Rayleigh quotient at the last iterate */
	double change;          /* |λ_k − λ_{k−1}| / |λ_k| at the end */
	int iters;
} power_result;

/* the eigenvalue of H of largest magnitude (its sign kept), by power
 * iteration from a seeded random start until the relative change of the
 * Rayleigh quotient is at most tol, or max_iter HVPs; tmp: three backend
 * vectors of n */
power_result spectrum_power(const nn_backend *bk, size_t n, hvp_fn hvp, void *ctx,
			    int max_iter, double tol, uint64_t seed, real *tmp[3]);

/* u ← (I − (η/m)(H + λI))^m u, m sub-steps of gradient flow: for m = 1 the
 * SGD-influence update u ← u − η(Hu + λu) bit for bit; as m grows,
 * exp(−η(H + λI)) u. A direction of curvature c is multiplied by
 * (1 − ηc/m)^m, which stays within (−1, 1] whenever ηc < 2m. hv: a backend
 * vector of n; hv_ready: it already holds H u, the first sub-step's product
 * (the u-walk has it from the pass that scored the step) */
void spectrum_flow(const nn_backend *bk, size_t n, hvp_fn hvp, void *ctx, real *u,
		   double eta, double wd, int m, real *hv, int hv_ready);

/* the sub-steps that keep every direction of curvature up to 4·|lambda|
 * contracting (batch Hessians differ, and a few probed batches may miss
 * the sharpest): max(1, ⌈2η·|lambda|⌉) — 1, the papers' update, while
 * η·|lambda| ≤ 1/2 */
int spectrum_flow_steps(double eta, double lambda);

#endif
