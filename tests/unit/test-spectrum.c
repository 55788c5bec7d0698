/*
 * test-spectrum.c — lib/score/spectrum.c against a dense oracle, in double: the
 * Hessian of a tiny network's batch loss is built column by column from
 * Hessian-vector products (themselves checked against finite differences by
 * test-grad) and decomposed with LAPACK's dsyev (OpenBLAS ships it).
 *   - power iteration finds the eigenvalue of largest magnitude;
 *   - flow sub-steps with m = 1 are the SGD-influence update bit for bit;
 *   - with many sub-steps they approach exp(−η(H + λI)) u, computed from the
 *     eigendecomposition, with the error (ηc)²/(2m) per direction that the
 *     sub-step rule predicts;
 *   - with m = spectrum_flow_steps(η, λ_max) a walk of many steps at a
 *     learning rate where the plain update explodes stays bounded.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/score/spectrum.h"
#include "dense.h"

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	dense D;
	dense_init(&D);
	int n = D.n;
	const nn_backend *bk = D.bk;
	double *V = emalloc((size_t)n * n * sizeof *V), *lam = emalloc((size_t)n * sizeof *lam);
	dense_eig(&D, lam, V);
	double top = fabs(lam[0]) > fabs(lam[n - 1]) ? lam[0] : lam[n - 1];
	printf("# %d parameters; eigenvalues from %.6g to %.6g\n", n, lam[0], lam[n - 1]);

	/* ----- power iteration */
	double *t0 = emalloc((size_t)n * sizeof *t0), *t1 = emalloc((size_t)n * sizeof *t1);
	double *t2 = emalloc((size_t)n * sizeof *t2);
	double *tmp[3] = { t0, t1, t2 };
	power_result pr = spectrum_power(bk, (size_t)n, dense_hvp, &D, 2000, 1e-13, 1, tmp);
	CHECK(fabs(pr.lambda - top) <= 1e-7 * fabs(top), "power iteration %.12g, dense %.12g",
	      pr.lambda, top);
	printf("ok - power iteration: %.9g in %d HVPs, dense %.9g\n", pr.lambda, pr.iters, top);
	pr = spectrum_power(bk, (size_t)n, dense_hvp, &D, 30, 1e-3, 1, tmp);
	CHECK(fabs(pr.lambda - top) <= 0.05 * fabs(top),
	      "power iteration at the defaults (30, 1e-3): %.6g, dense %.6g", pr.lambda, top);
	printf("ok - power iteration at the defaults: %.6g in %d HVPs (%.2g%% off)\n", pr.lambda,
	       pr.iters, 100 * fabs(pr.lambda - top) / fabs(top));

	/* ----- one sub-step is the SGD-influence update, bit for bit */
	double *u = emalloc((size_t)n * sizeof *u), *u1 = emalloc((size_t)n * sizeof *u1);
	double *hv = emalloc((size_t)n * sizeof *hv);
	for (int i = 0; i < n; i++)
		u[i] = rng_uniform(&D.r) - 0.5;
	double eta = 0.7, wd = 0.01;
	memcpy(u1, u, (size_t)n * sizeof *u);
	spectrum_flow(bk, (size_t)n, dense_hvp, &D, u1, eta, wd, 1, hv, 0);
	dense_hvp(&D, hv, u);
	int same = 1;
	for (int i = 0; i < n; i++)
		same &= u1[i] == u[i] - eta * (hv[i] + wd * u[i]);
	CHECK(same, "flow with m = 1 is not the SGD-influence update");
	printf("ok - flow, m = 1: u - eta(Hu + wd u) bit for bit\n");

	/* ----- many sub-steps: exp(−η(H + λI)) u from the eigendecomposition */
	double eta2 = 3 / fabs(top);            /* η·c up to 3: the plain update would grow */
	int m = 4096;
	double *ex = emalloc((size_t)n * sizeof *ex);
	for (int i = 0; i < n; i++)
		ex[i] = 0;
	for (int k = 0; k < n; k++) {
		const double *q = V + (size_t)k * n;
		double c = 0;
		for (int i = 0; i < n; i++)
			c += q[i] * u[i];
		c *= exp(-eta2 * (lam[k] + wd));
		for (int i = 0; i < n; i++)
			ex[i] += c * q[i];
	}
	memcpy(u1, u, (size_t)n * sizeof *u);
	spectrum_flow(bk, (size_t)n, dense_hvp, &D, u1, eta2, wd, m, hv, 0);
	double d = 0, nu = 0, bound = 0;
	for (int i = 0; i < n; i++)
		d += (u1[i] - ex[i]) * (u1[i] - ex[i]), nu += u[i] * u[i];
	for (int k = 0; k < n; k++) {
		double c = eta2 * (lam[k] + wd);
		bound = fmax(bound, c * c / (2.0 * m) * exp(fabs(c)));
	}
	CHECK(sqrt(d / nu) <= bound, "flow(m = %d) vs dense exp: relative error %.3g > %.3g", m,
	      sqrt(d / nu), bound);
	printf("ok - flow, m = %d: relative error %.3g against the dense exp(-eta(H+wd I)) u "
	       "(bound %.3g)\n", m, sqrt(d / nu), bound);

	/* ----- a long walk where the plain update explodes stays bounded */
	double eta3 = 6 / fabs(top);            /* |1 − ηλ| = 5 on the top direction */
	int mm = spectrum_flow_steps(eta3, top);
	double *w = emalloc((size_t)n * sizeof *w);
	memcpy(u1, u, (size_t)n * sizeof *u);
	memcpy(w, u, (size_t)n * sizeof *u);
	for (int t = 0; t < 50; t++) {
		spectrum_flow(bk, (size_t)n, dense_hvp, &D, u1, eta3, 0, mm, hv, 0);
		spectrum_flow(bk, (size_t)n, dense_hvp, &D, w, eta3, 0, 1, hv, 0);
	}
	double n1 = 0, nw = 0;
	for (int i = 0; i < n; i++)
		n1 += u1[i] * u1[i], nw += w[i] * w[i];
	double minl = lam[0] < 0 ? -lam[0] : 0;  /* negative curvature grows, as exp does */
	CHECK(sqrt(n1 / nu) <= exp(50 * eta3 * minl) * (1 + 1e-9),
	      "flow walk grew %.3g", sqrt(n1 / nu));
	CHECK(sqrt(nw / nu) > 1e20, "the plain walk should explode here (grew %.3g)", sqrt(nw / nu));
	printf("ok - 50 steps at eta*lambda = 6: plain walk grows %.3g, flow (m = %d) %.3g\n",
	       sqrt(nw / nu), mm, sqrt(n1 / nu));

	free(V), free(lam);
	free(t0), free(t1), free(t2), free(u), free(u1), free(hv), free(ex), free(w);
	dense_free(&D);
	printf("spectrum checks passed\n");
	return 0;
}
