/*
 * ihvp.c — conjugate gradients and LiSSA over Hessian-vector products (see
 * ihvp.h). Every vector operation goes through the backend's table, so the
 * same code runs on the CPU and on a GPU.
 */
#include "ihvp.h"

#include <math.h>
#include <string.h>

#include "../util/util.h"

/* the power iteration's budget for LiSSA's scale check */
#define LISSA_POWER_ITERS 50
#define LISSA_POWER_TOL 1e-3

void ihvp_defaults(ihvp_opts *o)
{
	*o = (ihvp_opts){ .solver = IHVP_CG, .damping = 0.01, .tol = 1e-6, .max_iter = 500,
			  .depth = 1000, .scale = 0, .repeats = 1 };
}

const char *ihvp_status(int status)
{
	switch (status) {
	case IHVP_OK: return "converged";
	case IHVP_MAXITER: return "stopped at the iteration limit";
	case IHVP_NOT_PD: return "H + damping*I is not positive definite";
	case IHVP_WORSE: return "ended worse than s = 0";
	default: return "diverged";
	}
}

/* y = x (y zeroed first: a·x + 0·y would keep a NaN left in y) */
static void copy(const nn_backend *bk, real *y, const real *x, size_t n)
{
	bk->zero(bk->ctx, y, n);
	bk->axpby(bk->ctx, y, 1, x, 1, n);
}

/* ax = (H + λI) x */
static void damped(const nn_backend *bk, size_t n, hvp_fn hvp, void *ctx, double lambda,
		   real *ax, const real *x)
{
	hvp(ctx, ax, x);
	bk->axpby(bk->ctx, ax, lambda, x, 1, n);
}

/* ‖(H + λI)s − v‖ / ‖v‖ with one exact product (r: scratch) */
static double residual(const nn_backend *bk, size_t n, hvp_fn hvp, void *ctx, double lambda,
		       const real *s, const real *v, real *r, double vn)
{
	damped(bk, n, hvp, ctx, lambda, r, s);
	bk->axpby(bk->ctx, r, -1, v, 1, n);
	double rn = sqrt(bk->dot(bk->ctx, r, r, n));
	return isfinite(rn) ? rn / vn : INFINITY;
}

static ihvp_result cg(const nn_backend *bk, size_t n, hvp_fn hvp, void *ctx, real *s,
		      const real *v, const ihvp_opts *o, real *tmp[4])
{
	ihvp_result res = { .status = IHVP_MAXITER };
	real *r = tmp[0], *p = tmp[1], *ap = tmp[2];
	double vn = sqrt(bk->dot(bk->ctx, v, v, n));
	bk->zero(bk->ctx, s, n);
	if (vn == 0) {
		res.status = IHVP_OK;
		return res;
	}
	copy(bk, r, v, n);                              /* r = v − A·0 */
	copy(bk, p, v, n);
	double rr = vn * vn;
	while (res.iters < o->max_iter) {
		if (sqrt(rr) <= o->tol * vn) {
			res.status = IHVP_OK;
			break;
		}
		damped(bk, n, hvp, ctx, o->damping, ap, p);
		res.iters++, res.hvps++;
		double pap = bk->dot(bk->ctx, p, ap, n);
		if (!(pap > 0)) {
			res.status = isfinite(pap) ? IHVP_NOT_PD : IHVP_DIVERGED;
			break;
		}
		double a = rr / pap;
		bk->axpby(bk->ctx, s, a, p, 1, n);
		bk->axpby(bk->ctx, r, -a, ap, 1, n);
		double rr1 = bk->dot(bk->ctx, r, r, n);
		bk->axpby(bk->ctx, p, 1, r, rr1 / rr, n);       /* p = r + β p */
		rr = rr1;
	}
	if (res.status == IHVP_MAXITER && sqrt(rr) <= o->tol * vn)
		res.status = IHVP_OK;
	res.residual = residual(bk, n, hvp, ctx, o->damping, s, v, r, vn);
	res.hvps++;
	if (!isfinite(res.residual))
		res.status = IHVP_DIVERGED;
	return res;
}

static ihvp_result lissa(const nn_backend *bk, size_t n, hvp_fn hvp, ihvp_sample_fn sample,
			 void *ctx, real *s, const real *v, const ihvp_opts *o, real *tmp[4])
{
	ihvp_result res = { .status = IHVP_OK };
	double vn = sqrt(bk->dot(bk->ctx, v, v, n));
	bk->zero(bk->ctx, s, n);
	/* the top eigenvalue by power iteration on the exact product: the
	 * recursion contracts only while (λ_top + λ)/scale < 2 */
	real *pt[3] = { tmp[0], tmp[1], tmp[2] };
	power_result pr = spectrum_power(bk, n, hvp, ctx, LISSA_POWER_ITERS, LISSA_POWER_TOL, 1, pt);
	res.lambda_top = pr.lambda;
	res.hvps += pr.iters;
	res.scale = o->scale > 0 ? o->scale : 1.1 * (fabs(pr.lambda) + o->damping);
	if (vn == 0 || res.scale == 0)
		return res;
	real *h = tmp[0], *hv = tmp[1], *acc = tmp[3];
	bk->zero(bk->ctx, acc, n);
	/* a convergent recursion stays within scale·‖v‖/(c_min + λ); far beyond
	 * any such bound it has left the region where it could converge */
	double bound = 1e8 * vn * res.scale / fmax(o->damping, 1e-12);
	for (int r = 0; r < o->repeats && res.status == IHVP_OK; r++) {
		copy(bk, h, v, n);
		for (int j = 1; j <= o->depth; j++) {
			if (sample)
				sample(ctx, hv, h, r, j);
			else
				hvp(ctx, hv, h);
			res.iters++, res.hvps++;
			/* h ← v + (1 − λ/scale) h − hv/scale */
			bk->axpby(bk->ctx, h, -1 / res.scale, hv, 1 - o->damping / res.scale, n);
			bk->axpby(bk->ctx, h, 1, v, 1, n);
			if (j % 16 == 0 || j == o->depth) {
				double hn = sqrt(bk->dot(bk->ctx, h, h, n));
				if (!isfinite(hn) || hn > bound) {
					res.status = IHVP_DIVERGED;
					break;
				}
			}
		}
		bk->axpby(bk->ctx, acc, 1 / (res.scale * o->repeats), h, 1, n);
	}
	copy(bk, s, acc, n);
	if (res.status == IHVP_DIVERGED) {
		res.residual = INFINITY;
		return res;
	}
	res.residual = residual(bk, n, hvp, ctx, o->damping, s, v, tmp[2], vn);
	res.hvps++;
	/* worse than s = 0: the recursion went the wrong way */
	if (!(res.residual <= 1))
		res.status = IHVP_WORSE;
	return res;
}

ihvp_result ihvp_solve(const nn_backend *bk, size_t n, hvp_fn hvp, ihvp_sample_fn sample,
		       void *ctx, real *s, const real *v, const ihvp_opts *o, real *tmp[4])
{
	return o->solver == IHVP_LISSA ? lissa(bk, n, hvp, sample, ctx, s, v, o, tmp) :
					 cg(bk, n, hvp, ctx, s, v, o, tmp);
}

int ihvp_parse_opt(ihvp_opts *o, const char *name, const char *arg)
{
	if (!strcmp(name, "solver")) {
		if (!strcmp(arg, "cg"))
			o->solver = IHVP_CG;
		else if (!strcmp(arg, "lissa"))
			o->solver = IHVP_LISSA;
		else
			die_usage("unknown --solver '%s' (want cg or lissa)", arg);
	} else if (!strcmp(name, "damping")) {
		o->damping = estrtod(arg, 0, 1e6, "--damping");
	} else if (!strcmp(name, "cg-tol")) {
		o->tol = estrtod(arg, 0, 1, "--cg-tol");
	} else if (!strcmp(name, "max-iter")) {
		if ((o->max_iter = (int)estrtou64(arg, 1000000, "--max-iter")) < 1)
			die_usage("--max-iter must be 1 to 1000000");
	} else if (!strcmp(name, "lissa-depth")) {
		if ((o->depth = (int)estrtou64(arg, 10000000, "--lissa-depth")) < 1)
			die_usage("--lissa-depth must be 1 to 10000000");
	} else if (!strcmp(name, "lissa-scale")) {
		o->scale = estrtod(arg, 0, 1e12, "--lissa-scale");
	} else if (!strcmp(name, "lissa-repeats")) {
		if ((o->repeats = (int)estrtou64(arg, 100000, "--lissa-repeats")) < 1)
			die_usage("--lissa-repeats must be 1 to 100000");
	} else {
		return 0;
	}
	return 1;
}
