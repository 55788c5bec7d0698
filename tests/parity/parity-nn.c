/*
 * parity-nn.c — the GPU engine (kernels/nn_cuda.cu) against the CPU
 * reference (lib/nn.c), pass by pass, on seeded random networks covering
 * every layer: loss, per-sample losses, probabilities, ∇L, per-sample
 * ⟨v, ∇ℓ_j⟩, H v, the running statistics after a training forward, and
 * evaluation mode. Prints "SKIP: no CUDA device" and exits 0 without one.
 *
 * Tolerance: max |gpu − cpu| ≤ TOL · max(1, max |cpu|) per output, with
 * TOL from the table below: both are float, but the GPU sums in another
 * order (tree reductions, cuBLAS blocking), so agreement is to float
 * round-off grown through the layers, not bit for bit.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernels/nn_cuda.h"
#include "../../lib/data.h"
#include "../../lib/nn.h"
#include "../../lib/rand.h"
#include "../../lib/util.h"

static const struct { const char *what; double tol; } tols[] = {
	{ "loss", 1e-5 },         /* one reduction over the batch */
	{ "per-sample loss", 1e-5 },
	{ "probabilities", 1e-5 },
	{ "running stats", 1e-5 },
	{ "grad", 1e-4 },         /* products of sums over batch × space */
	{ "<v,g_j>", 1e-4 },
	{ "Hv", 5e-4 },           /* second order: two passes of round-off */
	{ "eval grad", 1e-4 },
};

static int failures;

static double tol_of(const char *what)
{
	for (size_t i = 0; i < sizeof tols / sizeof *tols; i++)
		if (!strcmp(tols[i].what, what))
			return tols[i].tol;
	return 0;
}

static void compare(const char *net, const char *what, const float *cpu, const float *gpu,
		    size_t n)
{
	double maxref = 1, maxd = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(cpu[i]) || !isfinite(gpu[i])) {
			printf("%s(%s): non-finite at %zu: cpu %g gpu %g FAIL\n", what, net, i,
			       cpu[i], gpu[i]);
			failures++;
			return;
		}
		maxref = fabs(cpu[i]) > maxref ? fabs(cpu[i]) : maxref;
		double d = fabs((double)cpu[i] - gpu[i]);
		maxd = d > maxd ? d : maxd;
	}
	double tol = tol_of(what) * maxref;
	if (maxd <= tol) {
		printf("ok - %s(%s): max_diff=%.3g <= %.3g\n", what, net, maxd, tol);
		return;
	}
	printf("%s(%s): max_diff=%.3g > %.3g FAIL\n", what, net, maxd, tol);
	for (size_t i = 0, shown = 0; i < n && shown < 5; i++)
		if (fabs((double)cpu[i] - gpu[i]) > tol)
			printf("    [%zu] cpu %.9g gpu %.9g\n", i, cpu[i], gpu[i]), shown++;
	failures++;
}

static void randn(rng *r, float *x, size_t n, double sd)
{
	for (size_t i = 0; i < n; i++) {
		double u1 = 1 - rng_uniform(r), u2 = rng_uniform(r);
		x[i] = (float)(sd * sqrt(-2 * log(u1)) * cos(2 * M_PI * u2));
	}
}

static void check(const char *spec, int c, int h, int w, int K, int B, uint64_t seed)
{
	nn_net net;
	char err[256];
	if (nn_init(&net, spec, c, h, w, K, err, sizeof err) < 0)
		die("%s", err);
	size_t P = net.nparams, S = net.nstate + 1, nx = (size_t)B * c * h * w;
	rng r;
	rng_init(&r, seed);
	float *th = emalloc(P * 4), *st = emalloc(S * 4), *st2 = emalloc(S * 4);
	float *v = emalloc(P * 4), *x = emalloc(nx * 4);
	int *y = emalloc((size_t)B * sizeof *y);
	nn_init_params(&net, th, st, seed);
	float *noise = emalloc(P * 4);
	randn(&r, noise, P, 0.1);
	for (size_t i = 0; i < P; i++)
		th[i] += noise[i];
	randn(&r, v, P, 1);
	randn(&r, x, nx, 1);
	for (int b = 0; b < B; b++)
		y[b] = (int)rng_below(&r, (uint64_t)K);
	memcpy(st2, st, S * 4);

	nn_ws *ws = nn_ws_new(&net, B);
	nn_cuda *g = nn_cuda_new(&net, B);
	printf("# %s: convolutions: %s\n", spec, nn_cuda_conv(g));
	float *dth = nn_cuda_alloc(P), *dv = nn_cuda_alloc(P), *dst = nn_cuda_alloc(S);
	float *dg = nn_cuda_alloc(P), *dhv = nn_cuda_alloc(P);
	nn_cuda_upload(dth, th, P), nn_cuda_upload(dv, v, P), nn_cuda_upload(dst, st, S);

	float *c1 = emalloc(P * 4), *g1 = emalloc(P * 4);
	float *cl = emalloc((size_t)B * K * 4), *gl = emalloc((size_t)B * K * 4);
	/* the training forward gathers its batch on the device: rows in another
	 * order, shifted and mirrored as lib/data.c does it on the CPU */
	data dd = { .n = (size_t)B, .c = c, .h = h, .w = w, .classes = K,
		    .dim = (size_t)c * h * w, .x = x, .y = y };
	int *row = emalloc((size_t)B * sizeof *row), *ya = emalloc((size_t)B * sizeof *ya);
	signed char *dy = emalloc((size_t)B), *dx = emalloc((size_t)B), *fl = emalloc((size_t)B);
	float *xa = emalloc(nx * 4);
	for (int b = 0; b < B; b++) {
		aug_draw dr = { (signed char)((int)rng_below(&r, 5) - 2),
				(signed char)((int)rng_below(&r, 5) - 2),
				(signed char)rng_below(&r, 2) };
		row[b] = B - 1 - b;
		dy[b] = dr.dy, dx[b] = dr.dx, fl[b] = dr.flip;
		augment_copy(&dd, (size_t)row[b], dr, xa + (size_t)b * dd.dim);
		ya[b] = y[row[b]];
	}
	nn_cuda_data *gd = nn_cuda_data_new(x, y, (size_t)B, dd.dim);
	if (!gd)
		die("nn_cuda_data_new: no room for %d examples", B);
	float lc = (float)nn_forward(&net, ws, th, st, xa, ya, B, B, NN_TRAIN);
	nn_cuda_forward_rows(g, dth, dst, gd, row, dy, dx, fl, B, B, NN_TRAIN);
	nn_cuda_losses(g, gl, NULL);
	double sum = 0;
	for (int b = 0; b < B; b++)
		sum += gl[b];
	float lg = (float)(sum / B);
	compare(spec, "loss", &lc, &lg, 1);
	compare(spec, "per-sample loss", nn_losses(ws), gl, (size_t)B);
	nn_cuda_losses(g, NULL, gl);
	compare(spec, "probabilities", nn_probs(ws), gl, (size_t)B * K);
	nn_cuda_download(st2, dst, S);
	compare(spec, "running stats", st, st2, net.nstate);
	nn_backward(&net, ws, th, c1);
	nn_cuda_backward(g, dth, dg);
	nn_cuda_download(g1, dg, P);
	compare(spec, "grad", c1, g1, P);
	float *grad1 = emalloc(P * 4);
	memcpy(grad1, g1, P * 4);
	nn_rforward(&net, ws, th, v, cl);
	nn_cuda_rforward(g, dth, dv, gl);
	compare(spec, "<v,g_j>", cl, gl, (size_t)B);
	nn_rbackward(&net, ws, th, v, c1);
	nn_cuda_rbackward(g, dth, dv, dhv);
	nn_cuda_download(g1, dhv, P);
	compare(spec, "Hv", c1, g1, P);
	/* both again on the same forward: nothing may depend on what earlier
	 * passes left in the buffers, so the bits must be the same */
	float *again = emalloc(P * 4);
	nn_cuda_backward(g, dth, dg);
	nn_cuda_download(again, dg, P);
	int same = !memcmp(again, grad1, P * 4);
	nn_cuda_rforward(g, dth, dv, NULL);
	nn_cuda_rbackward(g, dth, dv, dhv);
	nn_cuda_download(again, dhv, P);
	same = same && !memcmp(again, g1, P * 4);
	printf("%s - grad and Hv again (%s): the same bits\n", same ? "ok" : "FAIL", spec);
	failures += !same;
	free(again), free(grad1);

	nn_forward(&net, ws, th, st, x, y, B, B, NN_EVAL);
	nn_cuda_upload(dst, st, S);
	nn_cuda_forward(g, dth, dst, x, y, B, B, NN_EVAL);
	nn_backward(&net, ws, th, c1);
	nn_cuda_backward(g, dth, dg);
	nn_cuda_download(g1, dg, P);
	compare(spec, "eval grad", c1, g1, P);

	nn_cuda_data_free(gd);
	free(row), free(ya), free(dy), free(dx), free(fl), free(xa);
	nn_cuda_release(dth), nn_cuda_release(dv), nn_cuda_release(dst);
	nn_cuda_release(dg), nn_cuda_release(dhv);
	nn_cuda_free(g);
	nn_ws_free(ws);
	free(th), free(st), free(st2), free(v), free(x), free(y), free(noise);
	free(c1), free(g1), free(cl), free(gl);
	nn_free(&net);
}

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	if (nn_cuda_devices() == 0) {
		printf("SKIP: no CUDA device\n");
		return 0;
	}
	char desc[256];
	nn_cuda_describe(desc, sizeof desc);
	printf("# %s\n", desc);
	check("conv:3:3:1,bn,relu,conv:4:3:1,relu,pool,affine", 2, 6, 6, 3, 4, 1);
	check("conv:2:3:0,relu,pool,affine:5,relu,affine", 1, 8, 8, 4, 3, 2);
	check("affine:6,bn,relu,affine", 2, 3, 2, 3, 5, 3);
	check("mlp:7", 1, 5, 2, 4, 3, 5);
	check("hara-mnist", 1, 28, 28, 10, 64, 6);
	check("conv6", 1, 32, 32, 10, 32, 7);
	printf("%s\n", failures ? "FAIL" : "all parity checks passed");
	return failures != 0;
}
