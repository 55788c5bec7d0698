/*
 * test-ihvp.c — lib/score/ihvp.c against a dense oracle, in double: the Hessian
 * of a tiny network's batch loss (with batch-norm, so it is indefinite) is
 * built column by column from Hessian-vector products, and
 * (H + λI) s = v is solved with LAPACK (dsyev: the spectrum, dposv: s).
 *   - CG at tolerance 1e-10 agrees with LAPACK to 1e-4 (relative), and the
 *     residual it reports is the dense one;
 *   - CG stopped at its iteration limit says so, with its residual;
 *   - CG on a system that is not positive definite stops with IHVP_NOT_PD;
 *   - LiSSA (scale measured from the top eigenvalue) converges to the same
 *     solution, its step count is depth·repeats, and averaging repeats of
 *     a stochastic product estimates the solve;
 *   - LiSSA with a scale below (λ_top + λ)/2 diverges and says so.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/score/ihvp.h"
#include "dense.h"

extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
		   double *b, const int *ldb, int *info);

static void noisy(void *ctx, double *hv, const double *x, int r, int j)
{
	const dense *d = ctx;
	dense_hvp(ctx, hv, x);
	double f = 0.9 + 0.2 * (double)(rng_key(7, (uint64_t)r, (uint64_t)j) >> 11) * 0x1p-53;
	for (int i = 0; i < d->n; i++)
		hv[i] *= f;
}

static double rel_err(const double *a, const double *b, int n)
{
	double d = 0, nb = 0;
	for (int i = 0; i < n; i++)
		d += (a[i] - b[i]) * (a[i] - b[i]), nb += b[i] * b[i];
	return sqrt(d / nb);
}

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	dense D;
	dense_init(&D);
	int n = D.n, info = 0;
	const nn_backend *bk = D.bk;
	double *H = D.H;
	double *V = emalloc((size_t)n * n * sizeof *V), *lam = emalloc((size_t)n * sizeof *lam);
	dense_eig(&D, lam, NULL);
	printf("# %d parameters; eigenvalues from %.6g to %.6g\n", n, lam[0], lam[n - 1]);
	CHECK(lam[0] < 0, "the test wants an indefinite Hessian (smallest eigenvalue %g)", lam[0]);

	/* (H + λI) s = v by LAPACK, λ making it positive definite with a
	 * condition number near 100 */
	double lambda = -lam[0] + (lam[n - 1] - lam[0]) / 100;
	double *v = emalloc((size_t)n * sizeof *v), *want = emalloc((size_t)n * sizeof *want);
	for (int i = 0; i < n; i++)
		v[i] = rng_uniform(&D.r) - 0.5;
	memcpy(V, H, (size_t)n * n * sizeof *V);
	for (int i = 0; i < n; i++)
		V[(size_t)i * n + i] += lambda;
	memcpy(want, v, (size_t)n * sizeof *v);
	int one = 1;
	dposv_("U", &n, &one, V, &n, want, &n, &info);
	CHECK(info == 0, "dposv: info %d", info);

	double *s = emalloc((size_t)n * sizeof *s), *t[4];
	for (int k = 0; k < 4; k++)
		t[k] = emalloc((size_t)n * sizeof *t[k]);
	ihvp_opts o;
	ihvp_defaults(&o);
	o.damping = lambda, o.tol = 1e-10, o.max_iter = 10 * n;

	/* ----- CG */
	ihvp_result res = ihvp_solve(bk, (size_t)n, dense_hvp, NULL, &D, s, v, &o, t);
	double er = rel_err(s, want, n);
	CHECK(res.status == IHVP_OK, "cg: %s", ihvp_status(res.status));
	CHECK(er <= 1e-4, "cg: relative error %.3g against LAPACK", er);
	/* the residual it reports is the dense one */
	double rr = 0, vv = 0;
	for (int i = 0; i < n; i++) {
		double a = lambda * s[i] - v[i];
		for (int j = 0; j < n; j++)
			a += H[(size_t)j * n + i] * s[j];
		rr += a * a, vv += v[i] * v[i];
	}
	CHECK(fabs(res.residual - sqrt(rr / vv)) <= 1e-8 + 1e-3 * sqrt(rr / vv),
	      "cg: reported residual %.3g, dense %.3g", res.residual, sqrt(rr / vv));
	CHECK(res.residual <= 1e-8, "cg: residual %.3g", res.residual);
	CHECK(res.hvps == res.iters + 1, "cg: %d products for %d iterations", res.hvps, res.iters);
	printf("ok - cg: %d iterations, residual %.3g, relative error %.3g against LAPACK dposv\n",
	       res.iters, res.residual, er);

	/* ----- CG at its iteration limit */
	o.max_iter = 2;
	res = ihvp_solve(bk, (size_t)n, dense_hvp, NULL, &D, s, v, &o, t);
	CHECK(res.status == IHVP_MAXITER && res.iters == 2 && res.residual > 1e-6,
	      "cg at max_iter 2: status %d, %d iterations, residual %.3g", res.status, res.iters,
	      res.residual);
	printf("ok - cg stopped at 2 iterations: residual %.3g reported\n", res.residual);

	/* ----- CG where H + λI is not positive definite */
	o.max_iter = 10 * n;
	o.damping = -lam[n - 1] - 1;    /* every eigenvalue of H + λI below -1 */
	res = ihvp_solve(bk, (size_t)n, dense_hvp, NULL, &D, s, v, &o, t);
	CHECK(res.status == IHVP_NOT_PD, "cg on a negative definite system: %s",
	      ihvp_status(res.status));
	printf("ok - cg on H + (%.3g)I: %s\n", o.damping, ihvp_status(res.status));

	/* ----- LiSSA, exact products: the same solution */
	o.solver = IHVP_LISSA, o.damping = lambda, o.scale = 0, o.repeats = 2;
	o.depth = 4000;
	res = ihvp_solve(bk, (size_t)n, dense_hvp, NULL, &D, s, v, &o, t);
	er = rel_err(s, want, n);
	CHECK(res.status == IHVP_OK, "lissa: %s", ihvp_status(res.status));
	CHECK(fabs(fabs(res.lambda_top) - fmax(fabs(lam[0]), fabs(lam[n - 1]))) <=
	      1e-2 * fabs(lam[n - 1]), "lissa: top eigenvalue %.6g, dense %.6g / %.6g",
	      res.lambda_top, lam[0], lam[n - 1]);
	CHECK(res.iters == o.depth * o.repeats, "lissa: %d steps, want %d", res.iters,
	      o.depth * o.repeats);
	CHECK(er <= 1e-4, "lissa: relative error %.3g against LAPACK", er);
	printf("ok - lissa: depth %d x %d, scale %.4g (top eigenvalue %.4g), residual %.3g, "
	       "relative error %.3g against LAPACK\n", o.depth, o.repeats, res.scale,
	       res.lambda_top, res.residual, er);

	/* ----- LiSSA with stochastic products, averaged over repeats */
	o.repeats = 8, o.depth = 2000;
	res = ihvp_solve(bk, (size_t)n, dense_hvp, noisy, &D, s, v, &o, t);
	er = rel_err(s, want, n);
	CHECK(res.status == IHVP_OK && er <= 0.05, "lissa, noisy products: %s, error %.3g",
	      ihvp_status(res.status), er);
	printf("ok - lissa with noisy products, 8 repeats: relative error %.3g\n", er);

	/* ----- LiSSA that cannot converge: scale below (λ_top + λ)/2 */
	o.repeats = 1, o.depth = 2000;
	o.scale = (lam[n - 1] + lambda) / 3;
	res = ihvp_solve(bk, (size_t)n, dense_hvp, NULL, &D, s, v, &o, t);
	CHECK(res.status == IHVP_DIVERGED, "lissa at scale %.3g: %s", o.scale,
	      ihvp_status(res.status));
	printf("ok - lissa at scale %.3g < (lambda_top + damping)/2: %s after %d steps\n", o.scale,
	       ihvp_status(res.status), res.iters);

	/* ----- LiSSA stopped after 8 steps at that scale: no blow-up yet, but a
	 * residual above 1, which is reported as such and not as a solution */
	o.depth = 8;
	res = ihvp_solve(bk, (size_t)n, dense_hvp, NULL, &D, s, v, &o, t);
	CHECK(res.status == IHVP_WORSE && res.residual > 1, "lissa, depth 8 at scale %.3g: %s, "
	      "residual %.3g", o.scale, ihvp_status(res.status), res.residual);
	printf("ok - lissa, depth 8 at that scale: %s (residual %.3g)\n", ihvp_status(res.status),
	       res.residual);

	free(V), free(lam);
	free(v), free(want), free(s);
	for (int k = 0; k < 4; k++)
		free(t[k]);
	dense_free(&D);
	printf("ihvp checks passed\n");
	return 0;
}
