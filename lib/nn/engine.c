/*
 * engine.c — where the network computes (see engine.h): the engine picks a
 * backend (lib/nn/backend.h: the CPU's, lib/nn/cpu.c, or CUDA's,
 * kernels/nn_cuda.cu) and decides where data lives — batches gathered on
 * the host or, for a dataset copied to the device, on the device. Every
 * computation goes through the backend's table: no maths here.
 */
#include "engine.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/util.h"

#define NDATA 4     /* datasets kept on the device at once */

struct engine {
	const nn_net *net;
	int cuda, max_batch;
	nn_backend *bk;
	nn_ws *ws;
	real *xb;               /* a batch gathered on the host */
	int *yb;
	real *loss, *probs;     /* host copies of the last forward's (device) */
	int have_loss, have_probs;
	real *feat, *featT, *logit, *logitT;    /* (F, B) / (K, B) and as rows */
	char name[384];
#ifdef HAVE_CUDA
	nn_cuda *g;
	struct {
		const data *d;
		const real *x;
		size_t n;
		uint32_t digest;
		nn_cuda_data *g;        /* NULL: did not fit; gathered on the host */
	} dev[NDATA];
	int *row;
	signed char *dy, *dx, *flip;
#endif
};

/* OpenMP threads that finish their part of a loop wait for the next one,
 * spinning (libgomp: 300,000 turns) before they sleep. On a machine whose
 * cores are busy with other work that spinning takes the core the late
 * thread needs: conv6 training at 2 threads beside one other job took 3.7×
 * the time it took with OMP_WAIT_POLICY=passive (make bench). Where the
 * cores are free, sleeping at once costs instead: a training step runs 20
 * (hara-mnist) to 60 (conv6) loops, and waking a sleeping thread for each
 * took 25-35 % of a 2-thread step (docs/cpu.md). So a program that computes
 * looks at the machine when it starts: when no other task is runnable
 * (busy_machine), its threads spin SPIN turns (0.36 ms on the machine of
 * docs/cpu.md, a tenth of libgomp's default) and then sleep; else they
 * sleep at once. libgomp reads its settings only when it loads, and a
 * setenv before that (in the program's pre-initialisation) is not honoured
 * by libgomp 12, so a program started without OMP_WAIT_POLICY or
 * GOMP_SPINCOUNT runs itself again with one of them, before it has read
 * anything; the user's own setting wins. Where /proc/self/exe cannot be
 * run it carries on. Only the programs that compute (they run OpenMP loops)
 * pay the second start. */
#define SPIN "30000"

/* another task runnable now, on a machine busy over the last minute
 * (/proc/loadavg: its count of runnable tasks includes this program;
 * CLEANSE_LOADAVG names a stand-in file, for the tests); unreadable: busy */
static int busy_machine(void)
{
	const char *path = getenv("CLEANSE_LOADAVG");
	FILE *f = fopen(path ? path : "/proc/loadavg", "r");
	double load1 = 0;
	int run = 0, all = 0;
	int ok = f && fscanf(f, "%lf %*f %*f %d/%d", &load1, &run, &all) == 3;
	if (f)
		fclose(f);
	return !ok || (run > 1 && load1 >= 0.5);
}

void engine_start(int argc, char **argv)
{
	if (!getenv("OMP_WAIT_POLICY") && !getenv("GOMP_SPINCOUNT") && argv && argv[0]) {
		int busy = busy_machine();
		if (setenv(busy ? "OMP_WAIT_POLICY" : "GOMP_SPINCOUNT", busy ? "passive" : SPIN,
			   0) == 0)
			execv("/proc/self/exe", argv);
	}
	util_start(argc, argv);
}

int engine_parse(const char *s)
{
	if (!strcmp(s, "auto"))
		return DEV_AUTO;
	if (!strcmp(s, "cpu"))
		return DEV_CPU;
	if (!strcmp(s, "cuda"))
		return DEV_CUDA;
	die_usage("bad --device '%s' (want auto, cpu or cuda)", s);
}

void engine_threads(const char *s)
{
	int n = (int)estrtou64(s, 256, "--threads");
	if (n)
		omp_set_num_threads(n);
}

/* CUDA when asked for or (auto) present and the build has it; --device cpu
 * does not look (counting devices starts the CUDA driver) */
static int want_cuda(int device, int quiet)
{
#ifdef HAVE_CUDA
	if (device == DEV_CPU)
		return 0;
	int have = nn_cuda_devices() > 0;
	if (device == DEV_CUDA && !have)
		die("--device cuda: no CUDA device");
	if (device == DEV_AUTO && !have && !quiet)
		warn("no CUDA device; computing on the CPU");
	return have;
#else
	(void)quiet;
	if (device == DEV_CUDA)
		die("--device cuda: built without CUDA (nvcc was not found)");
	return 0;
#endif
}

engine *engine_new(const nn_net *net, int max_batch, int device, int quiet)
{
	engine *e = ecalloc(1, sizeof *e);
	e->net = net;
	e->max_batch = max_batch;
	e->xb = emalloc(emul((size_t)max_batch, (size_t)net->c * net->h * net->w * sizeof *e->xb));
	e->yb = emalloc((size_t)max_batch * sizeof *e->yb);
	e->cuda = want_cuda(device, quiet);
	strcpy(e->name, "cpu");
#ifdef HAVE_CUDA
	if (e->cuda) {
		e->g = nn_cuda_new(net, max_batch);
		e->bk = nn_cuda_backend(e->g);
		e->loss = emalloc((size_t)max_batch * sizeof *e->loss);
		e->probs = emalloc((size_t)max_batch * net->classes * sizeof *e->probs);
		e->row = emalloc((size_t)max_batch * sizeof *e->row);
		e->dy = emalloc((size_t)max_batch), e->dx = emalloc((size_t)max_batch);
		e->flip = emalloc((size_t)max_batch);
		char dev[160];
		nn_cuda_describe(dev, sizeof dev);
		snprintf(e->name, sizeof e->name, "%s; convolutions: %s", dev, nn_cuda_conv(e->g));
	}
#endif
	if (!e->cuda) {
		e->bk = nn_cpu_new(net, max_batch);
		snprintf(e->name, sizeof e->name, "cpu; convolutions: %s", nn_cpu_conv(e->bk));
	}
	e->ws = nn_ws_new_on(net, e->bk, max_batch);
	return e;
}

void engine_free(engine *e)
{
	if (!e)
		return;
	nn_ws_free(e->ws);
#ifdef HAVE_CUDA
	for (int k = 0; k < NDATA; k++)
		nn_cuda_data_free(e->dev[k].g);
	nn_cuda_free(e->g);
	free(e->row), free(e->dy), free(e->dx), free(e->flip);
#endif
	if (!e->cuda)
		nn_cpu_free(e->bk);
	free(e->xb), free(e->yb);
	free(e->loss), free(e->probs);
	free(e->feat), free(e->featT), free(e->logit), free(e->logitT);
	free(e);
}

size_t engine_nparams(const engine *e)
{
	return e->net->nparams;
}

int engine_is_cuda(const engine *e) { return e->cuda; }
const nn_backend *engine_backend(const engine *e) { return e->bk; }
const char *engine_name(const engine *e) { return e->name; }

real *engine_alloc(engine *e, size_t n)
{
	return e->bk->alloc(e->bk->ctx, emul(n ? n : 1, sizeof(real)));
}

void engine_release(engine *e, real *v) { e->bk->release(e->bk->ctx, v); }
void engine_put(engine *e, real *dst, const real *host, size_t n) { e->bk->put(e->bk->ctx, dst, host, n); }
void engine_get(engine *e, real *host, const real *src, size_t n) { e->bk->get(e->bk->ctx, host, src, n); }

/* the batch's inputs and labels on the host: pointers into the dataset
 * when it is a plain run of rows, else gathered into xb, yb */
static void host_batch(engine *e, const batch *b, const real **x, const int **y)
{
	const data *d = b->d;
	if (!b->row && !b->aug) {
		*x = d->x + b->first * d->dim, *y = d->y + b->first;
		return;
	}
	static const aug_draw none = { 0, 0, 0 };
	for (int j = 0; j < b->n; j++) {
		size_t i = b->row ? b->row[j] : b->first + (size_t)j;
		augment_copy(d, i, b->aug ? b->aug[j] : none, e->xb + (size_t)j * d->dim);
		e->yb[j] = d->y[i];
	}
	*x = e->xb, *y = e->yb;
}

#ifdef HAVE_CUDA
/* the dataset's copy on the device, made at its first batch; NULL where it
 * does not fit (or more than NDATA datasets are in use) */
static nn_cuda_data *on_device(engine *e, const data *d)
{
	int k;
	for (k = 0; k < NDATA && e->dev[k].d; k++)
		if (e->dev[k].d == d && e->dev[k].x == d->x && e->dev[k].n == d->n &&
		    e->dev[k].digest == d->digest)
			return e->dev[k].g;
	if (k == NDATA)
		return NULL;
	e->dev[k].d = d, e->dev[k].x = d->x, e->dev[k].n = d->n, e->dev[k].digest = d->digest;
	e->dev[k].g = nn_cuda_data_new(d->x, d->y, d->n, d->dim);
	return e->dev[k].g;
}

/* the batch gathered on the device from its copy there; 0 if it has none */
static int device_batch(engine *e, const batch *b)
{
	nn_cuda_data *g = on_device(e, b->d);
	if (!g)
		return 0;
	for (int j = 0; j < b->n; j++) {
		e->row[j] = (int)(b->row ? b->row[j] : b->first + (size_t)j);
		if (b->aug)
			e->dy[j] = b->aug[j].dy, e->dx[j] = b->aug[j].dx, e->flip[j] = b->aug[j].flip;
	}
	int *y;
	real *a0 = nn_ws_input(e->ws, &y);
	nn_cuda_gather(e->g, a0, y, g, e->row, b->aug ? e->dy : NULL, e->dx, e->flip, b->n);
	return 1;
}
#else
static int device_batch(engine *e, const batch *b)
{
	(void)e, (void)b;
	return 0;
}
#endif

void engine_forward(engine *e, const real *theta, real *state, const batch *b,
		    double denom, int mode)
{
	const data *d = b->d;
	if (b->n < 1 || b->n > e->max_batch)
		die("engine: batch of %d outside 1..%d", b->n, e->max_batch);
	if (d->dim != (size_t)e->net->c * e->net->h * e->net->w)
		die("engine: examples of %zu values, the network takes %d", d->dim,
		    e->net->c * e->net->h * e->net->w);
	e->have_loss = e->have_probs = 0;
	const real *x = NULL;
	const int *y = NULL;
	if (!e->cuda || !device_batch(e, b))
		host_batch(e, b, &x, &y);
	nn_forward(e->ws, theta, state, x, y, b->n, denom, mode);
}

/* a per-sample result of the last forward on the host */
static const real *host_copy(engine *e, const real *src, real *copy, int *have, size_t n)
{
	if (e->bk->host)
		return src;
	if (!*have)
		e->bk->get(e->bk->ctx, copy, src, n);
	*have = 1;
	return copy;
}

const real *engine_losses(engine *e)
{
	return host_copy(e, nn_losses(e->ws), e->loss, &e->have_loss, (size_t)nn_batch(e->ws));
}

const real *engine_probs(engine *e)
{
	return host_copy(e, nn_probs(e->ws), e->probs, &e->have_probs,
			 (size_t)nn_batch(e->ws) * e->net->classes);
}

/* a (N, B) matrix of the last forward as (B, N) host rows */
static const real *host_rows(engine *e, const real *src, real **col, real **rows, size_t N)
{
	size_t B = (size_t)nn_batch(e->ws);
	if (!*col) {
		*col = emalloc(emul(N, (size_t)e->max_batch * sizeof(real)));
		*rows = emalloc(emul(N, (size_t)e->max_batch * sizeof(real)));
	}
	e->bk->get(e->bk->ctx, *col, src, N * B);
	for (size_t n = 0; n < N; n++)
		for (size_t b = 0; b < B; b++)
			(*rows)[b * N + n] = (*col)[n * B + b];
	return *rows;
}

const real *engine_features(engine *e, int *F)
{
	const real *f = nn_features(e->ws, F);
	return host_rows(e, f, &e->feat, &e->featT, (size_t)*F);
}

const real *engine_logits(engine *e)
{
	return host_rows(e, nn_logits(e->ws), &e->logit, &e->logitT, (size_t)e->net->classes);
}

double engine_loss(engine *e)
{
	const real *l = engine_losses(e);
	double total = 0;
	for (int b = 0; b < nn_batch(e->ws); b++)
		total += l[b];
	return total / nn_denom(e->ws);
}

void engine_tally(engine *e, long tag)
{
	e->bk->tally(e->bk->ctx, nn_losses(e->ws), nn_probs(e->ws), nn_labels(e->ws),
		     nn_batch(e->ws), e->net->classes, nn_denom(e->ws), tag);
}

long engine_tally_read(engine *e, double *loss_sum, size_t *correct)
{
	nn_tally t;
	e->bk->tally_read(e->bk->ctx, &t);
	if (loss_sum)
		*loss_sum = t.loss;
	if (correct)
		*correct = (size_t)t.correct;
	return (long)t.bad;
}

void engine_tally_reset(engine *e) { e->bk->tally_reset(e->bk->ctx); }

void engine_backward(engine *e, const real *theta, real *grad)
{
	nn_backward(e->ws, theta, grad);
}

void engine_rforward(engine *e, const real *theta, const real *v, real *dots)
{
	nn_rforward(e->ws, theta, v, dots);
}

void engine_rbackward(engine *e, const real *theta, const real *v, real *hv)
{
	nn_rbackward(e->ws, theta, v, hv);
}

void engine_gnvp(engine *e, const real *theta, real *gv)
{
	nn_gnvp(e->ws, theta, gv);
}

void engine_sgd(engine *e, real *theta, const real *grad, real *vel, size_t n,
		double lr, double wd, double mom)
{
	e->bk->sgd(e->bk->ctx, theta, grad, vel, n, lr, wd, mom);
}

void engine_u_update(engine *e, real *u, const real *hv, size_t n, double a, double wd)
{
	e->bk->u_update(e->bk->ctx, u, hv, n, a, wd);
}

void engine_add(engine *e, real *y, const real *x, size_t n)
{
	e->bk->add(e->bk->ctx, y, x, n);
}

void engine_axpby(engine *e, real *y, double a, const real *x, double b, size_t n)
{
	e->bk->axpby(e->bk->ctx, y, a, x, b, n);
}

double engine_dot(engine *e, const real *x, const real *y, size_t n)
{
	return e->bk->dot(e->bk->ctx, x, y, n);
}
