/*
 * cpu.c — the CPU backend (lib/nn/backend.h): the reference every other
 * backend is held to. Matrix products go to BLAS (OpenBLAS); everything
 * else is plain C loops in a fixed order, so the same inputs give the same
 * bits at any thread count. The loops run on OpenMP threads partitioned by
 * output (a channel, an image plane, an element): every output is computed
 * by one thread with the same code in the same order, so the partition
 * changes the speed and never the bits. The element and index maths is maths.h,
 * shared with the CUDA kernels; the orders of the sums are this file's.
 * Compiled with -DNN_F64 it runs in double (tests/unit/test-grad.c).
 */
#include <cblas.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "backend.h"
#include "net.h"

/* oneDNN's convolutions (cpu_dnnl.c) where the build has it, in float;
 * else, and in the double build of the tests, im2col + SGEMM below */
#if defined(HAVE_DNNL) && !defined(NN_F64)
#include "cpu_dnnl.h"
#define USE_DNNL 1
#endif

#ifdef NN_F64
#define GEMM cblas_dgemm
#else
#define GEMM cblas_sgemm
#endif

typedef struct cpu {
	nn_backend bk;
	const nn_net *net;
	int max_batch, nl;
	real *col;                      /* convolution scratch */
	/* per layer: the im2col of its forward input (NN_IN_NEW), kept for the
	 * backward and R-passes of the batch (NN_IN_SAME) once one of them has
	 * asked for it (forward-only work keeps nothing); kin and kB say whose */
	real **keep;
	const real **kin;
	int *kB, keeping;
	nn_tally tal;
#ifdef USE_DNNL
	nn_dnnl *dn;                    /* NULL: no convolution */
#endif
} cpu;

/* loops shorter than this stay on one thread (the fork costs more) */
#define PAR_MIN 16384

#define NET(ctx) (((cpu *)(ctx))->net)

/* Sums over a channel or a row in a fixed order that vectorises: element j
 * goes to running sum j % LANES, and the lanes are added pairwise at the
 * end (lanes_fold). The order is the code's, not the compiler's or the
 * instruction set's (omp simd only says the lanes are independent), so the
 * bits are the same on every machine that rounds IEEE arithmetic. A single
 * running sum waited on the adder's latency at each element. */
#define LANES 16

static real lanes_fold(real *acc)
{
	for (int w = LANES / 2; w; w /= 2)
		for (int l = 0; l < w; l++)
			acc[l] += acc[l + w];
	return acc[0];
}

static double lanes_fold_d(double *acc)
{
	for (int w = LANES / 2; w; w /= 2)
		for (int l = 0; l < w; l++)
			acc[l] += acc[l + w];
	return acc[0];
}

/* ================================================================ memory */

static void *alloc_cpu(void *ctx, size_t bytes)
{
	(void)ctx;
	return ecalloc(bytes ? bytes : 1, 1);
}

static void release_cpu(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static void zero_cpu(void *ctx, real *p, size_t n)
{
	(void)ctx;
	memset(p, 0, n * sizeof *p);
}

static void copy_cpu(void *ctx, real *dst, const real *src, size_t n)
{
	(void)ctx;
	if (dst != src)
		memcpy(dst, src, n * sizeof *dst);
}

/* (B, C, H, W) → (C, B, H, W) */
static void input_cpu(void *ctx, real *a0, int *ya, const real *x, const int *y, int B, int C,
		      size_t P)
{
	(void)ctx;
	memcpy(ya, y, (size_t)B * sizeof *y);
#pragma omp parallel for schedule(static) if ((size_t)B * C * P >= PAR_MIN)
	for (int b = 0; b < B; b++)
		for (int c = 0; c < C; c++)
			memcpy(a0 + ((size_t)c * B + b) * P, x + ((size_t)b * C + c) * P,
			       P * sizeof *x);
}

/* =========================================================== dense maths */

extern void openblas_set_num_threads(int);

/* Determinism whatever the thread count: BLAS itself runs single-threaded,
 * and C is cut into blocks chosen from the shape alone; OpenMP threads take
 * the blocks, and every block is the same BLAS call however many threads
 * there are, so the bits cannot depend on them. Columns are cut into about
 * 128-wide blocks on 16-column boundaries, their count a multiple of 4 so
 * that 2 or 4 threads share them evenly; a product with few columns and a
 * long inner dimension (a convolution's weight gradient: 32 × 288 × 32768)
 * is cut along its rows too. */
static void gemm_cpu(void *ctx, int ta, int tb, int M, int N, int K, real alpha,
		     const real *A, const real *B, real beta, real *C)
{
	(void)ctx;
	static int once;
	if (!once) {
		openblas_set_num_threads(1);
		once = 1;
	}
	int nb = 1, mb = 1;
#ifdef OLD_GEMM
	if ((long)M * N * K >= (1L << 18) && N >= 128) { nb = (N + 127) / 128; if (nb > 64) nb = 64; }
	if (0) {
#else
	if ((long)M * N * K >= (1L << 18)) {
#endif
		nb = (N + 127) / 128;
		nb = (nb + 3) / 4 * 4;
		while (nb > 1 && N / nb < 16)
			nb /= 2;
		if (nb > 64)
			nb = 64;
		while (nb * mb < 8 && M / (2 * mb) >= 16)
			mb *= 2;
	}
#pragma omp parallel for schedule(dynamic) if (nb * mb > 1)
	for (int j = 0; j < nb * mb; j++) {
		int jn = j % nb, jm = j / nb;
		int n0 = (int)((long)N * jn / nb), n1 = (int)((long)N * (jn + 1) / nb);
		int m0 = (int)((long)M * jm / mb), m1 = (int)((long)M * (jm + 1) / mb);
#ifndef OLD_GEMM
		if (nb > 1)
#else
		if (0)
#endif
			n0 = jn ? (n0 + 8) / 16 * 16 : 0, n1 = jn + 1 < nb ? (n1 + 8) / 16 * 16 : N;
		if (n1 <= n0)
			continue;
		const real *Bj = tb ? B + (size_t)n0 * K : B + n0;
		const real *Aj = ta ? A + m0 : A + (size_t)m0 * K;
		GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
		     tb ? CblasTrans : CblasNoTrans, m1 - m0, n1 - n0, K, alpha, Aj, ta ? M : K,
		     Bj, tb ? K : N, beta, C + (size_t)m0 * N + n0, N);
	}
}

static void add_bias_cpu(void *ctx, real *out, const real *bias, int O, size_t n)
{
	(void)ctx;
#pragma omp parallel for schedule(static) if ((size_t)O * n >= PAR_MIN)
	for (int o = 0; o < O; o++) {
		real *x = out + (size_t)o * n, b = bias[o];
#pragma omp simd
		for (size_t j = 0; j < n; j++)
			x[j] += b;
	}
}

static void row_sums_cpu(void *ctx, real *db, const real *d, int O, size_t n)
{
	(void)ctx;
#pragma omp parallel for schedule(static) if ((size_t)O * n >= PAR_MIN)
	for (int o = 0; o < O; o++) {
		const real *x = d + (size_t)o * n;
		real acc[LANES] = { 0 };
		size_t j = 0;
		for (; j + LANES <= n; j += LANES)
#pragma omp simd
			for (int l = 0; l < LANES; l++)
				acc[l] += x[j + l];
		for (; j < n; j++)
			acc[j % LANES] += x[j];
		db[o] += lanes_fold(acc);
	}
}

static void to_features_cpu(void *ctx, real *xt, const real *in, int C, int B, int P)
{
	(void)ctx;
#pragma omp parallel for schedule(static) if ((size_t)C * B * P >= PAR_MIN)
	for (int c = 0; c < C; c++)
		for (int b = 0; b < B; b++)
			for (int p = 0; p < P; p++)
				xt[nn_feat_index((size_t)c, (size_t)b, (size_t)p, (size_t)B, (size_t)P)] =
					in[((size_t)c * B + b) * P + p];
}

static void from_features_cpu(void *ctx, real *in, const real *xt, int C, int B, int P)
{
	(void)ctx;
#pragma omp parallel for schedule(static) if ((size_t)C * B * P >= PAR_MIN)
	for (int c = 0; c < C; c++)
		for (int b = 0; b < B; b++)
			for (int p = 0; p < P; p++)
				in[((size_t)c * B + b) * P + p] =
					xt[nn_feat_index((size_t)c, (size_t)b, (size_t)p, (size_t)B, (size_t)P)];
}

/* =========================================================== convolution */

/* (C, B, H, W) → (C·k·k, B·Ho·Wo): row r = (c, ki, kj) of the column
 * matrix, image b's part, one output row at a time (nn_conv_src's rule:
 * pixels in the padding are 0) */
static void im2col(const nn_layer *L, int B, const real *in, real *col)
{
	int k = L->k, H = L->ih, W = L->iw, Ho = L->oh, Wo = L->ow, p = L->pad;
	int R = L->ic * k * k;
	size_t n = (size_t)B * Ho * Wo;
#pragma omp parallel for collapse(2) schedule(static) if ((size_t)R * n >= PAR_MIN)
	for (int r = 0; r < R; r++)
		for (int b = 0; b < B; b++) {
			int c = r / (k * k), ki = r / k % k, kj = r % k;
			/* the outputs whose input column ix = ox + kj − p is inside */
			int x0 = p - kj > 0 ? p - kj : 0, x1 = W + p - kj < Wo ? W + p - kj : Wo;
			const real *src = in + ((size_t)c * B + b) * H * W;
			real *dst = col + (size_t)r * n + (size_t)b * Ho * Wo;
			for (int oy = 0; oy < Ho; oy++, dst += Wo) {
				int iy = oy + ki - p;
				if (iy < 0 || iy >= H || x1 <= x0) {
					memset(dst, 0, (size_t)Wo * sizeof *dst);
					continue;
				}
				for (int ox = 0; ox < x0; ox++)
					dst[ox] = 0;
				memcpy(dst + x0, src + (size_t)iy * W + x0 + kj - p,
				       (size_t)(x1 - x0) * sizeof *dst);
				for (int ox = x1; ox < Wo; ox++)
					dst[ox] = 0;
			}
		}
}

/* the adjoint of im2col: in = Σ col (in overwritten); each input plane
 * (c, b) sums its k·k rows in (ki, kj) order */
static void col2im(const nn_layer *L, int B, const real *col, real *in)
{
	int k = L->k, H = L->ih, W = L->iw, Ho = L->oh, Wo = L->ow, p = L->pad;
	size_t n = (size_t)B * Ho * Wo;
#pragma omp parallel for collapse(2) schedule(static) if ((size_t)L->ic * k * k * n >= PAR_MIN)
	for (int c = 0; c < L->ic; c++)
		for (int b = 0; b < B; b++) {
			real *dst = in + ((size_t)c * B + b) * H * W;
			memset(dst, 0, (size_t)H * W * sizeof *dst);
			for (int ki = 0; ki < k; ki++)
				for (int kj = 0; kj < k; kj++) {
					const real *row = col + ((size_t)(c * k + ki) * k + kj) * n;
					int x0 = p - kj > 0 ? p - kj : 0;
					int x1 = W + p - kj < Wo ? W + p - kj : Wo;
					for (int oy = 0; oy < Ho; oy++) {
						int iy = oy + ki - p;
						if (iy < 0 || iy >= H)
							continue;
						const real *src = row + ((size_t)b * Ho + oy) * Wo;
						real *d = dst + ((ptrdiff_t)iy * W + kj - p);
						for (int ox = x0; ox < x1; ox++)
							d[ox] += src[ox];
					}
				}
		}
}

/* the im2col of convolution i's input in (what: NN_IN_*): the kept one when
 * it is in's, else built — into the layer's keep once a backward pass has
 * wanted one, else into the scratch */
static const real *col_of(cpu *c, int i, int B, const real *in, int what)
{
	const nn_layer *L = &c->net->l[i];
	if (what == NN_IN_SAME && c->kin[i] == in && c->kB[i] == B)
		return c->keep[i];
	real *col = c->col;
	if (what == NN_IN_SAME)
		c->keeping = 1;
	if (what == NN_IN_NEW) {
		c->kin[i] = NULL;
		if (c->keeping) {
			if (!c->keep[i])
				c->keep[i] = ecalloc(emul((size_t)L->ic * L->k * L->k * L->oh * L->ow,
							  (size_t)c->max_batch), sizeof(real));
			col = c->keep[i], c->kin[i] = in, c->kB[i] = B;
		}
	}
	im2col(L, B, in, col);
	return col;
}

static void conv_forward_cpu(void *ctx, int i, int B, real *out, const real *in,
			     const real *w, real beta, int what)
{
#ifdef USE_DNNL
	if (((cpu *)ctx)->dn) {
		nn_dnnl_conv_forward(((cpu *)ctx)->dn, i, B, out, in, w, beta, what);
		return;
	}
#endif
	const nn_layer *L = &NET(ctx)->l[i];
	const real *col = col_of(ctx, i, B, in, what);
	gemm_cpu(ctx, 0, 0, L->oc, B * L->oh * L->ow, L->ic * L->k * L->k, 1, w, col, beta, out);
}

static void conv_backward_filter_cpu(void *ctx, int i, int B, real *dw, const real *in,
				     const real *dout, int what)
{
#ifdef USE_DNNL
	if (((cpu *)ctx)->dn) {
		nn_dnnl_conv_backward_filter(((cpu *)ctx)->dn, i, B, dw, in, dout, what);
		return;
	}
#endif
	const nn_layer *L = &NET(ctx)->l[i];
	const real *col = col_of(ctx, i, B, in, what);
	gemm_cpu(ctx, 0, 1, L->oc, L->ic * L->k * L->k, B * L->oh * L->ow, 1, dout, col, 1, dw);
}

static void conv_backward_data_cpu(void *ctx, int i, int B, real *din, const real *w,
				   const real *dout, const real *w2, const real *dout2)
{
#ifdef USE_DNNL
	if (((cpu *)ctx)->dn) {
		nn_dnnl_conv_backward_data(((cpu *)ctx)->dn, i, B, din, w, dout, w2, dout2);
		return;
	}
#endif
	const nn_layer *L = &NET(ctx)->l[i];
	real *col = ((cpu *)ctx)->col;
	int ckk = L->ic * L->k * L->k, n = B * L->oh * L->ow;
	gemm_cpu(ctx, 1, 0, ckk, n, L->oc, 1, w, dout, 0, col);
	if (w2)
		gemm_cpu(ctx, 1, 0, ckk, n, L->oc, 1, w2, dout2, 1, col);
	col2im(L, B, col, din);
}

/* ========================================================== element-wise */

static void relu_cpu(void *ctx, real *out, const real *in, size_t n)
{
	(void)ctx;
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
	for (size_t j = 0; j < n; j++)
		out[j] = in[j] > 0 ? in[j] : 0;
}

static void relu_mask_cpu(void *ctx, real *out, const real *ref, const real *d, size_t n)
{
	(void)ctx;
#pragma omp parallel for simd schedule(static) if (n >= PAR_MIN)
	for (size_t j = 0; j < n; j++) {
		real v = d[j];          /* read unconditionally: it vectorises */
		out[j] = ref[j] > 0 ? v : 0;
	}
}

static void pool_forward_cpu(void *ctx, const nn_layer *L, int B, real *out, int *arg,
			     const real *in)
{
	(void)ctx;
	int H = L->ih, W = L->iw, Ho = L->oh, Wo = L->ow;
#pragma omp parallel for schedule(static) if ((size_t)L->ic * B * H * W >= PAR_MIN)
	for (size_t cb = 0; cb < (size_t)L->ic * B; cb++) {
		const real *x = in + cb * H * W;
		for (int oy = 0; oy < Ho; oy++) {
			/* nn_pool_argmax without its branches (they follow the
			 * data, and mispredict): the same comparisons in the same
			 * order, as selects, so the same winner */
			const real *r0 = x + (size_t)2 * oy * W, *r1 = r0 + W;
			size_t o = cb * Ho * Wo + (size_t)oy * Wo;
			int base = (int)(cb * H * W) + 2 * oy * W;
#pragma omp simd
			for (int ox = 0; ox < Wo; ox++) {
				real a = r0[2 * ox], b = r0[2 * ox + 1], c = r1[2 * ox], d = r1[2 * ox + 1];
				real v = a;
				int j = 2 * ox;
				j = b > v ? 2 * ox + 1 : j, v = b > v ? b : v;
				j = c > v ? W + 2 * ox : j, v = c > v ? c : v;
				j = d > v ? W + 2 * ox + 1 : j, v = d > v ? d : v;
				out[o + ox] = v;
				arg[o + ox] = base + j;
			}
		}
	}
}

static void pool_backward_cpu(void *ctx, const nn_layer *L, int B, real *din, const int *arg,
			      const real *dout)
{
	(void)ctx;
	/* an output's argmax lies in its own plane, and 2×2 windows of stride 2
	 * do not overlap: plane by plane, each input gets at most one term */
	size_t pi = (size_t)L->ih * L->iw, po = (size_t)L->oh * L->ow;
#pragma omp parallel for schedule(static) if ((size_t)L->ic * B * pi >= PAR_MIN)
	for (size_t cb = 0; cb < (size_t)L->ic * B; cb++) {
		memset(din + cb * pi, 0, pi * sizeof *din);
		for (size_t j = cb * po; j < (cb + 1) * po; j++)
			din[arg[j]] += dout[j];
	}
}

static void gather_cpu(void *ctx, real *out, const real *in, const int *arg, size_t n)
{
	(void)ctx;
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
	for (size_t j = 0; j < n; j++)
		out[j] = in[arg[j]];
}

static void gap_forward_cpu(void *ctx, const nn_layer *L, int B, real *out, const real *in)
{
	(void)ctx;
	size_t P = (size_t)L->ih * L->iw;
#pragma omp parallel for schedule(static) if ((size_t)L->ic * B * P >= PAR_MIN)
	for (size_t cb = 0; cb < (size_t)L->ic * B; cb++)
		out[cb] = nn_gap_mean(in + cb * P, P);
}

static void gap_backward_cpu(void *ctx, const nn_layer *L, int B, real *din, const real *dout)
{
	(void)ctx;
	size_t P = (size_t)L->ih * L->iw;
#pragma omp parallel for schedule(static) if ((size_t)L->ic * B * P >= PAR_MIN)
	for (size_t cb = 0; cb < (size_t)L->ic * B; cb++)
		for (size_t p = 0; p < P; p++)
			din[cb * P + p] = nn_gap_grad(dout[cb], P);
}

/* ============================================================ batch-norm */

static void bn_forward_cpu(void *ctx, const nn_layer *L, int B, int eval, nn_bn_buf *s,
			   real *out, const real *in, const real *g, const real *be, real *state)
{
	(void)ctx;
	int C = L->oc;
	size_t M = (size_t)B * L->oh * L->ow;
#pragma omp parallel for schedule(static) if (C * M >= PAR_MIN)
	for (int c = 0; c < C; c++) {
		const real *x = in + c * M;
		real *xh = s->xhat + c * M, *y = out + c * M;
		real mean, istd;
		if (!eval) {
			double acc[LANES] = { 0 }, v;
			size_t j = 0;
			for (; j + LANES <= M; j += LANES)
#pragma omp simd
				for (int l = 0; l < LANES; l++)
					acc[l] += x[j + l];
			for (; j < M; j++)
				acc[j % LANES] += x[j];
			mean = (real)(lanes_fold_d(acc) / (double)M);
			memset(acc, 0, sizeof acc);
			for (j = 0; j + LANES <= M; j += LANES)
#pragma omp simd
				for (int l = 0; l < LANES; l++)
					acc[l] += ((double)x[j + l] - mean) * ((double)x[j + l] - mean);
			for (; j < M; j++)
				acc[j % LANES] += ((double)x[j] - mean) * ((double)x[j] - mean);
			v = lanes_fold_d(acc) / (double)M;
			istd = nn_bn_istd(v);
			if (state)
				nn_bn_running(&state[c], &state[C + c], mean, v, M);
		} else {
			mean = state[c];
			istd = nn_bn_istd((double)state[C + c]);
		}
		s->mean[c] = mean;
		s->istd[c] = istd;
		real gc = g[c], bc = be[c];
#pragma omp simd
		for (size_t j = 0; j < M; j++) {
			xh[j] = nn_bn_xhat(x[j], mean, istd);
			y[j] = nn_bn_y(xh[j], gc, bc);
		}
	}
}

static void bn_backward_cpu(void *ctx, const nn_layer *L, int B, int eval, const nn_bn_buf *s,
			    real *din, real *dg, real *db, const real *dout, const real *g)
{
	(void)ctx;
	size_t M = (size_t)B * L->oh * L->ow;
#pragma omp parallel for schedule(static) if (L->oc * M >= PAR_MIN)
	for (int c = 0; c < L->oc; c++) {
		const real *dy = dout + c * M, *xh = s->xhat + c * M;
		real ag[LANES] = { 0 }, ab[LANES] = { 0 };
		size_t j = 0;
		for (; j + LANES <= M; j += LANES)
#pragma omp simd
			for (int l = 0; l < LANES; l++)
				ag[l] += dy[j + l] * xh[j + l], ab[l] += dy[j + l];
		for (; j < M; j++)
			ag[j % LANES] += dy[j] * xh[j], ab[j % LANES] += dy[j];
		real sg = lanes_fold(ag), sb = lanes_fold(ab);
		dg[c] += sg;
		db[c] += sb;
		if (!din)
			continue;
		real *dx = din + c * M, istd = s->istd[c], gc = g[c];
		if (eval) {
#pragma omp simd
			for (j = 0; j < M; j++)
				dx[j] = nn_bn_dx_eval(dy[j], gc, istd);
		} else {
#pragma omp simd
			for (j = 0; j < M; j++)
				dx[j] = nn_bn_dx(dy[j], xh[j], gc, istd, sg, sb, M);
		}
	}
}

static void bn_rforward_cpu(void *ctx, const nn_layer *L, int B, int eval, nn_bn_buf *s,
			    real *rout, const real *in, const real *rin, const real *g,
			    const real *vg, const real *vb)
{
	(void)ctx;
	size_t M = (size_t)B * L->oh * L->ow;
#pragma omp parallel for schedule(static) if (L->oc * M >= PAR_MIN)
	for (int c = 0; c < L->oc; c++) {
		const real *x = in + c * M, *rx = rin ? rin + c * M : NULL;
		const real *xh = s->xhat + c * M;
		real *rxh = s->rxhat + c * M, *ry = rout + c * M;
		real mean = s->mean[c], istd = s->istd[c];
		double rm = 0, rv = 0;
		if (rx && !eval) {
			double acc[LANES] = { 0 };
			size_t j = 0;
			for (; j + LANES <= M; j += LANES)
#pragma omp simd
				for (int l = 0; l < LANES; l++)
					acc[l] += rx[j + l];
			for (; j < M; j++)
				acc[j % LANES] += rx[j];
			rm = lanes_fold_d(acc) / (double)M;
			memset(acc, 0, sizeof acc);
			for (j = 0; j + LANES <= M; j += LANES)
#pragma omp simd
				for (int l = 0; l < LANES; l++)
					acc[l] += ((double)x[j + l] - mean) * rx[j + l];
			for (; j < M; j++)
				acc[j % LANES] += ((double)x[j] - mean) * rx[j];
			rv = 2 * lanes_fold_d(acc) / (double)M;
		}
		real ristd = nn_bn_ristd(istd, rv);
		s->rmean[c] = (real)rm;
		s->ristd[c] = ristd;
#pragma omp simd
		for (size_t j = 0; j < M; j++) {
			rxh[j] = nn_bn_rxhat(x[j], rx ? rx[j] : 0, mean, istd, (real)rm, ristd, !rx);
			ry[j] = nn_bn_ry(xh[j], rxh[j], g[c], vg[c], vb[c]);
		}
	}
}

static void bn_rbackward_cpu(void *ctx, const nn_layer *L, int B, const nn_bn_buf *s,
			     real *rdin, real *hg, real *hb, const real *dout, const real *rdout,
			     const real *g, const real *vg)
{
	(void)ctx;
	size_t M = (size_t)B * L->oh * L->ow;
#pragma omp parallel for schedule(static) if (L->oc * M >= PAR_MIN)
	for (int c = 0; c < L->oc; c++) {
		const real *dy = dout + c * M, *rdy = rdout + c * M;
		const real *xh = s->xhat + c * M, *rxh = s->rxhat + c * M;
		real a1[LANES] = { 0 }, a2[LANES] = { 0 }, a3[LANES] = { 0 }, a4[LANES] = { 0 };
		size_t j = 0;
		for (; j + LANES <= M; j += LANES)
#pragma omp simd
			for (int l = 0; l < LANES; l++) {
				a1[l] += dy[j + l] * xh[j + l];
				a2[l] += dy[j + l];
				a3[l] += rdy[j + l] * xh[j + l] + dy[j + l] * rxh[j + l];
				a4[l] += rdy[j + l];
			}
		for (; j < M; j++) {
			a1[j % LANES] += dy[j] * xh[j];
			a2[j % LANES] += dy[j];
			a3[j % LANES] += rdy[j] * xh[j] + dy[j] * rxh[j];
			a4[j % LANES] += rdy[j];
		}
		real sg = lanes_fold(a1), sb = lanes_fold(a2), rsg = lanes_fold(a3), rsb = lanes_fold(a4);
		hg[c] += rsg;
		hb[c] += rsb;
		if (!rdin)
			continue;
		real *rdx = rdin + c * M;
#pragma omp simd
		for (j = 0; j < M; j++)
			rdx[j] = nn_bn_rdx(dy[j], rdy[j], xh[j], rxh[j], g[c], vg[c], s->istd[c],
					   s->ristd[c], sg, sb, rsg, rsb, M);
	}
}

/* ================================================= softmax cross-entropy */

static void ce_forward_cpu(void *ctx, real *loss, real *prob, real *pbk, const real *z,
			   const int *y, int K, int B)
{
	(void)ctx;
	for (int b = 0; b < B; b++)
		loss[b] = nn_softmax_ce(z, K, B, b, y[b], prob, pbk);
}

static void ce_backward_cpu(void *ctx, real *dz, const real *prob, const int *y, int K, int B,
			    double denom)
{
	(void)ctx;
	for (int k = 0; k < K; k++)
		for (int b = 0; b < B; b++)
			dz[(size_t)k * B + b] = nn_ce_grad(prob[(size_t)k * B + b], k == y[b], denom);
}

static void ce_rforward_cpu(void *ctx, real *rloss, real *rprob, real *rdz, const real *prob,
			    const real *rz, const int *y, int K, int B, double denom)
{
	(void)ctx;
	for (int b = 0; b < B; b++)
		rloss[b] = nn_ce_r(prob, rz, K, B, b, y[b], denom, rprob, rdz);
}

/* ====================================================== training updates */

static void sgd_cpu(void *ctx, real *theta, const real *grad, real *vel, size_t n, double lr,
		    double wd, double mom)
{
	(void)ctx;
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
	for (size_t k = 0; k < n; k++)
		nn_sgd_elem(theta, grad, vel, k, (real)lr, (real)wd, (real)mom);
}

static void u_update_cpu(void *ctx, real *u, const real *hv, size_t n, double a, double wd)
{
	(void)ctx;
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
	for (size_t i = 0; i < n; i++)
		nn_u_update_elem(u, hv, i, (real)a, (real)wd);
}

static void add_cpu(void *ctx, real *y, const real *x, size_t n)
{
	(void)ctx;
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
	for (size_t i = 0; i < n; i++)
		y[i] += x[i];
}

static void axpby_cpu(void *ctx, real *y, double a, const real *x, double b, size_t n)
{
	(void)ctx;
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
	for (size_t i = 0; i < n; i++)
		nn_axpby_elem(y, (real)a, x, (real)b, i);
}

static double dot_cpu(void *ctx, const real *x, const real *y, size_t n)
{
	(void)ctx;
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)x[i] * y[i];
	return s;
}

static void tally_cpu(void *ctx, const real *loss, const real *pbk, const int *y, int B, int K,
		      double denom, long tag)
{
	nn_tally_add(&((cpu *)ctx)->tal, loss, pbk, y, B, K, denom, tag);
}

static void tally_read_cpu(void *ctx, nn_tally *t) { *t = ((cpu *)ctx)->tal; }

static void tally_reset_cpu(void *ctx)
{
	nn_tally zero = { 0, 0, -1 };
	((cpu *)ctx)->tal = zero;
}

/* ================================================================= table */

nn_backend *nn_cpu_new(const nn_net *net, int max_batch)
{
	cpu *c = ecalloc(1, sizeof *c);
	c->net = net;
	c->max_batch = max_batch, c->nl = net->nl;
#ifdef USE_DNNL
	c->dn = nn_dnnl_new(net, max_batch);
	c->col = ecalloc(1, sizeof(real));
#else
	c->col = ecalloc(nn_col_size(net, max_batch), sizeof(real));
#endif
	c->keep = ecalloc((size_t)net->nl + 1, sizeof *c->keep);
	c->kin = ecalloc((size_t)net->nl + 1, sizeof *c->kin);
	c->kB = ecalloc((size_t)net->nl + 1, sizeof *c->kB);
	tally_reset_cpu(c);
	nn_backend b = {
		.name = "cpu", .ctx = c, .host = 1,
		.alloc = alloc_cpu, .release = release_cpu, .zero = zero_cpu,
		.put = copy_cpu, .get = copy_cpu, .input = input_cpu,
		.gemm = gemm_cpu, .add_bias = add_bias_cpu, .row_sums = row_sums_cpu,
		.to_features = to_features_cpu, .from_features = from_features_cpu,
		.conv_forward = conv_forward_cpu, .conv_backward_filter = conv_backward_filter_cpu,
		.conv_backward_data = conv_backward_data_cpu,
		.relu = relu_cpu, .relu_mask = relu_mask_cpu,
		.pool_forward = pool_forward_cpu, .pool_backward = pool_backward_cpu,
		.gather = gather_cpu, .gap_forward = gap_forward_cpu, .gap_backward = gap_backward_cpu,
		.bn_forward = bn_forward_cpu, .bn_backward = bn_backward_cpu,
		.bn_rforward = bn_rforward_cpu, .bn_rbackward = bn_rbackward_cpu,
		.ce_forward = ce_forward_cpu, .ce_backward = ce_backward_cpu,
		.ce_rforward = ce_rforward_cpu,
		.sgd = sgd_cpu, .u_update = u_update_cpu, .add = add_cpu,
		.axpby = axpby_cpu, .dot = dot_cpu,
		.tally = tally_cpu, .tally_read = tally_read_cpu, .tally_reset = tally_reset_cpu,
	};
	c->bk = b;
	return &c->bk;
}

const char *nn_cpu_conv(const nn_backend *bk)
{
	cpu *c = (cpu *)bk->ctx;
	int any = 0;
	for (int i = 0; i < c->nl; i++)
		any |= c->net->l[i].type == NN_CONV;
	if (!any)
		return "no convolutions";
#ifdef USE_DNNL
	if (c->dn)
		return nn_dnnl_describe(c->dn);
#endif
	return "im2col + OpenBLAS";
}

void nn_cpu_free(nn_backend *bk)
{
	if (!bk)
		return;
	cpu *c = (cpu *)bk->ctx;
	for (int i = 0; i < c->nl; i++)
		free(c->keep[i]);
	free(c->keep), free(c->kin), free(c->kB);
	free(c->col);
#ifdef USE_DNNL
	nn_dnnl_free(c->dn);
#endif
	free(c);
}
