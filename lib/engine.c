/*
 * engine.c — CPU/CUDA dispatch for the network (see engine.h). The CPU
 * branches are the reference loops; the CUDA ones call kernels/nn_cuda.cu.
 */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#ifdef HAVE_CUDA
#include "../kernels/nn_cuda.h"
#endif

#define NDATA 4     /* datasets kept on the device at once */

struct engine {
	const nn_net *net;
	int cuda, max_batch;
	nn_ws *ws;
	real *xb;               /* a gathered batch on the host */
	int *yb;
	double L;               /* CPU: L of the last forward, its labels */
	const int *ylast;
	double tal_loss;        /* CPU: the tally */
	size_t tal_correct;
	long tal_bad;
	real *loss, *probs;     /* CUDA: host copies of the last forward's */
	int have_loss, have_probs, B;
	double denom;
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

engine *engine_new(const nn_net *net, int max_batch, int device, int quiet)
{
	engine *e = ecalloc(1, sizeof *e);
	e->net = net;
	e->max_batch = max_batch;
	e->tal_bad = -1;
	e->xb = emalloc(emul((size_t)max_batch, (size_t)net->c * net->h * net->w * sizeof *e->xb));
	e->yb = emalloc((size_t)max_batch * sizeof *e->yb);
#ifdef HAVE_CUDA
	int have = nn_cuda_devices() > 0;
	if (device == DEV_CUDA && !have)
		die("--device cuda: no CUDA device");
	if (device == DEV_AUTO && !have && !quiet)
		warn("no CUDA device; computing on the CPU");
	e->cuda = have && device != DEV_CPU;
#else
	(void)quiet;
	if (device == DEV_CUDA)
		die("--device cuda: built without CUDA (nvcc was not found)");
#endif
	if (!e->cuda) {
		e->ws = nn_ws_new(net, max_batch);
		strcpy(e->name, "cpu");
		return e;
	}
#ifdef HAVE_CUDA
	e->g = nn_cuda_new(net, max_batch);
	e->loss = emalloc((size_t)max_batch * sizeof *e->loss);
	e->probs = emalloc((size_t)max_batch * net->classes * sizeof *e->probs);
	e->row = emalloc((size_t)max_batch * sizeof *e->row);
	e->dy = emalloc((size_t)max_batch), e->dx = emalloc((size_t)max_batch);
	e->flip = emalloc((size_t)max_batch);
	char dev[160];
	nn_cuda_describe(dev, sizeof dev);
	snprintf(e->name, sizeof e->name, "%s; convolutions: %s", dev, nn_cuda_conv(e->g));
#endif
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
	free(e->xb), free(e->yb);
	free(e->loss), free(e->probs);
	free(e);
}

int engine_is_cuda(const engine *e) { return e->cuda; }
const char *engine_name(const engine *e) { return e->name; }

#ifdef HAVE_CUDA
#define ON_CUDA(call) do { if (e->cuda) { call; return; } } while (0)
#else
#define ON_CUDA(call) do { (void)e; } while (0)
#endif

real *engine_alloc(engine *e, size_t n)
{
#ifdef HAVE_CUDA
	if (e->cuda)
		return nn_cuda_alloc(n);
#endif
	(void)e;
	return ecalloc(n ? n : 1, sizeof(real));
}

void engine_release(engine *e, real *v)
{
	ON_CUDA(nn_cuda_release(v));
	free(v);
}

void engine_put(engine *e, real *dst, const real *host, size_t n)
{
	ON_CUDA(nn_cuda_upload(dst, host, n));
	if (dst != host)
		memcpy(dst, host, n * sizeof *dst);
}

void engine_get(engine *e, real *host, const real *src, size_t n)
{
	ON_CUDA(nn_cuda_download(host, src, n));
	if (host != src)
		memcpy(host, src, n * sizeof *host);
}

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
	e->B = b->n, e->denom = denom;
	const real *x;
	const int *y;
#ifdef HAVE_CUDA
	if (e->cuda) {
		e->have_loss = e->have_probs = 0;
		nn_cuda_data *g = on_device(e, d);
		if (!g) {
			host_batch(e, b, &x, &y);
			nn_cuda_forward(e->g, theta, state, x, y, b->n, denom, mode);
			return;
		}
		for (int j = 0; j < b->n; j++) {
			e->row[j] = (int)(b->row ? b->row[j] : b->first + (size_t)j);
			if (b->aug)
				e->dy[j] = b->aug[j].dy, e->dx[j] = b->aug[j].dx,
				e->flip[j] = b->aug[j].flip;
		}
		nn_cuda_forward_rows(e->g, theta, state, g, e->row, b->aug ? e->dy : NULL,
				     e->dx, e->flip, b->n, denom, mode);
		return;
	}
#endif
	host_batch(e, b, &x, &y);
	e->ylast = y;
	e->L = nn_forward(e->net, e->ws, theta, state, x, y, b->n, denom, mode);
}

const real *engine_losses(engine *e)
{
#ifdef HAVE_CUDA
	if (e->cuda) {
		if (!e->have_loss)
			nn_cuda_losses(e->g, e->loss, NULL);
		e->have_loss = 1;
		return e->loss;
	}
#endif
	return nn_losses(e->ws);
}

const real *engine_probs(engine *e)
{
#ifdef HAVE_CUDA
	if (e->cuda) {
		if (!e->have_probs)
			nn_cuda_losses(e->g, NULL, e->probs);
		e->have_probs = 1;
		return e->probs;
	}
#endif
	return nn_probs(e->ws);
}

double engine_loss(engine *e)
{
	if (!e->cuda)
		return e->L;
	const real *l = engine_losses(e);
	double total = 0;
	for (int b = 0; b < e->B; b++)  /* in the CPU's order */
		total += l[b];
	return total / e->denom;
}

void engine_tally(engine *e, long tag)
{
#ifdef HAVE_CUDA
	if (e->cuda) {
		nn_cuda_tally(e->g, tag);
		return;
	}
#endif
	const real *p = nn_probs(e->ws), *l = nn_losses(e->ws);
	int K = e->net->classes;
	const int *y = e->ylast;
	for (int b = 0; b < e->B; b++) {
		e->tal_correct += nn_argmax(p + (size_t)b * K, K) == y[b];
		e->tal_loss += l[b];
	}
	if (!isfinite(e->L) && e->tal_bad < 0)
		e->tal_bad = tag;
}

long engine_tally_read(engine *e, double *loss_sum, size_t *correct)
{
#ifdef HAVE_CUDA
	if (e->cuda)
		return nn_cuda_tally_read(e->g, loss_sum, correct);
#endif
	if (loss_sum)
		*loss_sum = e->tal_loss;
	if (correct)
		*correct = e->tal_correct;
	return e->tal_bad;
}

void engine_tally_reset(engine *e)
{
#ifdef HAVE_CUDA
	if (e->cuda) {
		nn_cuda_tally_reset(e->g);
		return;
	}
#endif
	e->tal_loss = 0, e->tal_correct = 0, e->tal_bad = -1;
}

void engine_backward(engine *e, const real *theta, real *grad)
{
	ON_CUDA(nn_cuda_backward(e->g, theta, grad));
	nn_backward(e->net, e->ws, theta, grad);
}

void engine_rforward(engine *e, const real *theta, const real *v, real *dots)
{
	ON_CUDA(nn_cuda_rforward(e->g, theta, v, dots));
	nn_rforward(e->net, e->ws, theta, v, dots);
}

void engine_rbackward(engine *e, const real *theta, const real *v, real *hv)
{
	ON_CUDA(nn_cuda_rbackward(e->g, theta, v, hv));
	nn_rbackward(e->net, e->ws, theta, v, hv);
}

void engine_sgd(engine *e, real *theta, const real *grad, real *vel, size_t n,
		double lr, double wd, double mom)
{
	ON_CUDA(nn_cuda_sgd(theta, grad, vel, n, (float)lr, (float)wd, (float)mom));
	real w = (real)wd, mu = (real)mom, eta = (real)lr;
	for (size_t k = 0; k < n; k++) {
		real g = grad[k] + w * theta[k];
		if (vel) {
			vel[k] = mu * vel[k] + g;
			g = vel[k];
		}
		theta[k] -= eta * g;
	}
}

void engine_u_update(engine *e, real *u, const real *hv, size_t n, double a, double wd)
{
	ON_CUDA(nn_cuda_u_update(u, hv, n, (float)a, (float)wd));
	real ra = (real)a, w = (real)wd;
	for (size_t i = 0; i < n; i++)
		u[i] -= ra * (hv[i] + w * u[i]);
}

void engine_add(engine *e, real *y, const real *x, size_t n)
{
	ON_CUDA(nn_cuda_add(y, x, n));
	for (size_t i = 0; i < n; i++)
		y[i] += x[i];
}
