/*
 * spectrum.c — power iteration and gradient-flow sub-steps over HVPs (see
 * spectrum.h). Every vector operation goes through the backend's table, so
 * the same code runs on the CPU and on a GPU.
 */
#include "spectrum.h"

#include <math.h>
#include <stdlib.h>

#include "../util/rand.h"
#include "../util/util.h"

power_result spectrum_power(const nn_backend *bk, size_t n, hvp_fn hvp, void *ctx,
			    int max_iter, double tol, uint64_t seed, real *tmp[3])
{
	power_result r = { 0, INFINITY, 0 };
	real *v = tmp[0], *hv = tmp[1];
	real *h = emalloc(emul(n ? n : 1, sizeof *h));
	rng g;
	rng_init_for(&g, seed, "power iteration");
	for (size_t i = 0; i < n; i++)
		h[i] = (real)(rng_uniform(&g) - 0.5);
	bk->put(bk->ctx, v, h, n);
	free(h);
	double norm = sqrt(bk->dot(bk->ctx, v, v, n));
	bk->axpby(bk->ctx, v, 0, v, 1 / norm, n);
	for (r.iters = 1; r.iters <= max_iter; r.iters++) {
		hvp(ctx, hv, v);
		double lambda = bk->dot(bk->ctx, v, hv, n);     /* ‖v‖ = 1 */
		double hn = sqrt(bk->dot(bk->ctx, hv, hv, n));
		r.change = r.iters > 1 ? fabs(lambda - r.lambda) / fmax(fabs(lambda), 1e-30) : INFINITY;
		r.lambda = lambda;
		if (hn == 0 || !isfinite(hn))
			break;
		bk->axpby(bk->ctx, v, 1 / hn, hv, 0, n);        /* v ← Hv / ‖Hv‖ */
		if (r.change <= tol)
			break;
	}
	if (r.iters > max_iter)
		r.iters = max_iter;
	return r;
}

void spectrum_flow(const nn_backend *bk, size_t n, hvp_fn hvp, void *ctx, real *u,
		   double eta, double wd, int m, real *hv, int hv_ready)
{
	for (int k = 0; k < m; k++) {
		if (k > 0 || !hv_ready)
			hvp(ctx, hv, u);
		bk->u_update(bk->ctx, u, hv, n, eta / m, wd);
	}
}

int spectrum_flow_steps(double eta, double lambda)
{
	double m = ceil(2 * eta * fabs(lambda));
	return m < 1 || !isfinite(m) ? 1 : m > 1e6 ? 1000000 : (int)m;
}
