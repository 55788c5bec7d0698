/*
 * ihvp.h — inverse Hessian-vector products: s = (H + λI)⁻¹ v for a
 * symmetric H seen only through products H x, by conjugate gradients or by
 * LiSSA (Agarwal, Bullins & Hazan 2017, as Koh & Liang 2017 use it for
 * influence functions). Both work on backend vectors (lib/nn/backend.h), so
 * they run wherever the network does; every solve reports the products it
 * spent and its final residual ‖(H + λI)s − v‖/‖v‖, measured with the exact
 * product. tests/unit/test-ihvp.c holds them to a dense Hessian solved with
 * LAPACK in double.
 *
 * CG, from s = 0: stops when the recursive residual is at most tol·‖v‖ or
 * after max_iter products; a direction p with pᵀ(H + λI)p ≤ 0 means H + λI
 * is not positive definite there and ends the solve (IHVP_NOT_PD).
 *
 * LiSSA, our parametrisation of Koh & Liang's recursion: h₀ = v,
 *   h_j = v + h_{j−1} − (H_j h_{j−1} + λ h_{j−1}) / scale,  j = 1 … depth,
 * s = h_depth / scale, averaged over `repeats` independent recursions. H_j
 * is the product of the j-th step of the repeat (a sampled batch of the
 * subset, or all of it). Its fixed point is scale·(H + λI)⁻¹ v; a direction
 * of curvature c converges iff 0 < (c + λ)/scale < 2, so it needs H + λI
 * positive definite and ‖(H + λI)/scale‖ < 2 (Koh & Liang ask ‖H/scale‖ < 1).
 * Koh & Liang's code writes the damping as h ← v + (1 − d)h − H h/scale,
 * i.e. λ = d·scale.
 */
#ifndef IHVP_H
#define IHVP_H

#include <stdint.h>

#include "spectrum.h"

enum { IHVP_CG, IHVP_LISSA };
/* IHVP_WORSE: LiSSA ended without blowing up but with a residual above 1,
 * worse than s = 0 (steps too noisy or too few, or a scale too small) */
enum { IHVP_OK, IHVP_MAXITER, IHVP_NOT_PD, IHVP_DIVERGED, IHVP_WORSE };

typedef struct ihvp_opts {
	int solver;             /* IHVP_CG or IHVP_LISSA */
	double damping;         /* λ: solve (H + λI) s = v */
	double tol;             /* CG: relative residual to stop at */
	int max_iter;           /* CG: most products */
	int depth;              /* LiSSA: recursion depth */
	double scale;           /* LiSSA: scale (0: 1.1·(|λ_top| + λ), measured) */
	int repeats;            /* LiSSA: recursions averaged */
} ihvp_opts;

/* the defaults: CG, λ = 0.01, tol 1e-6, 500 products; LiSSA depth 1000,
 * scale measured, 1 repeat */
void ihvp_defaults(ihvp_opts *o);

typedef struct ihvp_result {
	int status;             /* IHVP_* */
	int iters;              /* CG iterations, or LiSSA steps (depth·repeats) */
	int hvps;               /* products spent, the residual's and λ_top's included */
	double residual;        /* ‖(H + λI)s − v‖ / ‖v‖, exact product */
	double lambda_top;      /* LiSSA: the eigenvalue of H of largest magnitude (power
				 * iteration, exact product); 0 for CG */
	double scale;           /* LiSSA: the scale used */
} ihvp_result;

/* the recursion's product at step j of repeat r: H_{r,j} x, an estimate of
 * H x (or H x itself) */
typedef void (*ihvp_sample_fn)(void *ctx, real *hv, const real *x, int r, int j);

/* s = (H + λI)⁻¹ v (backend vectors of n; s overwritten, v kept); hvp is the
 * exact product (CG, the residual, λ_top), sample the LiSSA step's (NULL:
 * hvp); tmp: four backend vectors of n. Never exits: the caller says what
 * a status means. */
ihvp_result ihvp_solve(const nn_backend *bk, size_t n, hvp_fn hvp, ihvp_sample_fn sample,
		       void *ctx, real *s, const real *v, const ihvp_opts *o, real *tmp[4]);

/* a one-line description of a status */
const char *ihvp_status(int status);

/* parse the solver option `name` (without "--": solver, damping, cg-tol,
 * max-iter, lissa-depth, lissa-scale, lissa-repeats) with argument arg into
 * o; returns 0 when name is not one of them; a bad value is a usage error
 * (exit 2) */
int ihvp_parse_opt(ihvp_opts *o, const char *name, const char *arg);

#endif
