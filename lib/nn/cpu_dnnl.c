/*
 * cpu_dnnl.c — the CPU backend's convolutions (cpu.c) on oneDNN:
 * forward, backward-data and backward-weights as oneDNN's direct
 * convolutions in its own (blocked) layouts, in place of im2col + SGEMM.
 * The backend keeps activations (C, B, H, W); every call reorders the
 * images it works on into oneDNN's layout and back, and the weights from
 * (O, I, k, k). Float only: the double build of the tests (NN_F64) keeps
 * the GEMM path, which stays the reference the finite differences check.
 *
 * Determinism. A batch of B images is cut into at most NCHUNK chunks of
 * images, chosen from B alone. Every chunk is one oneDNN call on one thread
 * — its primitives are made while OpenMP's thread count is 1, so oneDNN
 * splits nothing — and OpenMP threads take the chunks. A forward or
 * backward-data output is computed inside its own chunk's call; the weight
 * gradient's per-chunk parts are added in chunk order, each element by one
 * thread. The calls and the order of every sum are the same at any thread
 * count, so the bits are too. oneDNN's own threading (the whole batch one
 * call, split by oneDNN) was measured and not kept: conv6 at 2 threads ran
 * at 155-226 images/s against 727-737 chunked, on a machine shared with
 * other work (docs/cpu.md), and its weight gradient sums per-thread parts,
 * so its bits depend on the thread count.
 *
 * A forward input of a new batch (NN_IN_NEW) is kept in oneDNN's layout
 * once a backward or R-pass has asked for it (NN_IN_SAME), as nn_cpu.c
 * keeps its im2col: forward-only work keeps nothing.
 */
#include "cpu_dnnl.h"

/* nothing without oneDNN (config.mk: HAVE_DNNL) */
#ifdef HAVE_DNNL

#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "../util/util.h"

/* the most chunks a batch is cut into: 8 share evenly between 1, 2, 4 and
 * 8 threads, and at conv6's batch (32) a chunk of 4 images still runs
 * oneDNN's kernels at full speed */
#define NCHUNK 8

#define DN(call) dn_check((call), #call, __LINE__)

static void dn_check(dnnl_status_t s, const char *what, int line)
{
	if (s != dnnl_success)
		die("oneDNN: %s: status %d (lib/nn_dnnl.c:%d)", what, (int)s, line);
}

/* a primitive and its descriptor (for its scratchpad) */
typedef struct op {
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t p;
} op;

/* one convolution at one chunk size n, inside a batch of B */
typedef struct prims {
	int n;
	op fwd, bwd_d, bwd_w;
	/* reorders between oneDNN's layouts and ours: an n-image slice of
	 * (C, B, H, W) (plain: strided views) or (O, I, k, k) */
	op src_f;               /* in → fwd's src */
	op dst_f[2];            /* fwd's dst → out: =, += */
	op dd_d;                /* dout → bwd_d's diff_dst */
	op ds_d[2];             /* bwd_d's diff_src → din: =, += */
	op src_w, dd_w;         /* in, dout → bwd_w's */
	op w_f, w_d;            /* w → fwd's, bwd_d's weights */
	op dw_w[2];             /* bwd_w's diff_weights → (O, I, k, k): =, += */
	dnnl_memory_desc_t in_p, out_p, w_p;
	const dnnl_memory_desc_t *src_fmd, *dst_fmd, *w_fmd, *dd_dmd, *ds_dmd, *w_dmd,
		*src_wmd, *dd_wmd, *dw_wmd;
	int same_src;           /* bwd_w reads fwd's src layout (the kept one) */
} prims;

/* one convolution at batch B: chunks of n images, the last of last */
typedef struct plan {
	int B, n, nc;
	prims full, last;       /* last.n == 0: every chunk is full */
	size_t kstride;         /* floats of a chunk in fwd's src layout */
	/* the weight gradient's per-chunk parts: in bwd_w's layout when every
	 * chunk's is the same (blocked), else as (O, I, k, k); pstride floats
	 * apart */
	int blocked;
	size_t pstride;
	struct plan *next;
} plan;

typedef struct thr {
	dnnl_stream_t st;
	float *a, *b, *c;       /* activations in oneDNN's layouts; diff weights */
	void *scratch;
} thr;

struct nn_dnnl {
	const nn_net *net;
	int max_batch, nl;
	dnnl_engine_t eng;
	plan **plans;           /* per layer */
	/* per thread: sizes (floats, bytes) every thread's buffers have */
	thr *th;
	int nth;
	size_t abuf, cbuf, sbuf, have_abuf, have_cbuf, have_sbuf;
	float *wbuf[4];         /* weights in oneDNN's layouts */
	size_t wsize, have_wsize;
	float *part;            /* the weight gradient's per-chunk parts */
	size_t psize;
	/* per layer: its forward input, kept (see the top) */
	float **keep;
	size_t *ksize;
	const float **kin;
	int *kB, keeping;
	char name[96];
};

/* ================================================================ memory */

static void *amalloc(size_t bytes)
{
	void *p = NULL;
	if (posix_memalign(&p, 64, bytes ? bytes : 64))
		die("out of memory (%zu bytes)", bytes);
	return p;
}

static void thr_bufs(nn_dnnl *d, thr *t)
{
	free(t->a), free(t->b), free(t->c), free(t->scratch);
	t->a = amalloc(d->abuf * sizeof(float));
	t->b = amalloc(d->abuf * sizeof(float));
	t->c = amalloc(d->cbuf * sizeof(float));
	t->scratch = amalloc(d->sbuf);
}

/* one stream and set of buffers for every thread OpenMP may run, as large
 * as the plans made so far need (called outside the chunk loops) */
static void ensure_threads(nn_dnnl *d)
{
	int T = omp_get_max_threads();
	if (d->abuf > d->have_abuf || d->cbuf > d->have_cbuf || d->sbuf > d->have_sbuf) {
		for (int t = 0; t < d->nth; t++)
			thr_bufs(d, &d->th[t]);
		d->have_abuf = d->abuf, d->have_cbuf = d->cbuf, d->have_sbuf = d->sbuf;
	}
	if (T > d->nth) {
		d->th = erealloc(d->th, (size_t)T * sizeof *d->th);
		for (int t = d->nth; t < T; t++) {
			memset(&d->th[t], 0, sizeof d->th[t]);
			DN(dnnl_stream_create(&d->th[t].st, d->eng, dnnl_stream_default_flags));
			thr_bufs(d, &d->th[t]);
		}
		d->nth = T;
	}
	if (d->wsize > d->have_wsize) {
		for (int k = 0; k < 4; k++) {
			free(d->wbuf[k]);
			d->wbuf[k] = amalloc(d->wsize * sizeof(float));
		}
		d->have_wsize = d->wsize;
	}
}

/* ========================================================== primitives */

static dnnl_primitive_attr_t attr_new(float sum)
{
	dnnl_primitive_attr_t a;
	DN(dnnl_primitive_attr_create(&a));
	DN(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user));
	if (sum != 0) {
		dnnl_post_ops_t po;
		DN(dnnl_post_ops_create(&po));
		DN(dnnl_post_ops_append_sum(po, sum));
		DN(dnnl_primitive_attr_set_post_ops(a, po));
		dnnl_post_ops_destroy(po);
	}
	return a;
}

static void op_make(op *o, dnnl_primitive_desc_t pd)
{
	o->pd = pd;
	DN(dnnl_primitive_create(&o->p, pd));
}

static void op_free(op *o)
{
	if (o->p)
		dnnl_primitive_destroy(o->p);
	if (o->pd)
		dnnl_primitive_desc_destroy(o->pd);
	memset(o, 0, sizeof *o);
}

static void reorder_make(nn_dnnl *d, op *o, const dnnl_memory_desc_t *from,
			 const dnnl_memory_desc_t *to, float sum)
{
	dnnl_primitive_attr_t a = attr_new(sum);
	dnnl_primitive_desc_t pd;
	DN(dnnl_reorder_primitive_desc_create(&pd, from, d->eng, to, d->eng, a));
	dnnl_primitive_attr_destroy(a);
	op_make(o, pd);
}

static size_t md_floats(const dnnl_memory_desc_t *md)
{
	return dnnl_memory_desc_get_size(md) / sizeof(float);
}

static size_t scratch_bytes(const op *o)
{
	if (!o->pd)
		return 0;
	return dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(o->pd,
								      dnnl_query_scratchpad_md, 0));
}

static const dnnl_memory_desc_t *md_of(const op *o, dnnl_query_t q)
{
	return dnnl_primitive_desc_query_md(o->pd, q, 0);
}

/* the n-image slice of (C, B, H, W) starting at an image, as oneDNN's
 * (n, C, H, W) with strides */
static void plain_md(dnnl_memory_desc_t *md, int n, int C, int B, int H, int W)
{
	dnnl_dims_t dims = { n, C, H, W };
	dnnl_dims_t strides = { (dnnl_dim_t)H * W, (dnnl_dim_t)B * H * W, W, 1 };
	DN(dnnl_memory_desc_init_by_strides(md, 4, dims, dnnl_f32, strides));
}

static void prims_make(nn_dnnl *d, prims *s, const nn_layer *L, int n, int B)
{
	s->n = n;
	dnnl_memory_desc_t src, wei, dst;
	dnnl_dims_t sd = { n, L->ic, L->ih, L->iw }, wd = { L->oc, L->ic, L->k, L->k };
	dnnl_dims_t dd = { n, L->oc, L->oh, L->ow };
	dnnl_dims_t one = { 1, 1 }, pad = { L->pad, L->pad };
	DN(dnnl_memory_desc_init_by_tag(&src, 4, sd, dnnl_f32, dnnl_format_tag_any));
	DN(dnnl_memory_desc_init_by_tag(&wei, 4, wd, dnnl_f32, dnnl_format_tag_any));
	DN(dnnl_memory_desc_init_by_tag(&dst, 4, dd, dnnl_f32, dnnl_format_tag_any));
	dnnl_primitive_attr_t a = attr_new(0);
	dnnl_convolution_desc_t cd;
	dnnl_primitive_desc_t pd;
	DN(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training,
					      dnnl_convolution_direct, &src, &wei, NULL, &dst,
					      one, pad, pad));
	DN(dnnl_primitive_desc_create(&pd, &cd, a, d->eng, NULL));
	op_make(&s->fwd, pd);
	DN(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &src, &wei,
						    &dst, one, pad, pad));
	DN(dnnl_primitive_desc_create(&pd, &cd, a, d->eng, s->fwd.pd));
	op_make(&s->bwd_d, pd);
	DN(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &src, &wei,
						       NULL, &dst, one, pad, pad));
	DN(dnnl_primitive_desc_create(&pd, &cd, a, d->eng, s->fwd.pd));
	op_make(&s->bwd_w, pd);
	dnnl_primitive_attr_destroy(a);

	s->src_fmd = md_of(&s->fwd, dnnl_query_src_md);
	s->w_fmd = md_of(&s->fwd, dnnl_query_weights_md);
	s->dst_fmd = md_of(&s->fwd, dnnl_query_dst_md);
	s->dd_dmd = md_of(&s->bwd_d, dnnl_query_diff_dst_md);
	s->w_dmd = md_of(&s->bwd_d, dnnl_query_weights_md);
	s->ds_dmd = md_of(&s->bwd_d, dnnl_query_diff_src_md);
	s->src_wmd = md_of(&s->bwd_w, dnnl_query_src_md);
	s->dd_wmd = md_of(&s->bwd_w, dnnl_query_diff_dst_md);
	s->dw_wmd = md_of(&s->bwd_w, dnnl_query_diff_weights_md);
	s->same_src = dnnl_memory_desc_equal(s->src_fmd, s->src_wmd);

	plain_md(&s->in_p, n, L->ic, B, L->ih, L->iw);
	plain_md(&s->out_p, n, L->oc, B, L->oh, L->ow);
	DN(dnnl_memory_desc_init_by_tag(&s->w_p, 4, wd, dnnl_f32, dnnl_oihw));
	reorder_make(d, &s->src_f, &s->in_p, s->src_fmd, 0);
	reorder_make(d, &s->dst_f[0], s->dst_fmd, &s->out_p, 0);
	reorder_make(d, &s->dst_f[1], s->dst_fmd, &s->out_p, 1);
	reorder_make(d, &s->dd_d, &s->out_p, s->dd_dmd, 0);
	reorder_make(d, &s->ds_d[0], s->ds_dmd, &s->in_p, 0);
	reorder_make(d, &s->ds_d[1], s->ds_dmd, &s->in_p, 1);
	reorder_make(d, &s->src_w, &s->in_p, s->src_wmd, 0);
	reorder_make(d, &s->dd_w, &s->out_p, s->dd_wmd, 0);
	reorder_make(d, &s->w_f, &s->w_p, s->w_fmd, 0);
	reorder_make(d, &s->w_d, &s->w_p, s->w_dmd, 0);
	reorder_make(d, &s->dw_w[0], s->dw_wmd, &s->w_p, 0);
	reorder_make(d, &s->dw_w[1], s->dw_wmd, &s->w_p, 1);

	/* every thread's buffers: a for sources, b for destinations, c for a
	 * weight gradient; the weights' */
	const dnnl_memory_desc_t *acts[] = { s->src_fmd, s->dst_fmd, s->dd_dmd, s->ds_dmd,
					     s->src_wmd, s->dd_wmd };
	for (size_t k = 0; k < sizeof acts / sizeof *acts; k++)
		if (md_floats(acts[k]) > d->abuf)
			d->abuf = md_floats(acts[k]);
	if (md_floats(s->dw_wmd) > d->cbuf)
		d->cbuf = md_floats(s->dw_wmd);
	const dnnl_memory_desc_t *ws[] = { s->w_fmd, s->w_dmd, &s->w_p };
	for (size_t k = 0; k < sizeof ws / sizeof *ws; k++)
		if (md_floats(ws[k]) > d->wsize)
			d->wsize = md_floats(ws[k]);
	const op *all[] = { &s->fwd, &s->bwd_d, &s->bwd_w, &s->src_f, &s->dst_f[0], &s->dst_f[1],
			    &s->dd_d, &s->ds_d[0], &s->ds_d[1], &s->src_w, &s->dd_w, &s->w_f,
			    &s->w_d, &s->dw_w[0], &s->dw_w[1] };
	for (size_t k = 0; k < sizeof all / sizeof *all; k++)
		if (scratch_bytes(all[k]) > d->sbuf)
			d->sbuf = scratch_bytes(all[k]);
}

static void prims_free(prims *s)
{
	op *all[] = { &s->fwd, &s->bwd_d, &s->bwd_w, &s->src_f, &s->dst_f[0], &s->dst_f[1],
		      &s->dd_d, &s->ds_d[0], &s->ds_d[1], &s->src_w, &s->dd_w, &s->w_f, &s->w_d,
		      &s->dw_w[0], &s->dw_w[1] };
	for (size_t k = 0; k < sizeof all / sizeof *all; k++)
		op_free(all[k]);
}

/* convolution i's plan at batch B, made at its first use */
static plan *plan_of(nn_dnnl *d, int i, int B)
{
	for (plan *p = d->plans[i]; p; p = p->next)
		if (p->B == B)
			return p;
	const nn_layer *L = &d->net->l[i];
	plan *p = ecalloc(1, sizeof *p);
	p->B = B;
	p->nc = B < NCHUNK ? B : NCHUNK;
	p->n = (B + p->nc - 1) / p->nc;
	p->nc = (B + p->n - 1) / p->n;
	/* oneDNN reads the thread count when a primitive is made: 1 here, so
	 * that a chunk's call never splits (the top of this file) */
	int T = omp_get_max_threads();
	omp_set_num_threads(1);
	prims_make(d, &p->full, L, p->n, B);
	int r = B - (p->nc - 1) * p->n;
	if (r != p->n)
		prims_make(d, &p->last, L, r, B);
	omp_set_num_threads(T);
	p->kstride = md_floats(p->full.src_fmd);
	p->blocked = !p->last.n || dnnl_memory_desc_equal(p->full.dw_wmd, p->last.dw_wmd);
	p->pstride = p->blocked ? md_floats(p->full.dw_wmd) : L->nw;
	size_t part = (size_t)p->nc * p->pstride;
	if (part > d->psize) {
		free(d->part);
		d->part = amalloc(part * sizeof(float));
		/* a blocked layout's padding is summed and never read: zeroed,
		 * so that nothing reads memory never written */
		memset(d->part, 0, part * sizeof(float));
		d->psize = part;
	}
	p->next = d->plans[i];
	d->plans[i] = p;
	return p;
}

/* ============================================================ execution */

/* run o with up to 3 (argument, memory description, data) triples and the
 * thread's scratchpad, on stream st */
static void run(const op *o, dnnl_stream_t st, void *scratch, int n, const int *arg,
		const dnnl_memory_desc_t *const *md, void *const *ptr, dnnl_engine_t eng)
{
	dnnl_exec_arg_t args[4];
	dnnl_memory_t mem[4];
	int k = 0;
	for (; k < n; k++) {
		DN(dnnl_memory_create(&mem[k], md[k], eng, ptr[k]));
		args[k].arg = arg[k], args[k].memory = mem[k];
	}
	const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(o->pd, dnnl_query_scratchpad_md, 0);
	if (smd && dnnl_memory_desc_get_size(smd)) {
		DN(dnnl_memory_create(&mem[k], smd, eng, scratch));
		args[k].arg = DNNL_ARG_SCRATCHPAD, args[k].memory = mem[k];
		k++;
	}
	DN(dnnl_primitive_execute(o->p, st, k, args));
	for (int j = 0; j < k; j++)
		dnnl_memory_destroy(mem[j]);
}

static void reorder(nn_dnnl *d, const op *o, thr *t, const void *from, void *to)
{
	int arg[] = { DNNL_ARG_FROM, DNNL_ARG_TO };
	const dnnl_memory_desc_t *md[] = { md_of(o, dnnl_query_src_md), md_of(o, dnnl_query_dst_md) };
	void *ptr[] = { (void *)from, to };
	run(o, t->st, t->scratch, 2, arg, md, ptr, d->eng);
}

static void conv(nn_dnnl *d, const op *o, thr *t, int a0, const void *p0, int a1,
		 const void *p1, int a2, void *p2)
{
	int arg[] = { a0, a1, a2 };
	const dnnl_memory_desc_t *md[] = { dnnl_primitive_desc_query_md(o->pd, dnnl_query_exec_arg_md, a0),
					   dnnl_primitive_desc_query_md(o->pd, dnnl_query_exec_arg_md, a1),
					   dnnl_primitive_desc_query_md(o->pd, dnnl_query_exec_arg_md, a2) };
	void *ptr[] = { (void *)p0, (void *)p1, p2 };
	run(o, t->st, t->scratch, 3, arg, md, ptr, d->eng);
}

static const prims *chunk_prims(const plan *p, int k)
{
	return k == p->nc - 1 && p->last.n ? &p->last : &p->full;
}

/* in the chunk loops below, chunk k's slice of a (C, B, H, W) buffer of
 * P-pixel planes starts at image k·n */
#define SLICE(x, k, P) ((x) + (size_t)(k) * p->n * (P))

/* the thread's own part of d (the chunk loops run one chunk per call) */
static thr *me(nn_dnnl *d) { return &d->th[omp_get_thread_num()]; }

/* the weights w in every chunk size's layout into wbuf[slot], wbuf[slot+1] */
static void weights_in(nn_dnnl *d, const plan *p, int bwd, const float *w, int slot)
{
	thr *t = &d->th[0];
	reorder(d, bwd ? &p->full.w_d : &p->full.w_f, t, w, d->wbuf[slot]);
	if (p->last.n)
		reorder(d, bwd ? &p->last.w_d : &p->last.w_f, t, w, d->wbuf[slot + 1]);
}

void nn_dnnl_conv_forward(nn_dnnl *d, int i, int B, float *out, const float *in,
			  const float *w, float beta, int what)
{
	const nn_layer *L = &d->net->l[i];
	plan *p = plan_of(d, i, B);
	ensure_threads(d);
	if (beta != 0 && beta != 1)
		die("internal error: convolution forward with beta %g", beta);
	const float *kept = NULL;
	float *keep = NULL;
	if (what == NN_IN_SAME && d->kin[i] == in && d->kB[i] == B) {
		kept = d->keep[i];
	} else {
		if (what == NN_IN_SAME)
			d->keeping = 1;
		if (what == NN_IN_NEW) {
			d->kin[i] = NULL;
			if (d->keeping) {
				size_t need = p->kstride * p->nc;
				if (need > d->ksize[i]) {
					free(d->keep[i]);
					d->keep[i] = amalloc(need * sizeof(float));
					d->ksize[i] = need;
				}
				keep = d->keep[i], d->kin[i] = in, d->kB[i] = B;
			}
		}
	}
	weights_in(d, p, 0, w, 0);
	size_t Pi = (size_t)L->ih * L->iw, Po = (size_t)L->oh * L->ow;
#pragma omp parallel for schedule(static) if (p->nc > 1)
	for (int k = 0; k < p->nc; k++) {
		const prims *s = chunk_prims(p, k);
		thr *t = me(d);
		const float *src;
		if (kept) {
			src = kept + k * p->kstride;
		} else {
			float *to = keep ? keep + k * p->kstride : t->a;
			reorder(d, &s->src_f, t, SLICE(in, k, Pi), to);
			src = to;
		}
		conv(d, &s->fwd, t, DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, d->wbuf[s == &p->full ? 0 : 1],
		     DNNL_ARG_DST, t->b);
		reorder(d, &s->dst_f[beta != 0], t, t->b, SLICE(out, k, Po));
	}
}

void nn_dnnl_conv_backward_filter(nn_dnnl *d, int i, int B, float *dw, const float *in,
				  const float *dout, int what)
{
	const nn_layer *L = &d->net->l[i];
	plan *p = plan_of(d, i, B);
	ensure_threads(d);
	const float *kept = NULL;
	if (what == NN_IN_SAME && d->kin[i] == in && d->kB[i] == B)
		kept = d->keep[i];
	else if (what == NN_IN_SAME)
		d->keeping = 1;
	size_t Pi = (size_t)L->ih * L->iw, Po = (size_t)L->oh * L->ow, ps = p->pstride;
	float *part = d->part;
#pragma omp parallel for schedule(static) if (p->nc > 1)
	for (int k = 0; k < p->nc; k++) {
		const prims *s = chunk_prims(p, k);
		thr *t = me(d);
		const float *src;
		if (kept && s->same_src) {
			src = kept + k * p->kstride;
		} else {
			reorder(d, &s->src_w, t, SLICE(in, k, Pi), t->a);
			src = t->a;
		}
		reorder(d, &s->dd_w, t, SLICE(dout, k, Po), t->b);
		float *dk = p->blocked ? part + k * ps : t->c;
		conv(d, &s->bwd_w, t, DNNL_ARG_SRC, src, DNNL_ARG_DIFF_DST, t->b,
		     DNNL_ARG_DIFF_WEIGHTS, dk);
		if (!p->blocked)
			reorder(d, &s->dw_w[0], t, dk, part + k * ps);
	}
	/* the chunks' parts added in chunk order, into the first */
	int nc = p->nc;
#pragma omp parallel for schedule(static) if (ps * nc >= 16384)
	for (size_t e = 0; e < ps; e++) {
		float sum = part[e];
		for (int k = 1; k < nc; k++)
			sum += part[k * ps + e];
		part[e] = sum;
	}
	/* dw += it */
	if (p->blocked) {
		reorder(d, &p->full.dw_w[1], &d->th[0], part, dw);
	} else {
#pragma omp parallel for schedule(static) if (ps >= 16384)
		for (size_t e = 0; e < ps; e++)
			dw[e] += part[e];
	}
}

void nn_dnnl_conv_backward_data(nn_dnnl *d, int i, int B, float *din, const float *w,
				const float *dout, const float *w2, const float *dout2)
{
	const nn_layer *L = &d->net->l[i];
	plan *p = plan_of(d, i, B);
	ensure_threads(d);
	weights_in(d, p, 1, w, 0);
	if (w2)
		weights_in(d, p, 1, w2, 2);
	size_t Pi = (size_t)L->ih * L->iw, Po = (size_t)L->oh * L->ow;
#pragma omp parallel for schedule(static) if (p->nc > 1)
	for (int k = 0; k < p->nc; k++) {
		const prims *s = chunk_prims(p, k);
		int last = s != &p->full;
		thr *t = me(d);
		for (int j = 0; j < (w2 ? 2 : 1); j++) {
			reorder(d, &s->dd_d, t, SLICE(j ? dout2 : dout, k, Po), t->a);
			conv(d, &s->bwd_d, t, DNNL_ARG_DIFF_DST, t->a, DNNL_ARG_WEIGHTS,
			     d->wbuf[2 * j + last], DNNL_ARG_DIFF_SRC, t->b);
			reorder(d, &s->ds_d[j], t, t->b, SLICE(din, k, Pi));
		}
	}
}

/* ================================================================ setup */

nn_dnnl *nn_dnnl_new(const nn_net *net, int max_batch)
{
	int any = 0;
	for (int i = 0; i < net->nl; i++)
		any |= net->l[i].type == NN_CONV;
	if (!any)
		return NULL;
	nn_dnnl *d = ecalloc(1, sizeof *d);
	d->net = net, d->max_batch = max_batch, d->nl = net->nl;
	DN(dnnl_engine_create(&d->eng, dnnl_cpu, 0));
	d->plans = ecalloc((size_t)net->nl, sizeof *d->plans);
	d->keep = ecalloc((size_t)net->nl, sizeof *d->keep);
	d->ksize = ecalloc((size_t)net->nl, sizeof *d->ksize);
	d->kin = ecalloc((size_t)net->nl, sizeof *d->kin);
	d->kB = ecalloc((size_t)net->nl, sizeof *d->kB);
	return d;
}

const char *nn_dnnl_describe(nn_dnnl *d)
{
	const dnnl_version_t *v = dnnl_version();
	const char *isa;
	switch (dnnl_get_effective_cpu_isa()) {
	case dnnl_cpu_isa_sse41: isa = "sse4.1"; break;
	case dnnl_cpu_isa_avx: isa = "avx"; break;
	case dnnl_cpu_isa_avx2: isa = "avx2"; break;
	case dnnl_cpu_isa_avx2_vnni: isa = "avx2"; break;
	case dnnl_cpu_isa_avx512_core:
	case dnnl_cpu_isa_avx512_core_vnni:
	case dnnl_cpu_isa_avx512_core_bf16:
	case dnnl_cpu_isa_avx512_core_amx: isa = "avx512"; break;
	default: isa = "?"; break;
	}
	snprintf(d->name, sizeof d->name, "oneDNN %d.%d.%d %s", v->major, v->minor, v->patch, isa);
	return d->name;
}

void nn_dnnl_free(nn_dnnl *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->nl; i++) {
		for (plan *p = d->plans[i], *q; p; p = q) {
			q = p->next;
			prims_free(&p->full);
			prims_free(&p->last);
			free(p);
		}
		free(d->keep[i]);
	}
	for (int t = 0; t < d->nth; t++) {
		dnnl_stream_destroy(d->th[t].st);
		free(d->th[t].a), free(d->th[t].b), free(d->th[t].c), free(d->th[t].scratch);
	}
	for (int k = 0; k < 4; k++)
		free(d->wbuf[k]);
	free(d->th), free(d->part);
	free(d->plans), free(d->keep), free(d->ksize), free(d->kin), free(d->kB);
	dnnl_engine_destroy(d->eng);
	free(d);
}

#endif /* HAVE_DNNL */
