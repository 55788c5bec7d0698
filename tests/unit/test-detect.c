/*
 * test-detect.c — grad-outlier's detectors (lib/score/detect.c) against the
 * network's own backward pass and against the gradient written out:
 *  - the outer product (p − onehot(y)) ⊗ h, from one batched forward pass
 *    in evaluation mode, equals the last affine layer's weight slice of
 *    nn_backward on that example alone (batch of 1, NN_EVAL, batch-norm
 *    on its running statistics), to float round-off;
 *  - ‖a‖₂‖h‖₂ and ‖a‖₁‖h‖₁ equal the L2 and L1 norms of the materialised
 *    K·F gradient, and detect_src reads the same entries;
 *  - --layers all: the projections ⟨r, ∇ℓ_j⟩ from batched evaluation-mode
 *    R-forward passes equal R times that whole per-example gradient
 *    (every parameter), and ‖R g‖² averages ‖g‖² (the sparse projection's
 *    entries have the Achlioptas distribution);
 *  - the prediction baselines on hand-computed probabilities.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/nn/data.h"
#include "../../lib/nn/engine.h"
#include "../../lib/nn/nn.h"
#include "../../lib/score/detect.h"
#include "../../lib/util/rand.h"
#include "check.h"

enum { N = 24, C = 1, H = 16, W = 16, K = 4, BS = 16, KP = 64 };

static void test_outer_product(const char *spec)
{
	nn_net net;
	char err[256];
	CHECK(nn_init(&net, spec, C, H, W, K, err, sizeof err) == 0, "%s", err);
	real *theta = malloc(net.nparams * sizeof *theta);
	real *state = malloc((net.nstate + 1) * sizeof *state);
	nn_init_params(&net, theta, state, 7);
	/* running statistics that are not the identity, so evaluation mode is
	 * visibly not training mode */
	rng r;
	rng_init(&r, 11);
	for (size_t i = 0; i < net.nstate; i++)
		state[i] = (real)(0.5 + rng_uniform(&r));
	data d;
	memset(&d, 0, sizeof d);
	d.n = N, d.c = C, d.h = H, d.w = W, d.classes = K, d.dim = C * H * W;
	d.x = malloc(N * d.dim * sizeof *d.x);
	d.y = malloc(N * sizeof *d.y);
	d.id = malloc(N * sizeof *d.id);
	for (size_t i = 0; i < N * d.dim; i++)
		d.x[i] = (real)rng_uniform(&r);
	for (int i = 0; i < N; i++)
		d.y[i] = (int)rng_below(&r, K), d.id[i] = (uint64_t)i;

	engine *e = engine_new(&net, BS, DEV_CPU, 1);
	const nn_layer *L = &net.l[net.nl - 1];
	int F = L->ic * L->ih * L->iw;
	CHECK(L->nw == (size_t)K * F, "%s: last layer %zu weights, want %d", spec, L->nw, K * F);
	real *a = malloc(N * K * sizeof *a), *h = malloc((size_t)N * F * sizeof *h);
	real *p = malloc(N * K * sizeof *p), *loss = malloc(N * sizeof *loss);
	/* batched, as grad-outlier does */
	for (size_t at = 0; at < N; at += BS) {
		int B = N - at < BS ? (int)(N - at) : BS, F2;
		batch b = { .d = &d, .n = B, .first = at };
		engine_forward(e, theta, state, &b, B, NN_EVAL);
		const real *pb = engine_probs(e), *hb = engine_features(e, &F2), *lb = engine_losses(e);
		CHECK(F2 == F, "features %d, want %d", F2, F);
		memcpy(p + at * K, pb, (size_t)B * K * sizeof *p);
		memcpy(h + at * F, hb, (size_t)B * F * sizeof *h);
		memcpy(loss + at, lb, (size_t)B * sizeof *loss);
		for (int j = 0; j < B; j++)
			detect_residual(a + (at + j) * K, pb + (size_t)j * K, d.y[at + j], K);
	}
	/* --layers all: k R-forward passes per batch, as grad-outlier does */
	size_t P = net.nparams;
	real *R = malloc(KP * P * sizeof *R), *proj = malloc(N * KP * sizeof *proj);
	real *dots = malloc(BS * sizeof *dots);
	detect_projection(R, KP, P, 5);
	for (size_t at = 0; at < N; at += BS) {
		int B = N - at < BS ? (int)(N - at) : BS;
		batch b = { .d = &d, .n = B, .first = at };
		engine_forward(e, theta, state, &b, B, NN_EVAL);
		for (int q = 0; q < KP; q++) {
			engine_rforward(e, theta, R + (size_t)q * P, dots);
			for (int j = 0; j < B; j++)
				proj[(at + j) * KP + q] = dots[j];
		}
	}
	double ratio = 0, pworst = 0;
	/* each example alone through the backward pass */
	real *grad = malloc(net.nparams * sizeof *grad);
	real *g = malloc((size_t)K * F * sizeof *g);
	double worst = 0;
	for (size_t i = 0; i < N; i++) {
		batch b = { .d = &d, .n = 1, .first = i };
		engine_forward(e, theta, state, &b, 1, NN_EVAL);
		engine_backward(e, theta, grad);
		double scale = 0, l2 = 0, l1 = 0;
		for (size_t q = 0; q < L->nw; q++)
			scale = fmax(scale, fabs(grad[L->w + q]));
		for (int k = 0; k < K; k++)
			for (int f = 0; f < F; f++) {
				double want = grad[L->w + (size_t)k * F + f];
				double got = (double)a[i * K + k] * h[i * F + f];
				g[(size_t)k * F + f] = (real)got;
				double diff = fabs(got - want);
				worst = fmax(worst, diff / (scale + 1e-30));
				CHECK(diff <= 1e-5 * scale + 1e-7, "%s: example %zu entry (%d,%d): "
				      "outer product %.9g, backward %.9g", spec, i, k, f, got, want);
				l2 += want * want;
				l1 += fabs(want);
			}
		/* the factorised norms against the materialised gradient */
		double s2 = detect_score(DET_OGA_L2, p + i * K, loss[i], d.y[i], K, h + i * F, F);
		double s1 = detect_score(DET_OGA_L1, p + i * K, loss[i], d.y[i], K, h + i * F, F);
		CHECK(fabs(-s2 - sqrt(l2)) <= 1e-5 * sqrt(l2), "%s: example %zu: L2 %.9g, "
		      "materialised %.9g", spec, i, -s2, sqrt(l2));
		CHECK(fabs(-s1 - l1) <= 1e-5 * l1, "%s: example %zu: L1 %.9g, materialised %.9g",
		      spec, i, -s1, l1);
		/* R g_i with g_i the whole gradient, in double */
		double gg = 0, rg2 = 0;
		for (size_t q = 0; q < P; q++)
			gg += (double)grad[q] * grad[q];
		for (int q = 0; q < KP; q++) {
			double want = 0, mag = 0;
			for (size_t c = 0; c < P; c++) {
				want += (double)R[(size_t)q * P + c] * grad[c];
				mag += fabs((double)R[(size_t)q * P + c] * grad[c]);
			}
			double got = proj[i * KP + q];
			pworst = fmax(pworst, fabs(got - want) / (mag + 1e-30));
			CHECK(fabs(got - want) <= 1e-4 * mag + 1e-7, "%s: example %zu row %d: "
			      "projected %.9g, R g %.9g (sum |R g| %.3g)", spec, i, q, got, want, mag);
			rg2 += want * want;
		}
		ratio += rg2 / (gg + 1e-30) / N;
		double lw = -log(fmax(p[i * K + d.y[i]], 1e-30));
		CHECK(fabs(loss[i] - lw) <= 1e-4 * fmax(1, lw), "loss %g, -log p_y %g", loss[i], lw);
	}
	/* the isolation forest's view of the same matrix */
	detect_grads dg = { .n = N, .K = K, .F = F, .a = a, .h = h };
	iforest_src src = detect_src(&dg);
	CHECK(src.d == (size_t)K * F, "source has %zu columns", src.d);
	for (size_t i = 0; i < N; i += 5)
		for (size_t j = 0; j < src.d; j += 7)
			CHECK(src.get(src.ctx, i, j) == (double)a[i * K + j / F] * h[i * F + j % F],
			      "entry (%zu,%zu)", i, j);
	/* E‖R g‖² = ‖g‖² over projections: the last example's gradient (still in
	 * grad) through 16 seeds. One ratio's standard deviation is at most
	 * about 3·√(64·(1/3)(2/3))/64 ≈ 0.18 (g on a single coordinate), so
	 * the mean of 16 is within ±0.2 by more than 4 of its deviations */
	double gg = 0, mean16 = 0;
	for (size_t c = 0; c < P; c++)
		gg += (double)grad[c] * grad[c];
	for (uint64_t sd = 100; sd < 116; sd++) {
		detect_projection(R, KP, P, sd);
		for (int q = 0; q < KP; q++) {
			double rg = 0;
			for (size_t c = 0; c < P; c++)
				rg += (double)R[(size_t)q * P + c] * grad[c];
			mean16 += rg * rg / gg / 16;
		}
	}
	CHECK(mean16 > 0.8 && mean16 < 1.2, "%s: |R g|^2 / |g|^2 over 16 projections: %.3f",
	      spec, mean16);
	size_t cnt[3] = { 0, 0, 0 };
	double amp = sqrt(3.0 / KP);
	for (size_t q = 0; q < KP * P; q++) {
		int c = R[q] == 0 ? 0 : fabs(R[q] - amp) < 1e-6 ? 1 : fabs(R[q] + amp) < 1e-6 ? 2 : -1;
		CHECK(c >= 0, "projection entry %g is not 0 or ±sqrt(3/k)", R[q]);
		cnt[c]++;
	}
	double tot = (double)(KP * P);
	CHECK(fabs(cnt[0] / tot - 2.0 / 3) < 0.02 && fabs(cnt[1] / tot - 1.0 / 6) < 0.02 &&
	      fabs(cnt[2] / tot - 1.0 / 6) < 0.02, "projection: %zu zeros, %zu +, %zu -",
	      cnt[0], cnt[1], cnt[2]);
	printf("%s: outer product vs backward, worst relative difference %.2g; projection vs "
	       "R g, worst %.2g; |Rg|^2/|g|^2 mean over examples %.3f, over 16 projections "
	       "%.3f\n", spec, worst, pworst, ratio, mean16);
	free(R), free(proj), free(dots);
	engine_free(e);
	free(theta), free(state), free(grad), free(g), free(a), free(h), free(p), free(loss);
	data_free(&d);
	nn_free(&net);
}

static void test_baselines(void)
{
	real p[3] = { 0.7f, 0.2f, 0.1f }, h[2] = { 1, -2 };
	double l = -log(0.2);
	/* a = (0.7, −0.8, 0.1): ‖a‖₂ = √1.14, ‖a‖₁ = 1.6; ‖h‖₂ = √5, ‖h‖₁ = 3 */
	CHECK(fabs(detect_score(DET_OGA_L2, p, l, 1, 3, h, 2) + sqrt(1.14 * 5)) < 1e-6, "l2");
	CHECK(fabs(detect_score(DET_OGA_L1, p, l, 1, 3, h, 2) + 1.6 * 3) < 1e-6, "l1");
	CHECK(detect_score(DET_LOSS, p, l, 1, 3, h, 2) == -l, "loss");
	CHECK(fabs(detect_score(DET_SELF_CONFIDENCE, p, l, 1, 3, h, 2) + 0.8) < 1e-6, "sc");
	/* (0.2 − 0.7 + 1)/2 − 1 = −0.75; label 0: (0.7 − 0.2 + 1)/2 − 1 = −0.25 */
	CHECK(fabs(detect_score(DET_MARGIN, p, l, 1, 3, h, 2) + 0.75) < 1e-6, "margin");
	CHECK(fabs(detect_score(DET_MARGIN, p, l, 0, 3, h, 2) + 0.25) < 1e-6, "margin 0");
	double ent = -(0.7 * log(0.7) + 0.2 * log(0.2) + 0.1 * log(0.1)) / log(3);
	double x = ent / 0.2;
	CHECK(fabs(detect_score(DET_ENTROPY, p, l, 1, 3, h, 2) - (log(x + 1) / x - 1)) < 1e-6,
	      "entropy");
	/* the wrong label scores lower than the right one, every baseline */
	for (int m = DET_SELF_CONFIDENCE; m <= DET_ENTROPY; m++)
		CHECK(detect_score(m, p, 0, 2, 3, h, 2) < detect_score(m, p, 0, 0, 3, h, 2),
		      "%s orders labels", detect_name(m));
	/* a certain, right prediction is the cleanest there is (cleanlab clips x at
	 * 1e-6 and then calls it suspect; we take the limit, q → 1) */
	real sure[3] = { 1, 0, 0 };
	CHECK(detect_score(DET_ENTROPY, sure, 0, 0, 3, h, 2) == 0, "entropy of a sure right label");
	for (int m = 0; m < DET_NMETHODS; m++)
		CHECK(detect_parse(detect_name(m)) == m, "parse %s", detect_name(m));
	CHECK(detect_parse("oga") == -1, "unknown");
}

int main(void)
{
	test_baselines();
	test_outer_product("conv:4:3:1,bn,relu,pool,affine");
	test_outer_product("hara-mnist");
	test_outer_product("mlp:12");
	return 0;
}
