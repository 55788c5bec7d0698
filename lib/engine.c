/*
 * engine.c — CPU/CUDA dispatch for the network (see engine.h). The CPU
 * branches are the reference loops; the CUDA ones call kernels/nn_cuda.cu.
 */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#ifdef HAVE_CUDA
#include "../kernels/nn_cuda.h"
#endif

struct engine {
	const nn_net *net;
	int cuda;
	nn_ws *ws;
	real *loss, *probs;     /* host copies (CUDA) */
	char name[384];
#ifdef HAVE_CUDA
	nn_cuda *g;
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
	nn_cuda_free(e->g);
#endif
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

double engine_forward(engine *e, const real *theta, real *state, const real *x,
		      const int *y, int B, double denom, int mode)
{
#ifdef HAVE_CUDA
	if (e->cuda) {
		double L = nn_cuda_forward(e->g, theta, state, x, y, B, denom, mode);
		nn_cuda_losses(e->g, e->loss, e->probs);
		return L;
	}
#endif
	return nn_forward(e->net, e->ws, theta, state, x, y, B, denom, mode);
}

const real *engine_losses(engine *e) { return e->cuda ? e->loss : nn_losses(e->ws); }
const real *engine_probs(engine *e) { return e->cuda ? e->probs : nn_probs(e->ws); }

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
