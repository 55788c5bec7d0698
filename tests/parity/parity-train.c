/*
 * parity-train.c — a training run on the GPU against the same run on the
 * CPU, step by step: 300 SGD steps of a small conv net with two batch-norm
 * layers and augmentation (crop, flip), on the same batches, through the engine the
 * tools use (the dataset on the device, the batches gathered there, the
 * tally kept there). Each step's loss must agree within LOSS_TOL·max(1, L)
 * and the final θ and running statistics within THETA_TOL·max(1, max|·|):
 * float round-off grows through training, so agreement is close, not bit
 * for bit. The epoch
 * tallies (loss sum, hits) must agree too, and a second GPU run must give
 * the very same bits. Prints "SKIP: no CUDA device" and exits 0 without one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/nn/backend.h"
#include "../../lib/nn/engine.h"
#include "../../lib/nn/sgd.h"
#include "../../lib/util/rand.h"
#include "../../lib/util/util.h"

#define LOSS_TOL 1e-3
#define THETA_TOL 1e-2
#define N 400
#define S 12
#define BATCH 20
#define STEPS 300

static const char *SPEC = "conv:8:3:1,bn,relu,pool,conv:8:3:1,bn,relu,pool,affine";

/* 4 classes, each a bright patch in its own quadrant over noise */
static void make_data(data *d)
{
	rng r;
	rng_init(&r, 11);
	memset(d, 0, sizeof *d);
	d->n = N, d->c = 1, d->h = S, d->w = S, d->classes = 4, d->dim = S * S;
	d->x = emalloc(N * S * S * sizeof *d->x);
	d->y = emalloc(N * sizeof *d->y);
	d->id = emalloc(N * sizeof *d->id);
	for (int i = 0; i < N; i++) {
		int y = (int)rng_below(&r, 4);
		real *x = d->x + (size_t)i * S * S;
		for (int k = 0; k < S * S; k++)
			x[k] = (real)rng_uniform(&r) * 0.3f;
		int oy = 1 + (y / 2) * (S / 2) + (int)rng_below(&r, 2);
		int ox = 1 + (y % 2) * (S / 2) + (int)rng_below(&r, 2);
		for (int dy = 0; dy < 3; dy++)
			for (int dx = 0; dx < 3; dx++)
				x[(oy + dy) * S + ox + dx] = 0.7f + (real)rng_uniform(&r) * 0.3f;
		d->y[i] = y, d->id[i] = (uint64_t)i;
	}
}

typedef struct run {
	engine *e;
	sgd s;
	real *theta, *state;
	double loss[STEPS];
	double tally_loss;
	size_t tally_correct;
} run;

static void train(run *R, const nn_net *net, const data *d, int device, const real *th0,
		  const real *st0)
{
	augment aug;
	if (augment_parse(&aug, "crop:2,flip") < 0)
		die("augment");
	R->e = engine_new(net, BATCH, device, 1);
	R->theta = engine_alloc(R->e, net->nparams);
	R->state = engine_alloc(R->e, net->nstate + 1);
	engine_put(R->e, R->theta, th0, net->nparams);
	engine_put(R->e, R->state, st0, net->nstate);
	sgd_init(&R->s, R->e, net, d, BATCH, &aug, 5, 0, 0, NULL);
	rng r;
	rng_init(&r, 3);
	size_t idx[BATCH];
	uint32_t perm[N];
	for (int t = 0; t < STEPS; t++) {
		int at = (t * BATCH) % N;
		if (at == 0) {
			for (uint32_t i = 0; i < N; i++)
				perm[i] = i;
			rng_shuffle_u32(&r, perm, N);
		}
		for (int j = 0; j < BATCH; j++)
			idx[j] = perm[at + j];
		sgd_step(&R->s, R->theta, R->state, idx, BATCH, t / (N / BATCH), 0.05, SIZE_MAX);
		R->loss[t] = engine_loss(R->e);
	}
	if (sgd_read(&R->s, &R->tally_loss, &R->tally_correct) >= 0)
		die("%s: training diverged", engine_name(R->e));
}

static void done(run *R)
{
	sgd_free(&R->s);
	engine_release(R->e, R->theta), engine_release(R->e, R->state);
	engine_free(R->e);
}

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	if (nn_cuda_devices() == 0) {
		printf("SKIP: no CUDA device\n");
		return 0;
	}
	nn_net net;
	char err[256];
	if (nn_init(&net, SPEC, 1, S, S, 4, err, sizeof err) < 0)
		die("%s", err);
	data d;
	make_data(&d);
	size_t P = net.nparams;
	real *th0 = emalloc(P * sizeof *th0), *st0 = emalloc((net.nstate + 1) * sizeof *st0);
	nn_init_params(&net, th0, st0, 9);

	static run cpu, gpu, gpu2;
	train(&cpu, &net, &d, DEV_CPU, th0, st0);
	train(&gpu, &net, &d, DEV_CUDA, th0, st0);
	train(&gpu2, &net, &d, DEV_CUDA, th0, st0);
	printf("# %s\n", engine_name(gpu.e));
	int fails = 0;

	double worst = 0;
	int at = 0;
	for (int t = 0; t < STEPS; t++) {
		double dl = fabs(cpu.loss[t] - gpu.loss[t]) / fmax(1, fabs(cpu.loss[t]));
		if (dl > worst || isnan(dl))
			worst = dl, at = t;
	}
	printf("%s - per-step loss, %d steps: worst %.3g at step %d (cpu %.6f gpu %.6f), tol %g\n",
	       worst <= LOSS_TOL ? "ok" : "FAIL", STEPS, worst, at, cpu.loss[at], gpu.loss[at],
	       LOSS_TOL);
	fails += !(worst <= LOSS_TOL);

	real *a = emalloc(P * sizeof *a), *b = emalloc(P * sizeof *b), *c = emalloc(P * sizeof *c);
	engine_get(cpu.e, a, cpu.theta, P);
	engine_get(gpu.e, b, gpu.theta, P);
	engine_get(gpu2.e, c, gpu2.theta, P);
	double maxd = 0, maxa = 1;
	for (size_t k = 0; k < P; k++) {
		maxd = fmax(maxd, fabs((double)a[k] - b[k]));
		maxa = fmax(maxa, fabs(a[k]));
	}
	printf("%s - final θ: max |gpu − cpu| %.3g, tol %.3g\n",
	       maxd <= THETA_TOL * maxa ? "ok" : "FAIL", maxd, THETA_TOL * maxa);
	fails += !(maxd <= THETA_TOL * maxa);

	size_t ns = net.nstate;
	real *sa = emalloc((ns + 1) * sizeof *sa), *sb = emalloc((ns + 1) * sizeof *sb);
	engine_get(cpu.e, sa, cpu.state, ns);
	engine_get(gpu.e, sb, gpu.state, ns);
	maxd = 0, maxa = 1;
	for (size_t k = 0; k < ns; k++) {
		maxd = fmax(maxd, fabs((double)sa[k] - sb[k]));
		maxa = fmax(maxa, fabs(sa[k]));
	}
	printf("%s - final running statistics (%zu values): max |gpu − cpu| %.3g, tol %.3g\n",
	       maxd <= THETA_TOL * maxa ? "ok" : "FAIL", ns, maxd, THETA_TOL * maxa);
	fails += !(maxd <= THETA_TOL * maxa);
	free(sa), free(sb);

	double dt = fabs(cpu.tally_loss - gpu.tally_loss) / fmax(1, fabs(cpu.tally_loss));
	long dc = (long)cpu.tally_correct - (long)gpu.tally_correct;
	int tally_ok = dt <= LOSS_TOL && labs(dc) <= (long)(STEPS * BATCH / 100);
	printf("%s - tally: loss sum cpu %.6f gpu %.6f, correct cpu %zu gpu %zu\n",
	       tally_ok ? "ok" : "FAIL", cpu.tally_loss, gpu.tally_loss, cpu.tally_correct,
	       gpu.tally_correct);
	fails += !tally_ok;

	int same = !memcmp(b, c, P * sizeof *b) && !memcmp(gpu.loss, gpu2.loss, sizeof gpu.loss);
	printf("%s - two GPU runs give the same bits\n", same ? "ok" : "FAIL");
	fails += !same;

	done(&cpu), done(&gpu), done(&gpu2);
	free(a), free(b), free(c), free(th0), free(st0);
	free(d.x), free(d.y), free(d.id);
	nn_free(&net);
	return fails != 0;
}
