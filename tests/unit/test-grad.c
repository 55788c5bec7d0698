/*
 * test-grad.c — the finite-difference oracle for lib/nn/nn.c, compiled in
 * double (-DNN_F64) from the same source. For small random networks that
 * cover every layer type, on random inputs, checks against central
 * differences:
 *   ∇L                 (L(θ+h e_i) − L(θ−h e_i)) / 2h        every parameter
 *   H v                (∇L(θ+h v) − ∇L(θ−h v)) / 2h
 *   ⟨v, ∇ℓ_j⟩          (ℓ_j(θ+h v) − ℓ_j(θ−h v)) / 2h         every sample, in
 *                      training and in evaluation mode
 *   last-layer ∇ℓ_j    the same, per coordinate
 * plus the identities Σ_j ⟨v, ∇ℓ_j⟩ = denom·⟨v, ∇L⟩ and ⟨u, Hv⟩ = ⟨v, Hu⟩.
 * Tolerance: |a − b| ≤ 1e-6 · max(1, |a|, |b|) for h = 1e-5 in double
 * (truncation error O(h²) ≈ 1e-10, round-off ≈ 1e-11); a wrong term in any
 * pass is off by far more.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/nn/nn.h"
#include "../../lib/util/rand.h"
#include "../../lib/util/util.h"
#include "check.h"

#ifndef NN_F64
#error "test-grad is built with -DNN_F64"
#endif

#define H 1e-5
#define TOL 1e-6

static int nchecks;

static void close_to(double a, double b, const char *what, const char *net, size_t i)
{
	double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	double tol = TOL * (m > 1 ? m : 1);
	CHECK(isfinite(a) && isfinite(b) && fabs(a - b) <= tol,
	      "%s: %s[%zu]: analytic %.12g vs finite difference %.12g (diff %.3g > %.3g)",
	      net, what, i, a, b, fabs(a - b), tol);
	nchecks++;
}

static void randn(rng *r, double *x, size_t n, double sd)
{
	for (size_t i = 0; i < n; i++) {
		double u1 = 1 - rng_uniform(r), u2 = rng_uniform(r);
		x[i] = sd * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
	}
}

static double loss_at(const nn_net *net, nn_ws *ws, const double *th, double *state,
		      const double *x, const int *y, int B, double denom, int mode)
{
	(void)net;
	nn_forward(ws, th, state, x, y, B, denom, mode);
	return nn_loss(ws);
}

static void check_net(const char *spec, int c, int h, int w, int K, int B,
		      double denom, int mode, uint64_t seed)
{
	nn_net net;
	char err[256];
	CHECK(nn_init(&net, spec, c, h, w, K, err, sizeof err) == 0, "%s", err);
	size_t P = net.nparams;
	rng r;
	rng_init(&r, seed);
	double *th = emalloc(P * sizeof *th), *state = emalloc((net.nstate + 1) * sizeof *state);
	nn_init_params(&net, th, state, seed);
	/* perturb γ, β and biases away from their initial 1/0 so every term matters */
	double *noise = emalloc(P * sizeof *noise);
	randn(&r, noise, P, 0.3);
	for (size_t i = 0; i < P; i++)
		th[i] += noise[i];
	for (size_t i = 0; i < net.nstate; i++)      /* running mean / var */
		state[i] = i % 2 ? 0.2 * (double)(i % 5) - 0.3 : 0.5 + 0.1 * (double)(i % 7);
	for (int i = 0; i < net.nl; i++)
		if (net.l[i].type == NN_BN)
			for (int k = 0; k < net.l[i].oc; k++)
				state[net.l[i].s + net.l[i].oc + k] = 0.5 + 0.3 * k;
	size_t nx = (size_t)B * c * h * w;
	double *x = emalloc(nx * sizeof *x);
	randn(&r, x, nx, 1.0);
	int *y = emalloc((size_t)B * sizeof *y);
	for (int b = 0; b < B; b++)
		y[b] = (int)rng_below(&r, (uint64_t)K);
	nn_ws *ws = nn_ws_new(&net, B);
	double *g = emalloc(P * sizeof *g), *g2 = emalloc(P * sizeof *g2);
	double *tp = emalloc(P * sizeof *tp);
	/* in NN_TRAIN the running statistics are not touched (state NULL):
	 * the loss depends on θ alone */
	double *st = mode == NN_EVAL ? state : NULL;

	/* ----- gradient, every coordinate */
	loss_at(&net, ws, th, st, x, y, B, denom, mode);
	nn_backward(ws, th, g);
	for (size_t i = 0; i < P; i++) {
		memcpy(tp, th, P * sizeof *tp);
		tp[i] = th[i] + H;
		double lp = loss_at(&net, ws, tp, st, x, y, B, denom, mode);
		tp[i] = th[i] - H;
		double lm = loss_at(&net, ws, tp, st, x, y, B, denom, mode);
		close_to(g[i], (lp - lm) / (2 * H), "grad", spec, i);
	}
	if (mode == NN_EVAL) {
		/* per-sample ⟨v, ∇ℓ_j⟩ with the running statistics held constant
		 * (grad-outlier --layers all); H v is defined on training batches */
		double *v = emalloc(P * sizeof *v), *dots = emalloc((size_t)B * sizeof *dots);
		double *lp = emalloc((size_t)B * sizeof *lp);
		randn(&r, v, P, 1.0);
		loss_at(&net, ws, th, st, x, y, B, denom, mode);
		nn_rforward(ws, th, v, dots);
		for (size_t i = 0; i < P; i++)
			tp[i] = th[i] + H * v[i];
		loss_at(&net, ws, tp, st, x, y, B, denom, mode);
		memcpy(lp, nn_losses(ws), (size_t)B * sizeof *lp);
		for (size_t i = 0; i < P; i++)
			tp[i] = th[i] - H * v[i];
		loss_at(&net, ws, tp, st, x, y, B, denom, mode);
		for (int b = 0; b < B; b++)
			close_to(dots[b], (lp[b] - nn_losses(ws)[b]) / (2 * H),
				 "eval per-sample <v,g_j>", spec, (size_t)b);
		free(v), free(dots), free(lp);
		goto out;
	}

	/* ----- H v, per-sample ⟨v, ∇ℓ_j⟩, and the identities */
	double *v = emalloc(P * sizeof *v), *u = emalloc(P * sizeof *u);
	double *hv = emalloc(P * sizeof *hv), *hu = emalloc(P * sizeof *hu);
	double *dots = emalloc((size_t)B * sizeof *dots);
	double *lp = emalloc((size_t)B * sizeof *lp), *lm = emalloc((size_t)B * sizeof *lm);
	randn(&r, v, P, 1.0);
	randn(&r, u, P, 1.0);
	loss_at(&net, ws, th, NULL, x, y, B, denom, NN_TRAIN);
	nn_backward(ws, th, g);
	nn_rforward(ws, th, v, dots);
	nn_rbackward(ws, th, v, hv);
	for (size_t i = 0; i < P; i++)
		tp[i] = th[i] + H * v[i];
	loss_at(&net, ws, tp, NULL, x, y, B, denom, NN_TRAIN);
	memcpy(lp, nn_losses(ws), (size_t)B * sizeof *lp);
	nn_backward(ws, tp, g2);
	double *gp = emalloc(P * sizeof *gp);
	memcpy(gp, g2, P * sizeof *gp);
	for (size_t i = 0; i < P; i++)
		tp[i] = th[i] - H * v[i];
	loss_at(&net, ws, tp, NULL, x, y, B, denom, NN_TRAIN);
	memcpy(lm, nn_losses(ws), (size_t)B * sizeof *lm);
	nn_backward(ws, tp, g2);
	for (size_t i = 0; i < P; i++)
		close_to(hv[i], (gp[i] - g2[i]) / (2 * H), "Hv", spec, i);
	double sum = 0, gv = 0;
	for (int b = 0; b < B; b++) {
		close_to(dots[b], (lp[b] - lm[b]) / (2 * H), "per-sample <v,g_j>", spec, (size_t)b);
		sum += dots[b];
	}
	for (size_t i = 0; i < P; i++)
		gv += g[i] * v[i];
	close_to(sum, denom * gv, "sum_j <v,g_j> = denom <v,grad L>", spec, 0);
	/* the backward without parameter gradients (grad NULL) leaves what
	 * H v needs: the same H v, bit for bit; then H u for the symmetry */
	loss_at(&net, ws, th, NULL, x, y, B, denom, NN_TRAIN);
	nn_backward(ws, th, NULL);
	nn_rforward(ws, th, v, NULL);
	nn_rbackward(ws, th, v, g2);
	for (size_t i = 0; i < P; i++) {
		CHECK(g2[i] == hv[i], "%s: Hv[%zu] after a backward without grad: %.17g, want %.17g",
		      spec, i, g2[i], hv[i]);
		nchecks++;
	}
	nn_rforward(ws, th, u, NULL);
	nn_rbackward(ws, th, u, hu);
	double uhv = 0, vhu = 0;
	for (size_t i = 0; i < P; i++)
		uhv += u[i] * hv[i], vhu += v[i] * hu[i];
	close_to(uhv, vhu, "symmetry <u,Hv> = <v,Hu>", spec, 0);

	/* ----- last-layer per-sample gradients */
	const nn_layer *L = &net.l[net.nl - 1];
	size_t row = L->nw + L->nb;
	double *lg = emalloc((size_t)B * row * sizeof *lg);
	loss_at(&net, ws, th, NULL, x, y, B, denom, NN_TRAIN);
	nn_last_layer_grads(ws, lg);
	for (size_t k = 0; k < row; k += 1 + row / 40) {
		memcpy(tp, th, P * sizeof *tp);
		tp[L->w + k] += H;
		loss_at(&net, ws, tp, NULL, x, y, B, denom, NN_TRAIN);
		memcpy(lp, nn_losses(ws), (size_t)B * sizeof *lp);
		tp[L->w + k] -= 2 * H;
		loss_at(&net, ws, tp, NULL, x, y, B, denom, NN_TRAIN);
		for (int b = 0; b < B; b++)
			close_to(lg[(size_t)b * row + k], (lp[b] - nn_losses(ws)[b]) / (2 * H),
				 "last-layer g_j", spec, k);
	}
	free(lg), free(v), free(u), free(hv), free(hu), free(dots), free(lp), free(lm), free(gp);
out:
	nn_ws_free(ws);
	free(th), free(state), free(noise), free(x), free(y), free(g), free(g2), free(tp);
	nn_free(&net);
}

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	/* every layer: conv (padded and not), bn, relu, pool, gap, affine */
	check_net("conv:3:3:1,bn,relu,conv:4:3:1,relu,pool,affine", 2, 6, 6, 3, 4, 4, NN_TRAIN, 1);
	check_net("conv:2:3:0,relu,pool,affine:5,relu,affine", 1, 8, 8, 4, 3, 3, NN_TRAIN, 2);
	/* bn after an affine layer (statistics over the batch alone) */
	check_net("affine:6,bn,relu,affine", 2, 3, 2, 3, 5, 5, NN_TRAIN, 3);
	check_net("linear", 1, 4, 3, 3, 4, 4, NN_TRAIN, 4);
	check_net("mlp:7", 1, 5, 2, 4, 3, 3, NN_TRAIN, 5);
	/* a batch with left-out samples keeps its original divisor */
	check_net("conv:3:3:1,bn,relu,pool,affine", 1, 4, 4, 3, 3, 5, NN_TRAIN, 6);
	/* evaluation mode: bn with running statistics */
	check_net("conv:3:3:1,bn,relu,conv:4:3:1,relu,pool,affine", 2, 6, 6, 3, 4, 4, NN_EVAL, 7);
	check_net("affine:6,bn,relu,affine", 2, 3, 2, 3, 5, 5, NN_EVAL, 8);
	/* global average pooling (ResNet-style heads): after a conv, after bn,
	 * as the first layer, and in evaluation mode */
	check_net("conv:3:3:1,relu,conv:4:3:1,gap,affine", 2, 5, 5, 3, 4, 4, NN_TRAIN, 9);
	check_net("conv:4:3:1,bn,relu,gap,affine", 1, 6, 4, 3, 3, 5, NN_TRAIN, 10);
	check_net("gap,affine:5,relu,affine", 3, 4, 4, 3, 4, 4, NN_TRAIN, 11);
	check_net("conv:4:3:1,bn,relu,gap,affine", 1, 6, 4, 3, 3, 3, NN_EVAL, 12);
	printf("%d derivative checks passed\n", nchecks);
	return 0;
}
