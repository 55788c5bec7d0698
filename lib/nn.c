/*
 * nn.c — CPU reference layers with exact first and second derivatives (see
 * nn.h). Matrix products go to BLAS (OpenBLAS); everything else is plain C
 * loops in a fixed order, so the same inputs give the same bits. Each layer
 * has four passes: forward, backward, R-forward (directional derivative of
 * every activation along v) and R-backward (directional derivative of every
 * gradient along v, whose parameter part is H v).
 */
#include "nn.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rand.h"
#include "util.h"

#ifdef NN_F64
#define GEMM cblas_dgemm
#else
#define GEMM cblas_sgemm
#endif

/* ================================================================= specs */

static const struct { const char *name, *layers; int h, w; } presets[] = {
	{ "conv6", "conv:32:3:1,bn,relu,conv:32:3:1,relu,pool,"
		   "conv:64:3:1,bn,relu,conv:64:3:1,relu,pool,"
		   "conv:128:3:1,bn,relu,conv:128:3:1,relu,pool,affine", 32, 32 },
	{ "hara-mnist", "conv:20:5:0,relu,pool,conv:20:5:0,relu,pool,affine", 0, 0 },
	{ "linear", "affine", 0, 0 },
};

static const char *expand(const char *spec, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
		if (!strcmp(spec, presets[i].name))
			return presets[i].layers;
	if (!strncmp(spec, "mlp:", 4)) {
		snprintf(buf, n, "affine:%s,relu,affine", spec + 4);
		return buf;
	}
	return spec;
}

void nn_input_shape(const char *spec, int *c, int *h, int *w)
{
	(void)c;
	for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
		if (!strcmp(spec, presets[i].name) && presets[i].h) {
			if (*h < presets[i].h)
				*h = presets[i].h;
			if (*w < presets[i].w)
				*w = presets[i].w;
		}
}

int nn_init(nn_net *net, const char *spec, int c, int h, int w, int classes,
	    char *err, size_t errlen)
{
	char mlp[64], tok[64];
	const char *s = expand(spec, mlp, sizeof mlp);
	memset(net, 0, sizeof *net);
	net->spec = estrdup(spec);
	net->c = c, net->h = h, net->w = w, net->classes = classes;
	int n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	net->l = ecalloc((size_t)n, sizeof *net->l);
	int cc = c, hh = h, ww = w;
	size_t np = 0, ns = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strcspn(s, ",");
		if (len == 0 || len >= sizeof tok)
			goto bad;
		memcpy(tok, s, len);
		tok[len] = 0;
		s += len + (s[len] == ',');
		nn_layer *L = &net->l[i];
		L->ic = cc, L->ih = hh, L->iw = ww;
		int a = 0, b = 0, d = 0;
		if (sscanf(tok, "conv:%d:%d:%d", &a, &b, &d) == 3) {
			if (a < 1 || b < 1 || d < 0 || hh + 2 * d < b || ww + 2 * d < b)
				goto bad;
			L->type = NN_CONV, L->out = a, L->k = b, L->pad = d;
			cc = a, hh = hh + 2 * d - b + 1, ww = ww + 2 * d - b + 1;
			L->nw = (size_t)a * L->ic * b * b, L->nb = (size_t)a;
		} else if (!strcmp(tok, "bn")) {
			L->type = NN_BN;
			L->nw = L->nb = (size_t)cc;
			L->s = ns;
			ns += 2 * (size_t)cc;
		} else if (!strcmp(tok, "relu")) {
			L->type = NN_RELU;
		} else if (!strcmp(tok, "pool")) {
			if (hh < 2 || ww < 2)
				goto bad;
			L->type = NN_POOL;
			hh /= 2, ww /= 2;
		} else if (!strcmp(tok, "affine") || sscanf(tok, "affine:%d", &a) == 1) {
			if (!strcmp(tok, "affine"))
				a = classes;
			if (a < 1)
				goto bad;
			L->type = NN_AFFINE, L->out = a;
			L->nw = (size_t)a * cc * hh * ww, L->nb = (size_t)a;
			cc = a, hh = ww = 1;
		} else {
			goto bad;
		}
		L->oc = cc, L->oh = hh, L->ow = ww;
		L->w = np;
		L->b = np + L->nw;
		np += L->nw + L->nb;
	}
	net->nl = n;
	net->nparams = np;
	net->nstate = ns;
	if (net->l[n - 1].type != NN_AFFINE || cc != classes) {
		snprintf(err, errlen, "network '%s' must end in an affine layer "
			 "with %d outputs", spec, classes);
		nn_free(net);
		return -1;
	}
	return 0;
bad:
	snprintf(err, errlen, "bad network spec '%s' for input %dx%dx%d (at '%s')",
		 spec, c, h, w, tok);
	nn_free(net);
	return -1;
}

void nn_free(nn_net *net)
{
	free(net->spec);
	free(net->l);
	memset(net, 0, sizeof *net);
}

void nn_describe(const nn_net *net, char *buf, size_t n)
{
	static const char *names[] = { "conv", "bn", "relu", "pool", "affine" };
	size_t k = (size_t)snprintf(buf, n, "%s: %dx%dx%d", net->spec, net->c, net->h, net->w);
	for (int i = 0; i < net->nl && k < n; i++) {
		const nn_layer *L = &net->l[i];
		k += (size_t)snprintf(buf + k, n - k, " %s %dx%dx%d", names[L->type],
				      L->oc, L->oh, L->ow);
	}
	if (k < n)
		snprintf(buf + k, n - k, "; %zu parameters, %zu state", net->nparams,
			 net->nstate);
}

void nn_init_params(const nn_net *net, real *theta, real *state, uint64_t seed)
{
	rng r;
	rng_init_for(&r, seed, "nn init");
	memset(theta, 0, net->nparams * sizeof *theta);
	for (int i = 0; i < net->nl; i++) {
		const nn_layer *L = &net->l[i];
		if (L->type == NN_BN) {
			for (size_t j = 0; j < L->nw; j++) {
				theta[L->w + j] = 1;
				state[L->s + j] = 0;            /* running mean */
				state[L->s + L->nw + j] = 1;    /* running var  */
			}
		} else if (L->type == NN_CONV || L->type == NN_AFFINE) {
			double fan_in = (double)L->nw / (double)L->nb;
			double sd = sqrt(2.0 / fan_in);
			for (size_t j = 0; j < L->nw; j++) {    /* Box-Muller */
				double u1 = 1.0 - rng_uniform(&r), u2 = rng_uniform(&r);
				theta[L->w + j] = (real)(sd * sqrt(-2 * log(u1)) *
							 cos(2 * M_PI * u2));
			}
		}
	}
}

/* ============================================================= workspace */

struct nn_ws {
	int nl, cap, B, mode;
	double denom;
	real **a, **d, **ra, **rd;      /* per layer boundary: nl + 1 */
	real **xhat, **rxhat;           /* bn: normalised input */
	real **istd, **ristd, **mean;   /* bn: per channel */
	int **arg;                      /* pool: argmax per output */
	real **xt, **rxt;               /* affine: input as (F, B) */
	real *col, *col2;               /* conv scratch */
	real *prob, *rprob;             /* (K, B) */
	real *probs_bk;                 /* (B, K) for callers */
	real *loss, *rloss;
	int *y;
};

static size_t act_size(const nn_layer *L, int in, int B)
{
	return in ? (size_t)L->ic * L->ih * L->iw * B : (size_t)L->oc * L->oh * L->ow * B;
}

nn_ws *nn_ws_new(const nn_net *net, int max_batch)
{
	nn_ws *ws = ecalloc(1, sizeof *ws);
	int n = net->nl, B = max_batch;
	ws->cap = B;
	ws->nl = n;
	ws->a = ecalloc((size_t)n + 1, sizeof(real *));
	ws->d = ecalloc((size_t)n + 1, sizeof(real *));
	ws->ra = ecalloc((size_t)n + 1, sizeof(real *));
	ws->rd = ecalloc((size_t)n + 1, sizeof(real *));
	ws->xhat = ecalloc((size_t)n, sizeof(real *));
	ws->rxhat = ecalloc((size_t)n, sizeof(real *));
	ws->istd = ecalloc((size_t)n, sizeof(real *));
	ws->ristd = ecalloc((size_t)n, sizeof(real *));
	ws->mean = ecalloc((size_t)n, sizeof(real *));
	ws->arg = ecalloc((size_t)n, sizeof(int *));
	ws->xt = ecalloc((size_t)n, sizeof(real *));
	ws->rxt = ecalloc((size_t)n, sizeof(real *));
	size_t colmax = 1;
	for (int i = 0; i <= n; i++) {
		size_t m = i < n ? act_size(&net->l[i], 1, B) : act_size(&net->l[n - 1], 0, B);
		ws->a[i] = ecalloc(m, sizeof(real));
		ws->d[i] = ecalloc(m, sizeof(real));
		ws->ra[i] = ecalloc(m, sizeof(real));
		ws->rd[i] = ecalloc(m, sizeof(real));
	}
	for (int i = 0; i < n; i++) {
		const nn_layer *L = &net->l[i];
		size_t out = act_size(L, 0, B), in = act_size(L, 1, B);
		if (L->type == NN_BN) {
			ws->xhat[i] = ecalloc(out, sizeof(real));
			ws->rxhat[i] = ecalloc(out, sizeof(real));
			ws->istd[i] = ecalloc((size_t)L->oc, sizeof(real));
			ws->ristd[i] = ecalloc((size_t)L->oc, sizeof(real));
			ws->mean[i] = ecalloc((size_t)L->oc, sizeof(real));
		} else if (L->type == NN_POOL) {
			ws->arg[i] = ecalloc(out, sizeof(int));
		} else if (L->type == NN_AFFINE) {
			ws->xt[i] = ecalloc(in, sizeof(real));
			ws->rxt[i] = ecalloc(in, sizeof(real));
			colmax = in > colmax ? in : colmax;     /* (F, B) scratch */
		} else if (L->type == NN_CONV) {
			size_t m = (size_t)L->ic * L->k * L->k * L->oh * L->ow * B;
			colmax = m > colmax ? m : colmax;
		}
	}
	ws->col = ecalloc(colmax, sizeof(real));
	ws->col2 = ecalloc(colmax, sizeof(real));
	size_t K = (size_t)net->classes * B;
	ws->prob = ecalloc(K, sizeof(real));
	ws->rprob = ecalloc(K, sizeof(real));
	ws->probs_bk = ecalloc(K, sizeof(real));
	ws->loss = ecalloc((size_t)B, sizeof(real));
	ws->rloss = ecalloc((size_t)B, sizeof(real));
	ws->y = ecalloc((size_t)B, sizeof(int));
	return ws;
}

static void free_list(real **p, int n)
{
	if (!p)
		return;
	for (int i = 0; i < n; i++)
		free(p[i]);
	free(p);
}

void nn_ws_free(nn_ws *ws)
{
	if (!ws)
		return;
	int n = ws->nl;
	/* a, d, ra, rd have nl + 1 entries; the per-layer lists nl */
	free_list(ws->a, n + 1), free_list(ws->d, n + 1);
	free_list(ws->ra, n + 1), free_list(ws->rd, n + 1);
	free_list(ws->xhat, n), free_list(ws->rxhat, n);
	free_list(ws->istd, n), free_list(ws->ristd, n), free_list(ws->mean, n);
	for (int i = 0; i < n; i++)
		free(ws->arg[i]);
	free(ws->arg);
	free_list(ws->xt, n), free_list(ws->rxt, n);
	free(ws->col), free(ws->col2), free(ws->prob), free(ws->rprob);
	free(ws->probs_bk), free(ws->loss), free(ws->rloss), free(ws->y);
	free(ws);
}

const real *nn_losses(const nn_ws *ws) { return ws->loss; }
const real *nn_probs(const nn_ws *ws) { return ws->probs_bk; }

/* ================================================================ helpers */

extern void openblas_set_num_threads(int);

/* C (M×N) = alpha·op(A)·op(B) + beta·C, row-major.
 * Determinism whatever the thread count: BLAS itself runs single-threaded,
 * and C is cut into column blocks chosen from the shape alone; OpenMP
 * threads take the blocks, and every block is the same BLAS call however
 * many threads there are, so the bits cannot depend on them. */
static void gemm(int ta, int tb, int M, int N, int K, real alpha, const real *A,
		 const real *B, real beta, real *C)
{
	static int once;
	if (!once) {
		openblas_set_num_threads(1);
		once = 1;
	}
	int blocks = (long)M * N * K >= (1L << 18) && N >= 128 ? (N + 127) / 128 : 1;
	if (blocks > 64)
		blocks = 64;
#pragma omp parallel for schedule(dynamic) if (blocks > 1)
	for (int j = 0; j < blocks; j++) {
		int n0 = (int)((long)N * j / blocks), n1 = (int)((long)N * (j + 1) / blocks);
		const real *Bj = tb ? B + (size_t)n0 * K : B + n0;
		GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
		     tb ? CblasTrans : CblasNoTrans, M, n1 - n0, K, alpha, A, ta ? M : K,
		     Bj, tb ? K : N, beta, C + n0, N);
	}
}

/* (C, B, H, W) → (C·k·k, B·Ho·Wo) */
static void im2col(const nn_layer *L, int B, const real *in, real *col)
{
	int k = L->k, H = L->ih, W = L->iw, Ho = L->oh, Wo = L->ow, p = L->pad;
	size_t n = (size_t)B * Ho * Wo;
	for (int c = 0; c < L->ic; c++)
		for (int ki = 0; ki < k; ki++)
			for (int kj = 0; kj < k; kj++) {
				real *row = col + ((size_t)(c * k + ki) * k + kj) * n;
				for (int b = 0; b < B; b++) {
					const real *src = in + ((size_t)c * B + b) * H * W;
					for (int oy = 0; oy < Ho; oy++) {
						int iy = oy + ki - p;
						real *dst = row + ((size_t)b * Ho + oy) * Wo;
						if (iy < 0 || iy >= H) {
							memset(dst, 0, (size_t)Wo * sizeof *dst);
							continue;
						}
						for (int ox = 0; ox < Wo; ox++) {
							int ix = ox + kj - p;
							dst[ox] = ix >= 0 && ix < W ? src[iy * W + ix] : 0;
						}
					}
				}
			}
}

/* the adjoint of im2col: in = Σ col (in overwritten) */
static void col2im(const nn_layer *L, int B, const real *col, real *in)
{
	int k = L->k, H = L->ih, W = L->iw, Ho = L->oh, Wo = L->ow, p = L->pad;
	size_t n = (size_t)B * Ho * Wo;
	memset(in, 0, (size_t)L->ic * B * H * W * sizeof *in);
	for (int c = 0; c < L->ic; c++)
		for (int ki = 0; ki < k; ki++)
			for (int kj = 0; kj < k; kj++) {
				const real *row = col + ((size_t)(c * k + ki) * k + kj) * n;
				for (int b = 0; b < B; b++) {
					real *dst = in + ((size_t)c * B + b) * H * W;
					for (int oy = 0; oy < Ho; oy++) {
						int iy = oy + ki - p;
						if (iy < 0 || iy >= H)
							continue;
						const real *src = row + ((size_t)b * Ho + oy) * Wo;
						for (int ox = 0; ox < Wo; ox++) {
							int ix = ox + kj - p;
							if (ix >= 0 && ix < W)
								dst[iy * W + ix] += src[ox];
						}
					}
				}
			}
}

/* out[o, :] += bias[o] */
static void add_bias(real *out, const real *bias, int O, size_t n)
{
	for (int o = 0; o < O; o++)
		for (size_t j = 0; j < n; j++)
			out[(size_t)o * n + j] += bias[o];
}

/* db[o] += Σ_j d[o, j] */
static void row_sums(real *db, const real *d, int O, size_t n)
{
	for (int o = 0; o < O; o++) {
		real s = 0;
		for (size_t j = 0; j < n; j++)
			s += d[(size_t)o * n + j];
		db[o] += s;
	}
}

/* (C, B, P) ↔ (C·P, B) */
static void to_features(const real *in, real *xt, int C, int B, int P)
{
	for (int c = 0; c < C; c++)
		for (int b = 0; b < B; b++)
			for (int p = 0; p < P; p++)
				xt[((size_t)c * P + p) * B + b] = in[((size_t)c * B + b) * P + p];
}

static void from_features(const real *xt, real *in, int C, int B, int P)
{
	for (int c = 0; c < C; c++)
		for (int b = 0; b < B; b++)
			for (int p = 0; p < P; p++)
				in[((size_t)c * B + b) * P + p] = xt[((size_t)c * P + p) * B + b];
}

/* =============================================================== forward */

static void bn_forward(const nn_layer *L, nn_ws *ws, int i, const real *theta,
		       real *state, const real *in, real *out)
{
	int C = L->oc;
	size_t M = (size_t)ws->B * L->oh * L->ow;
	const real *g = theta + L->w, *be = theta + L->b;
	for (int c = 0; c < C; c++) {
		const real *x = in + c * M;
		real *xh = ws->xhat[i] + c * M, *y = out + c * M;
		real mean, istd;
		if (ws->mode == NN_TRAIN) {
			double s = 0, v = 0;
			for (size_t j = 0; j < M; j++)
				s += x[j];
			mean = (real)(s / (double)M);
			for (size_t j = 0; j < M; j++)
				v += ((double)x[j] - mean) * ((double)x[j] - mean);
			v /= (double)M;
			istd = (real)(1 / sqrt(v + NN_BN_EPS));
			if (state) {
				real *rm = state + L->s, *rv = state + L->s + C;
				double unb = M > 1 ? v * (double)M / (double)(M - 1) : v;
				rm[c] = (real)((1 - NN_BN_MOMENTUM) * rm[c] + NN_BN_MOMENTUM * mean);
				rv[c] = (real)((1 - NN_BN_MOMENTUM) * rv[c] + NN_BN_MOMENTUM * unb);
			}
		} else {
			mean = state[L->s + c];
			istd = (real)(1 / sqrt((double)state[L->s + C + c] + NN_BN_EPS));
		}
		ws->mean[i][c] = mean;
		ws->istd[i][c] = istd;
		for (size_t j = 0; j < M; j++) {
			xh[j] = (x[j] - mean) * istd;
			y[j] = g[c] * xh[j] + be[c];
		}
	}
}

static void pool_forward(const nn_layer *L, int B, const real *in, real *out, int *arg)
{
	int H = L->ih, W = L->iw, Ho = L->oh, Wo = L->ow;
	for (size_t cb = 0; cb < (size_t)L->ic * B; cb++) {
		const real *x = in + cb * H * W;
		for (int oy = 0; oy < Ho; oy++)
			for (int ox = 0; ox < Wo; ox++) {
				int best = (2 * oy) * W + 2 * ox;
				for (int dy = 0; dy < 2; dy++)
					for (int dx = 0; dx < 2; dx++) {
						int j = (2 * oy + dy) * W + 2 * ox + dx;
						if (x[j] > x[best])
							best = j;
					}
				size_t o = cb * Ho * Wo + (size_t)oy * Wo + ox;
				out[o] = x[best];
				arg[o] = (int)(cb * H * W) + best;
			}
	}
}

double nn_forward(const nn_net *net, nn_ws *ws, const real *theta, real *state,
		  const real *x, const int *y, int B, double denom, int mode)
{
	if (B < 1 || B > ws->cap)
		die("internal error: batch %d outside 1..%d", B, ws->cap);
	ws->B = B, ws->mode = mode, ws->denom = denom;
	memcpy(ws->y, y, (size_t)B * sizeof *y);
	/* (B, C, H, W) → (C, B, H, W) */
	size_t P = (size_t)net->h * net->w;
	for (int b = 0; b < B; b++)
		for (int c = 0; c < net->c; c++)
			memcpy(ws->a[0] + ((size_t)c * B + b) * P, x + ((size_t)b * net->c + c) * P,
			       P * sizeof *x);
	for (int i = 0; i < net->nl; i++) {
		const nn_layer *L = &net->l[i];
		const real *in = ws->a[i];
		real *out = ws->a[i + 1];
		size_t n = (size_t)B * L->oh * L->ow;
		switch (L->type) {
		case NN_CONV:
			im2col(L, B, in, ws->col);
			gemm(0, 0, L->oc, (int)n, L->ic * L->k * L->k, 1, theta + L->w,
			     ws->col, 0, out);
			add_bias(out, theta + L->b, L->oc, n);
			break;
		case NN_BN:
			bn_forward(L, ws, i, theta, state, in, out);
			break;
		case NN_RELU:
			for (size_t j = 0; j < act_size(L, 0, B); j++)
				out[j] = in[j] > 0 ? in[j] : 0;
			break;
		case NN_POOL:
			pool_forward(L, B, in, out, ws->arg[i]);
			break;
		case NN_AFFINE:
			to_features(in, ws->xt[i], L->ic, B, L->ih * L->iw);
			gemm(0, 0, L->oc, B, L->ic * L->ih * L->iw, 1, theta + L->w,
			     ws->xt[i], 0, out);
			add_bias(out, theta + L->b, L->oc, (size_t)B);
			break;
		}
	}
	/* softmax cross-entropy on logits (K, B) */
	int K = net->classes;
	const real *z = ws->a[net->nl];
	double total = 0;
	for (int b = 0; b < B; b++) {
		ws->loss[b] = nn_softmax_ce(z, K, B, b, y[b], ws->prob, ws->probs_bk);
		total += ws->loss[b];
	}
	return total / denom;
}

/* ============================================================== backward */

static void bn_backward(const nn_layer *L, nn_ws *ws, int i, const real *theta,
			real *grad, const real *dout, real *din)
{
	int C = L->oc;
	size_t M = (size_t)ws->B * L->oh * L->ow;
	const real *g = theta + L->w;
	for (int c = 0; c < C; c++) {
		const real *dy = dout + c * M, *xh = ws->xhat[i] + c * M;
		real *dx = din ? din + c * M : NULL;
		real sg = 0, sb = 0;
		for (size_t j = 0; j < M; j++)
			sg += dy[j] * xh[j], sb += dy[j];
		grad[L->w + c] += sg;
		grad[L->b + c] += sb;
		if (!dx)
			continue;
		real istd = ws->istd[i][c];
		if (ws->mode == NN_EVAL) {
			for (size_t j = 0; j < M; j++)
				dx[j] = dy[j] * g[c] * istd;
			continue;
		}
		/* dx = istd/M · (M·dx̂ − Σdx̂ − x̂·Σ(dx̂·x̂)),  dx̂ = γ·dy */
		real A = g[c] * sb, Bs = g[c] * sg;
		for (size_t j = 0; j < M; j++)
			dx[j] = istd / (real)M * ((real)M * g[c] * dy[j] - A - xh[j] * Bs);
	}
}

void nn_backward(const nn_net *net, nn_ws *ws, const real *theta, real *grad)
{
	int B = ws->B, K = net->classes, n = net->nl;
	memset(grad, 0, net->nparams * sizeof *grad);
	real *dz = ws->d[n];
	for (int k = 0; k < K; k++)
		for (int b = 0; b < B; b++)
			dz[(size_t)k * B + b] = (real)((ws->prob[(size_t)k * B + b] -
						       (k == ws->y[b])) / ws->denom);
	for (int i = n - 1; i >= 0; i--) {
		const nn_layer *L = &net->l[i];
		const real *dout = ws->d[i + 1];
		real *din = i > 0 ? ws->d[i] : NULL;   /* the input needs none */
		size_t nout = (size_t)B * L->oh * L->ow;
		switch (L->type) {
		case NN_CONV: {
			int ckk = L->ic * L->k * L->k;
			im2col(L, B, ws->a[i], ws->col);
			gemm(0, 1, L->oc, ckk, (int)nout, 1, dout, ws->col, 1, grad + L->w);
			row_sums(grad + L->b, dout, L->oc, nout);
			if (din) {
				gemm(1, 0, ckk, (int)nout, L->oc, 1, theta + L->w, dout, 0, ws->col);
				col2im(L, B, ws->col, din);
			}
			break;
		}
		case NN_BN:
			bn_backward(L, ws, i, theta, grad, dout, din);
			break;
		case NN_RELU:
			if (din)
				for (size_t j = 0; j < act_size(L, 0, B); j++)
					din[j] = ws->a[i + 1][j] > 0 ? dout[j] : 0;
			break;
		case NN_POOL:
			if (din) {
				memset(din, 0, act_size(L, 1, B) * sizeof *din);
				for (size_t j = 0; j < act_size(L, 0, B); j++)
					din[ws->arg[i][j]] += dout[j];
			}
			break;
		case NN_AFFINE: {
			int F = L->ic * L->ih * L->iw;
			gemm(0, 1, L->oc, F, B, 1, dout, ws->xt[i], 1, grad + L->w);
			row_sums(grad + L->b, dout, L->oc, (size_t)B);
			if (din) {
				gemm(1, 0, F, B, L->oc, 1, theta + L->w, dout, 0, ws->col);
				from_features(ws->col, din, L->ic, B, L->ih * L->iw);
			}
			break;
		}
		}
	}
}

/* ============================================================ R-forward */

static void bn_rforward(const nn_layer *L, nn_ws *ws, int i, const real *theta,
			const real *v, const real *rin, real *rout, int rin_zero)
{
	int C = L->oc;
	size_t M = (size_t)ws->B * L->oh * L->ow;
	const real *g = theta + L->w;
	for (int c = 0; c < C; c++) {
		const real *x = ws->a[i] + c * M, *rx = rin + c * M;
		const real *xh = ws->xhat[i] + c * M;
		real *rxh = ws->rxhat[i] + c * M, *ry = rout + c * M;
		real mean = ws->mean[i][c], istd = ws->istd[i][c];
		double rm = 0, rv = 0;
		if (!rin_zero) {
			for (size_t j = 0; j < M; j++)
				rm += rx[j];
			rm /= (double)M;
			for (size_t j = 0; j < M; j++)
				rv += ((double)x[j] - mean) * rx[j];
			rv = 2 * rv / (double)M;
		}
		/* istd = (var + eps)^(-1/2): R{istd} = -istd³ R{var} / 2 */
		real ristd = (real)(-0.5 * (double)istd * istd * istd * rv);
		ws->ristd[i][c] = ristd;
		for (size_t j = 0; j < M; j++) {
			rxh[j] = (rin_zero ? 0 : (rx[j] - (real)rm) * istd) + (x[j] - mean) * ristd;
			ry[j] = v[L->w + c] * xh[j] + g[c] * rxh[j] + v[L->b + c];
		}
	}
}

void nn_rforward(const nn_net *net, nn_ws *ws, const real *theta,
		 const real *v, real *dots)
{
	int B = ws->B, K = net->classes;
	if (ws->mode != NN_TRAIN)
		die("internal error: R-passes need a NN_TRAIN forward");
	int rin_zero = 1;       /* the input does not depend on θ */
	for (int i = 0; i < net->nl; i++) {
		const nn_layer *L = &net->l[i];
		const real *rin = ws->ra[i];
		real *rout = ws->ra[i + 1];
		size_t n = (size_t)B * L->oh * L->ow;
		switch (L->type) {
		case NN_CONV: {
			int ckk = L->ic * L->k * L->k;
			im2col(L, B, ws->a[i], ws->col);
			gemm(0, 0, L->oc, (int)n, ckk, 1, v + L->w, ws->col, 0, rout);
			add_bias(rout, v + L->b, L->oc, n);
			if (!rin_zero) {
				im2col(L, B, rin, ws->col);
				gemm(0, 0, L->oc, (int)n, ckk, 1, theta + L->w, ws->col, 1, rout);
			}
			break;
		}
		case NN_BN:
			bn_rforward(L, ws, i, theta, v, rin, rout, rin_zero);
			break;
		case NN_RELU:
			for (size_t j = 0; j < act_size(L, 0, B); j++)
				rout[j] = ws->a[i + 1][j] > 0 && !rin_zero ? rin[j] : 0;
			break;
		case NN_POOL:
			for (size_t j = 0; j < act_size(L, 0, B); j++)
				rout[j] = rin_zero ? 0 : rin[ws->arg[i][j]];
			break;
		case NN_AFFINE: {
			int F = L->ic * L->ih * L->iw;
			gemm(0, 0, L->oc, B, F, 1, v + L->w, ws->xt[i], 0, rout);
			add_bias(rout, v + L->b, L->oc, (size_t)B);
			if (!rin_zero) {
				to_features(rin, ws->rxt[i], L->ic, B, L->ih * L->iw);
				gemm(0, 0, L->oc, B, F, 1, theta + L->w, ws->rxt[i], 1, rout);
			} else {
				memset(ws->rxt[i], 0, (size_t)F * B * sizeof(real));
			}
			break;
		}
		}
		rin_zero = 0;
	}
	/* R{ℓ_b} = Σ_k p_k R{z_k} − R{z_y};  R{p_k} = p_k (R{z_k} − Σ p R{z}) */
	const real *rz = ws->ra[net->nl];
	for (int b = 0; b < B; b++) {
		real e = 0;
		for (int k = 0; k < K; k++)
			e += ws->prob[(size_t)k * B + b] * rz[(size_t)k * B + b];
		for (int k = 0; k < K; k++)
			ws->rprob[(size_t)k * B + b] = ws->prob[(size_t)k * B + b] *
						      (rz[(size_t)k * B + b] - e);
		ws->rloss[b] = e - rz[(size_t)ws->y[b] * B + b];
		if (dots)
			dots[b] = ws->rloss[b];
	}
}

/* =========================================================== R-backward */

static void bn_rbackward(const nn_layer *L, nn_ws *ws, int i, const real *theta,
			 const real *v, real *hv, int need_din)
{
	int C = L->oc;
	size_t M = (size_t)ws->B * L->oh * L->ow;
	const real *g = theta + L->w;
	for (int c = 0; c < C; c++) {
		const real *dy = ws->d[i + 1] + c * M, *rdy = ws->rd[i + 1] + c * M;
		const real *xh = ws->xhat[i] + c * M, *rxh = ws->rxhat[i] + c * M;
		real vg = v[L->w + c];
		/* sums over the channel: A = Σdx̂, Bs = Σdx̂·x̂ and their R{} */
		real sg = 0, sb = 0, rsg = 0, rsb = 0;
		for (size_t j = 0; j < M; j++) {
			sg += dy[j] * xh[j];
			sb += dy[j];
			rsg += rdy[j] * xh[j] + dy[j] * rxh[j];
			rsb += rdy[j];
		}
		hv[L->w + c] += rsg;
		hv[L->b + c] += rsb;
		if (!need_din)
			continue;
		real istd = ws->istd[i][c], ristd = ws->ristd[i][c], m = (real)M;
		real A = g[c] * sb, Bs = g[c] * sg;
		real rA = g[c] * rsb + vg * sb, rB = g[c] * rsg + vg * sg;
		real *rdx = ws->rd[i] + c * M;
		for (size_t j = 0; j < M; j++) {
			real dxh = g[c] * dy[j], rdxh = g[c] * rdy[j] + vg * dy[j];
			rdx[j] = ristd / m * (m * dxh - A - xh[j] * Bs) +
				 istd / m * (m * rdxh - rA - rxh[j] * Bs - xh[j] * rB);
		}
	}
}

void nn_rbackward(const nn_net *net, nn_ws *ws, const real *theta,
		  const real *v, real *hv)
{
	int B = ws->B, K = net->classes, n = net->nl;
	memset(hv, 0, net->nparams * sizeof *hv);
	real *rdz = ws->rd[n];
	for (size_t j = 0; j < (size_t)K * B; j++)
		rdz[j] = (real)(ws->rprob[j] / ws->denom);
	for (int i = n - 1; i >= 0; i--) {
		const nn_layer *L = &net->l[i];
		const real *dout = ws->d[i + 1], *rdout = ws->rd[i + 1];
		int need = i > 0;
		real *rdin = ws->rd[i];
		size_t nout = (size_t)B * L->oh * L->ow;
		switch (L->type) {
		case NN_CONV: {
			int ckk = L->ic * L->k * L->k;
			/* H_W v += R{dout}·colᵀ + dout·R{col}ᵀ */
			im2col(L, B, ws->a[i], ws->col);
			gemm(0, 1, L->oc, ckk, (int)nout, 1, rdout, ws->col, 1, hv + L->w);
			if (i > 0) {
				im2col(L, B, ws->ra[i], ws->col);
				gemm(0, 1, L->oc, ckk, (int)nout, 1, dout, ws->col, 1, hv + L->w);
			}
			row_sums(hv + L->b, rdout, L->oc, nout);
			if (need) {
				gemm(1, 0, ckk, (int)nout, L->oc, 1, v + L->w, dout, 0, ws->col);
				gemm(1, 0, ckk, (int)nout, L->oc, 1, theta + L->w, rdout, 1, ws->col);
				col2im(L, B, ws->col, rdin);
			}
			break;
		}
		case NN_BN:
			bn_rbackward(L, ws, i, theta, v, hv, need);
			break;
		case NN_RELU:
			if (need)
				for (size_t j = 0; j < act_size(L, 0, B); j++)
					rdin[j] = ws->a[i + 1][j] > 0 ? rdout[j] : 0;
			break;
		case NN_POOL:
			if (need) {
				memset(rdin, 0, act_size(L, 1, B) * sizeof *rdin);
				for (size_t j = 0; j < act_size(L, 0, B); j++)
					rdin[ws->arg[i][j]] += rdout[j];
			}
			break;
		case NN_AFFINE: {
			int F = L->ic * L->ih * L->iw;
			gemm(0, 1, L->oc, F, B, 1, rdout, ws->xt[i], 1, hv + L->w);
			gemm(0, 1, L->oc, F, B, 1, dout, ws->rxt[i], 1, hv + L->w);
			row_sums(hv + L->b, rdout, L->oc, (size_t)B);
			if (need) {
				real *t = ws->col;      /* (F, B) scratch */
				gemm(1, 0, F, B, L->oc, 1, v + L->w, dout, 0, t);
				gemm(1, 0, F, B, L->oc, 1, theta + L->w, rdout, 1, t);
				from_features(t, rdin, L->ic, B, L->ih * L->iw);
			}
			break;
		}
		}
	}
}

void nn_last_layer_grads(const nn_net *net, const nn_ws *ws, real *g)
{
	const nn_layer *L = &net->l[net->nl - 1];
	int B = ws->B, K = net->classes, F = L->ic * L->ih * L->iw;
	size_t row = L->nw + L->nb;
	for (int b = 0; b < B; b++) {
		real *gb = g + (size_t)b * row;
		for (int k = 0; k < K; k++) {
			real e = ws->prob[(size_t)k * B + b] - (k == ws->y[b]);
			for (int f = 0; f < F; f++)
				gb[(size_t)k * F + f] = e * ws->xt[net->nl - 1][(size_t)f * B + b];
			gb[L->nw + k] = e;
		}
	}
}
