/*
 * nn.c — the network, written once for every backend (see nn.h): the
 * workspace, one walker for the four passes, and per layer type one op
 * group of four passes — forward, backward, R-forward
 * (directional derivative of every activation along v) and R-backward
 * (directional derivative of every gradient along v, whose parameter part is
 * H v) — over the primitives of lib/nn/backend.h. Nothing here touches an
 * activation itself: the CPU loops are lib/nn/cpu.c, the CUDA kernels
 * kernels/nn_cuda.cu.
 */
#include "nn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

/* ============================================================= workspace */

struct nn_ws {
	const nn_net *net;
	const nn_backend *bk;
	nn_backend *own;                /* the CPU backend of nn_ws_new */
	int cap, B, mode;
	double denom;
	real **a, **d, **ra, **rd;      /* per layer boundary: nl + 1 */
	nn_bn_buf *bn;                  /* bn: its saved values */
	int **arg;                      /* pool: argmax per output */
	real **xt, **rxt;               /* affine: input as (F, B) */
	real *tmp;                      /* affine: (F, B) scratch */
	real *bnsink;                   /* bn: dγ, dβ of a backward without grad */
	real *prob, *rprob;             /* (K, B) */
	real *pbk;                      /* (B, K) for callers */
	real *loss, *rloss;
	int *y;
};

static size_t act_size(const nn_layer *L, int in, int B)
{
	return in ? (size_t)L->ic * L->ih * L->iw * B : (size_t)L->oc * L->oh * L->ow * B;
}

/* the element count of boundary i (the input of layer i; nl: the logits) */
static size_t boundary_size(const nn_net *net, int i, int B)
{
	return i < net->nl ? act_size(&net->l[i], 1, B) : act_size(&net->l[net->nl - 1], 0, B);
}

static void *balloc(const nn_ws *ws, size_t n, size_t size)
{
	return ws->bk->alloc(ws->bk->ctx, emul(n, size));
}

nn_ws *nn_ws_new_on(const nn_net *net, const nn_backend *bk, int max_batch)
{
	nn_ws *ws = ecalloc(1, sizeof *ws);
	int n = net->nl, B = max_batch;
	ws->net = net, ws->bk = bk, ws->cap = B;
	ws->a = ecalloc((size_t)n + 1, sizeof(real *));
	ws->d = ecalloc((size_t)n + 1, sizeof(real *));
	ws->ra = ecalloc((size_t)n + 1, sizeof(real *));
	ws->rd = ecalloc((size_t)n + 1, sizeof(real *));
	ws->bn = ecalloc((size_t)n, sizeof *ws->bn);
	ws->arg = ecalloc((size_t)n, sizeof(int *));
	ws->xt = ecalloc((size_t)n, sizeof(real *));
	ws->rxt = ecalloc((size_t)n, sizeof(real *));
	for (int i = 0; i <= n; i++) {
		size_t m = boundary_size(net, i, B);
		ws->a[i] = balloc(ws, m, sizeof(real)), ws->d[i] = balloc(ws, m, sizeof(real));
		ws->ra[i] = balloc(ws, m, sizeof(real)), ws->rd[i] = balloc(ws, m, sizeof(real));
	}
	size_t tmp = 1, bnc = 1;
	for (int i = 0; i < n; i++) {
		const nn_layer *L = &net->l[i];
		size_t out = act_size(L, 0, B), in = act_size(L, 1, B), C = (size_t)L->oc;
		if (L->type == NN_BN) {
			nn_bn_buf *s = &ws->bn[i];
			s->xhat = balloc(ws, out, sizeof(real)), s->rxhat = balloc(ws, out, sizeof(real));
			s->mean = balloc(ws, C, sizeof(real)), s->istd = balloc(ws, C, sizeof(real));
			s->rmean = balloc(ws, C, sizeof(real)), s->ristd = balloc(ws, C, sizeof(real));
			bnc = 2 * C > bnc ? 2 * C : bnc;
		} else if (L->type == NN_POOL) {
			ws->arg[i] = balloc(ws, out, sizeof(int));
		} else if (L->type == NN_AFFINE) {
			ws->xt[i] = balloc(ws, in, sizeof(real));
			ws->rxt[i] = balloc(ws, in, sizeof(real));
			tmp = in > tmp ? in : tmp;
		}
	}
	size_t K = (size_t)net->classes * B;
	ws->tmp = balloc(ws, tmp, sizeof(real));
	ws->bnsink = balloc(ws, bnc, sizeof(real));
	ws->prob = balloc(ws, K, sizeof(real)), ws->rprob = balloc(ws, K, sizeof(real));
	ws->pbk = balloc(ws, K, sizeof(real));
	ws->loss = balloc(ws, (size_t)B, sizeof(real)), ws->rloss = balloc(ws, (size_t)B, sizeof(real));
	ws->y = balloc(ws, (size_t)B, sizeof(int));
	return ws;
}

nn_ws *nn_ws_new(const nn_net *net, int max_batch)
{
	nn_backend *bk = nn_cpu_new(net, max_batch);
	nn_ws *ws = nn_ws_new_on(net, bk, max_batch);
	ws->own = bk;
	return ws;
}

void nn_ws_free(nn_ws *ws)
{
	if (!ws)
		return;
	const nn_backend *bk = ws->bk;
	void *c = bk->ctx;
	int n = ws->net->nl;
	for (int i = 0; i <= n; i++) {
		bk->release(c, ws->a[i]), bk->release(c, ws->d[i]);
		bk->release(c, ws->ra[i]), bk->release(c, ws->rd[i]);
	}
	for (int i = 0; i < n; i++) {
		nn_bn_buf *s = &ws->bn[i];
		if (s->xhat) {
			bk->release(c, s->xhat), bk->release(c, s->rxhat), bk->release(c, s->mean);
			bk->release(c, s->istd), bk->release(c, s->rmean), bk->release(c, s->ristd);
		}
		if (ws->arg[i])
			bk->release(c, ws->arg[i]);
		if (ws->xt[i])
			bk->release(c, ws->xt[i]), bk->release(c, ws->rxt[i]);
	}
	bk->release(c, ws->tmp), bk->release(c, ws->bnsink);
	bk->release(c, ws->prob), bk->release(c, ws->rprob);
	bk->release(c, ws->pbk), bk->release(c, ws->loss), bk->release(c, ws->rloss);
	bk->release(c, ws->y);
	free(ws->a), free(ws->d), free(ws->ra), free(ws->rd), free(ws->bn), free(ws->arg);
	free(ws->xt), free(ws->rxt);
	nn_cpu_free(ws->own);
	free(ws);
}

const nn_backend *nn_ws_backend(const nn_ws *ws) { return ws->bk; }
const real *nn_losses(const nn_ws *ws) { return ws->loss; }
const real *nn_probs(const nn_ws *ws) { return ws->pbk; }
const int *nn_labels(const nn_ws *ws) { return ws->y; }
int nn_batch(const nn_ws *ws) { return ws->B; }
double nn_denom(const nn_ws *ws) { return ws->denom; }
const real *nn_logits(const nn_ws *ws) { return ws->a[ws->net->nl]; }

const real *nn_features(const nn_ws *ws, int *F)
{
	const nn_layer *L = &ws->net->l[ws->net->nl - 1];
	*F = L->ic * L->ih * L->iw;
	return ws->xt[ws->net->nl - 1];
}

real *nn_ws_input(nn_ws *ws, int **y)
{
	*y = ws->y;
	return ws->a[0];
}

real *nn_ws_buf(nn_ws *ws, int which, int i, size_t *n)
{
	real **b[] = { ws->a, ws->d, ws->ra, ws->rd };
	if (i < 0 || i > ws->net->nl || which < NN_BUF_A || which > NN_BUF_RD)
		die("internal error: no buffer %d at boundary %d", which, i);
	*n = boundary_size(ws->net, i, ws->B);
	return b[which][i];
}

double nn_loss(const nn_ws *ws)
{
	if (!ws->bk->host)
		die("internal error: nn_loss on a device workspace");
	double total = 0;
	for (int b = 0; b < ws->B; b++)
		total += ws->loss[b];
	return total / ws->denom;
}

/* ======================================================= the op groups */
/*
 * Each layer type's four passes, together. Layer i reads boundary i (a, ra)
 * and writes boundary i + 1; backward reads d[i + 1], rd[i + 1] and writes
 * d[i], rd[i] — except for the first layer, whose input needs no gradient
 * (i == 0: no din) and does not depend on θ (i == 0: R{in} = 0). Parameter
 * gradients and H v accumulate (+=) into the layer's slice of grad / hv.
 */

#define BK (ws->bk)
#define CX (ws->bk->ctx)
#define LAYER (&ws->net->l[i])

/* ---------------------------------------------------------- convolution */

static void conv_forward(nn_ws *ws, int i, const real *theta, real *state)
{
	const nn_layer *L = LAYER;
	(void)state;
	BK->conv_forward(CX, i, ws->B, ws->a[i + 1], ws->a[i], theta + L->w, 0, NN_IN_NEW);
	BK->add_bias(CX, ws->a[i + 1], theta + L->b, L->oc, act_size(L, 0, ws->B) / L->oc);
}

static void conv_backward(nn_ws *ws, int i, const real *theta, real *grad)
{
	const nn_layer *L = LAYER;
	const real *dout = ws->d[i + 1];
	if (grad) {
		BK->conv_backward_filter(CX, i, ws->B, grad + L->w, ws->a[i], dout, NN_IN_SAME);
		BK->row_sums(CX, grad + L->b, dout, L->oc, act_size(L, 0, ws->B) / L->oc);
	}
	if (i > 0)
		BK->conv_backward_data(CX, i, ws->B, ws->d[i], theta + L->w, dout, NULL, NULL);
}

/* R{out} = conv(in, v_w) + v_b + conv(R{in}, w) */
static void conv_rforward(nn_ws *ws, int i, const real *theta, const real *v)
{
	const nn_layer *L = LAYER;
	real *rout = ws->ra[i + 1];
	BK->conv_forward(CX, i, ws->B, rout, ws->a[i], v + L->w, 0, NN_IN_SAME);
	BK->add_bias(CX, rout, v + L->b, L->oc, act_size(L, 0, ws->B) / L->oc);
	if (i > 0)
		BK->conv_forward(CX, i, ws->B, rout, ws->ra[i], theta + L->w, 1, NN_IN_OTHER);
}

/* H_w v += R{dout}·colᵀ + dout·R{col}ᵀ;  R{din} = convᵀ(v_w, dout) + convᵀ(w, R{dout}) */
static void conv_rbackward(nn_ws *ws, int i, const real *theta, const real *v, real *hv)
{
	const nn_layer *L = LAYER;
	const real *dout = ws->d[i + 1], *rdout = ws->rd[i + 1];
	BK->conv_backward_filter(CX, i, ws->B, hv + L->w, ws->a[i], rdout, NN_IN_SAME);
	if (i > 0)
		BK->conv_backward_filter(CX, i, ws->B, hv + L->w, ws->ra[i], dout, NN_IN_OTHER);
	BK->row_sums(CX, hv + L->b, rdout, L->oc, act_size(L, 0, ws->B) / L->oc);
	if (i > 0)
		BK->conv_backward_data(CX, i, ws->B, ws->rd[i], v + L->w, dout, theta + L->w, rdout);
}

/* ----------------------------------------------------------- batch-norm */

static void bn_forward(nn_ws *ws, int i, const real *theta, real *state)
{
	const nn_layer *L = LAYER;
	BK->bn_forward(CX, L, ws->B, ws->mode == NN_EVAL, &ws->bn[i], ws->a[i + 1], ws->a[i],
		       theta + L->w, theta + L->b, state ? state + L->s : NULL);
}

static void bn_backward(nn_ws *ws, int i, const real *theta, real *grad)
{
	const nn_layer *L = LAYER;
	if (!grad && i == 0)
		return;
	real *dg = grad ? grad + L->w : ws->bnsink, *db = grad ? grad + L->b : ws->bnsink + L->oc;
	BK->bn_backward(CX, L, ws->B, ws->mode == NN_EVAL, &ws->bn[i], i > 0 ? ws->d[i] : NULL,
			dg, db, ws->d[i + 1], theta + L->w);
}

static void bn_rforward(nn_ws *ws, int i, const real *theta, const real *v)
{
	const nn_layer *L = LAYER;
	BK->bn_rforward(CX, L, ws->B, ws->mode == NN_EVAL, &ws->bn[i], ws->ra[i + 1], ws->a[i],
			i > 0 ? ws->ra[i] : NULL, theta + L->w, v + L->w, v + L->b);
}

static void bn_rbackward(nn_ws *ws, int i, const real *theta, const real *v, real *hv)
{
	const nn_layer *L = LAYER;
	BK->bn_rbackward(CX, L, ws->B, &ws->bn[i], i > 0 ? ws->rd[i] : NULL, hv + L->w,
			 hv + L->b, ws->d[i + 1], ws->rd[i + 1], theta + L->w, v + L->w);
}

/* ----------------------------------------------------------------- ReLU */

static void relu_forward(nn_ws *ws, int i, const real *theta, real *state)
{
	(void)theta, (void)state;
	BK->relu(CX, ws->a[i + 1], ws->a[i], act_size(LAYER, 0, ws->B));
}

static void relu_backward(nn_ws *ws, int i, const real *theta, real *grad)
{
	(void)theta, (void)grad;
	if (i > 0)
		BK->relu_mask(CX, ws->d[i], ws->a[i + 1], ws->d[i + 1], act_size(LAYER, 0, ws->B));
}

static void relu_rforward(nn_ws *ws, int i, const real *theta, const real *v)
{
	(void)theta, (void)v;
	size_t n = act_size(LAYER, 0, ws->B);
	if (i > 0)
		BK->relu_mask(CX, ws->ra[i + 1], ws->a[i + 1], ws->ra[i], n);
	else
		BK->zero(CX, ws->ra[i + 1], n);
}

static void relu_rbackward(nn_ws *ws, int i, const real *theta, const real *v, real *hv)
{
	(void)theta, (void)v, (void)hv;
	if (i > 0)
		BK->relu_mask(CX, ws->rd[i], ws->a[i + 1], ws->rd[i + 1], act_size(LAYER, 0, ws->B));
}

/* ------------------------------------------------------ 2×2 max-pooling */

static void pool_forward(nn_ws *ws, int i, const real *theta, real *state)
{
	(void)theta, (void)state;
	BK->pool_forward(CX, LAYER, ws->B, ws->a[i + 1], ws->arg[i], ws->a[i]);
}

static void pool_backward(nn_ws *ws, int i, const real *theta, real *grad)
{
	(void)theta, (void)grad;
	if (i > 0)
		BK->pool_backward(CX, LAYER, ws->B, ws->d[i], ws->arg[i], ws->d[i + 1]);
}

static void pool_rforward(nn_ws *ws, int i, const real *theta, const real *v)
{
	(void)theta, (void)v;
	size_t n = act_size(LAYER, 0, ws->B);
	if (i > 0)
		BK->gather(CX, ws->ra[i + 1], ws->ra[i], ws->arg[i], n);
	else
		BK->zero(CX, ws->ra[i + 1], n);
}

static void pool_rbackward(nn_ws *ws, int i, const real *theta, const real *v, real *hv)
{
	(void)theta, (void)v, (void)hv;
	if (i > 0)
		BK->pool_backward(CX, LAYER, ws->B, ws->rd[i], ws->arg[i], ws->rd[i + 1]);
}

/* -------------------------------------------- global average pooling */
/* linear and without parameters: its R-passes are its passes on R{} */

static void gap_forward(nn_ws *ws, int i, const real *theta, real *state)
{
	(void)theta, (void)state;
	BK->gap_forward(CX, LAYER, ws->B, ws->a[i + 1], ws->a[i]);
}

static void gap_backward(nn_ws *ws, int i, const real *theta, real *grad)
{
	(void)theta, (void)grad;
	if (i > 0)
		BK->gap_backward(CX, LAYER, ws->B, ws->d[i], ws->d[i + 1]);
}

static void gap_rforward(nn_ws *ws, int i, const real *theta, const real *v)
{
	(void)theta, (void)v;
	if (i > 0)
		BK->gap_forward(CX, LAYER, ws->B, ws->ra[i + 1], ws->ra[i]);
	else
		BK->zero(CX, ws->ra[i + 1], act_size(LAYER, 0, ws->B));
}

static void gap_rbackward(nn_ws *ws, int i, const real *theta, const real *v, real *hv)
{
	(void)theta, (void)v, (void)hv;
	if (i > 0)
		BK->gap_backward(CX, LAYER, ws->B, ws->rd[i], ws->rd[i + 1]);
}

/* --------------------------------------------------------------- affine */
/* on the input as features (F, B), F = C·H·W */

static void affine_forward(nn_ws *ws, int i, const real *theta, real *state)
{
	const nn_layer *L = LAYER;
	int B = ws->B, F = L->ic * L->ih * L->iw;
	(void)state;
	BK->to_features(CX, ws->xt[i], ws->a[i], L->ic, B, L->ih * L->iw);
	BK->gemm(CX, 0, 0, L->oc, B, F, 1, theta + L->w, ws->xt[i], 0, ws->a[i + 1]);
	BK->add_bias(CX, ws->a[i + 1], theta + L->b, L->oc, (size_t)B);
}

static void affine_backward(nn_ws *ws, int i, const real *theta, real *grad)
{
	const nn_layer *L = LAYER;
	int B = ws->B, F = L->ic * L->ih * L->iw;
	const real *dout = ws->d[i + 1];
	if (grad) {
		BK->gemm(CX, 0, 1, L->oc, F, B, 1, dout, ws->xt[i], 1, grad + L->w);
		BK->row_sums(CX, grad + L->b, dout, L->oc, (size_t)B);
	}
	if (i > 0) {
		BK->gemm(CX, 1, 0, F, B, L->oc, 1, theta + L->w, dout, 0, ws->tmp);
		BK->from_features(CX, ws->d[i], ws->tmp, L->ic, B, L->ih * L->iw);
	}
}

static void affine_rforward(nn_ws *ws, int i, const real *theta, const real *v)
{
	const nn_layer *L = LAYER;
	int B = ws->B, F = L->ic * L->ih * L->iw;
	real *rout = ws->ra[i + 1];
	BK->gemm(CX, 0, 0, L->oc, B, F, 1, v + L->w, ws->xt[i], 0, rout);
	BK->add_bias(CX, rout, v + L->b, L->oc, (size_t)B);
	if (i > 0) {
		BK->to_features(CX, ws->rxt[i], ws->ra[i], L->ic, B, L->ih * L->iw);
		BK->gemm(CX, 0, 0, L->oc, B, F, 1, theta + L->w, ws->rxt[i], 1, rout);
	} else {
		BK->zero(CX, ws->rxt[i], (size_t)F * B);
	}
}

static void affine_rbackward(nn_ws *ws, int i, const real *theta, const real *v, real *hv)
{
	const nn_layer *L = LAYER;
	int B = ws->B, F = L->ic * L->ih * L->iw;
	const real *dout = ws->d[i + 1], *rdout = ws->rd[i + 1];
	BK->gemm(CX, 0, 1, L->oc, F, B, 1, rdout, ws->xt[i], 1, hv + L->w);
	BK->gemm(CX, 0, 1, L->oc, F, B, 1, dout, ws->rxt[i], 1, hv + L->w);
	BK->row_sums(CX, hv + L->b, rdout, L->oc, (size_t)B);
	if (i > 0) {
		BK->gemm(CX, 1, 0, F, B, L->oc, 1, v + L->w, dout, 0, ws->tmp);
		BK->gemm(CX, 1, 0, F, B, L->oc, 1, theta + L->w, rdout, 1, ws->tmp);
		BK->from_features(CX, ws->rd[i], ws->tmp, L->ic, B, L->ih * L->iw);
	}
}

/* ------------------------------------------ softmax cross-entropy (i = nl) */

static void ce_forward(nn_ws *ws, int i, const real *theta, real *state)
{
	(void)theta, (void)state;
	BK->ce_forward(CX, ws->loss, ws->prob, ws->pbk, ws->a[i], ws->y, ws->net->classes, ws->B);
}

static void ce_backward(nn_ws *ws, int i, const real *theta, real *grad)
{
	(void)theta, (void)grad;
	BK->ce_backward(CX, ws->d[i], ws->prob, ws->y, ws->net->classes, ws->B, ws->denom);
}

/* R{ℓ_b} = Σ_k p_k R{z_k} − R{z_y};  R{p_k} = p_k (R{z_k} − Σ p R{z});
 * R{∂L/∂z} = R{p}/denom */
static void ce_rforward(nn_ws *ws, int i, const real *theta, const real *v)
{
	(void)theta, (void)v;
	BK->ce_rforward(CX, ws->rloss, ws->rprob, ws->rd[i], ws->prob, ws->ra[i], ws->y,
			ws->net->classes, ws->B, ws->denom);
}

static void ce_rbackward(nn_ws *ws, int i, const real *theta, const real *v, real *hv)
{
	(void)ws, (void)i, (void)theta, (void)v, (void)hv;     /* no parameters */
}

static const struct layer_ops {
	void (*forward)(nn_ws *, int, const real *theta, real *state);
	void (*backward)(nn_ws *, int, const real *theta, real *grad);
	void (*rforward)(nn_ws *, int, const real *theta, const real *v);
	void (*rbackward)(nn_ws *, int, const real *theta, const real *v, real *hv);
} ops[NN_NTYPES + 1] = {
	[NN_CONV] = { conv_forward, conv_backward, conv_rforward, conv_rbackward },
	[NN_BN] = { bn_forward, bn_backward, bn_rforward, bn_rbackward },
	[NN_RELU] = { relu_forward, relu_backward, relu_rforward, relu_rbackward },
	[NN_POOL] = { pool_forward, pool_backward, pool_rforward, pool_rbackward },
	[NN_AFFINE] = { affine_forward, affine_backward, affine_rforward, affine_rbackward },
	[NN_GAP] = { gap_forward, gap_backward, gap_rforward, gap_rbackward },
	[NN_NTYPES] = { ce_forward, ce_backward, ce_rforward, ce_rbackward },
};

static const struct layer_ops *ops_of(const nn_ws *ws, int i)
{
	return &ops[i < ws->net->nl ? ws->net->l[i].type : NN_NTYPES];
}

/* ============================================================ the walker */

void nn_forward(nn_ws *ws, const real *theta, real *state, const real *x, const int *y,
		int B, double denom, int mode)
{
	const nn_net *net = ws->net;
	if (B < 1 || B > ws->cap)
		die("internal error: batch %d outside 1..%d", B, ws->cap);
	ws->B = B, ws->mode = mode, ws->denom = denom;
	if (x)
		BK->input(CX, ws->a[0], ws->y, x, y, B, net->c, (size_t)net->h * net->w);
	for (int i = 0; i <= net->nl; i++)
		ops_of(ws, i)->forward(ws, i, theta, state);
}

void nn_backward(nn_ws *ws, const real *theta, real *grad)
{
	if (grad)
		BK->zero(CX, grad, ws->net->nparams);
	for (int i = ws->net->nl; i >= 0; i--)
		ops_of(ws, i)->backward(ws, i, theta, grad);
}

void nn_rforward(nn_ws *ws, const real *theta, const real *v, real *dots)
{
	for (int i = 0; i <= ws->net->nl; i++)
		ops_of(ws, i)->rforward(ws, i, theta, v);
	if (dots)
		BK->get(CX, dots, ws->rloss, (size_t)ws->B);
}

void nn_rbackward(nn_ws *ws, const real *theta, const real *v, real *hv)
{
	if (ws->mode != NN_TRAIN)
		die("internal error: H v needs a NN_TRAIN forward");
	BK->zero(CX, hv, ws->net->nparams);
	/* rd[nl] = R{dz} was set by the R-forward pass */
	for (int i = ws->net->nl - 1; i >= 0; i--)
		ops_of(ws, i)->rbackward(ws, i, theta, v, hv);
}

void nn_gnvp(nn_ws *ws, const real *theta, real *gv)
{
	int n = ws->net->nl;
	if (ws->mode != NN_TRAIN)
		die("internal error: G v needs a NN_TRAIN forward");
	/* R{∂L/∂z} = H_z R{z} / denom is the backward pass's seed */
	BK->axpby(CX, ws->d[n], 1, ws->rd[n], 0, (size_t)ws->net->classes * ws->B);
	BK->zero(CX, gv, ws->net->nparams);
	for (int i = n - 1; i >= 0; i--)
		ops_of(ws, i)->backward(ws, i, theta, gv);
}

void nn_layer_pass(nn_ws *ws, int i, int pass, const real *theta, real *state,
		   const real *v, real *out)
{
	const struct layer_ops *o = ops_of(ws, i);
	switch (pass) {
	case NN_PASS_FORWARD: o->forward(ws, i, theta, state); break;
	case NN_PASS_BACKWARD: o->backward(ws, i, theta, out); break;
	case NN_PASS_RFORWARD: o->rforward(ws, i, theta, v); break;
	case NN_PASS_RBACKWARD: o->rbackward(ws, i, theta, v, out); break;
	default: die("internal error: no pass %d", pass);
	}
}

void nn_last_layer_grads(const nn_ws *ws, real *g)
{
	const nn_net *net = ws->net;
	const nn_layer *L = &net->l[net->nl - 1];
	int B = ws->B, K = net->classes, F = L->ic * L->ih * L->iw;
	size_t row = L->nw + L->nb;
	if (!ws->bk->host)
		die("internal error: nn_last_layer_grads on a device workspace");
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
