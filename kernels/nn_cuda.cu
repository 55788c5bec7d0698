/*
 * nn_cuda.cu — the CUDA backend (declared in lib/nn/backend.h): the
 * primitives the layers of lib/nn/nn.c are written in, on a GPU. Convolutions
 * go to cuDNN (or im2col + cuBLAS), matrix products to cuBLAS, everything
 * else to the kernels below, whose element and index maths is
 * lib/nn/maths.h, shared with the CPU backend (lib/nn/cpu.c) — only the
 * order of the reductions is this file's (fixed-order block trees). Scatters
 * (col2im, pool backward) are written as gathers so that no atomics are
 * needed and every run gives the same bits.
 */
#include "../lib/nn/backend.h"

#include <cudnn.h>
#include <dlfcn.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_check.h"

#define TPB 256
#define GRID(n) ((unsigned)(((n) + TPB - 1) / TPB))
/* LAUNCH(k, grid, block)(args): a kernel launch. LAUNCH_SYNC is the same on
 * a GPU, and marks the kernels whose threads meet at __syncthreads: the
 * CPU emulation of tests/emu must run their threads side by side. */
#ifndef LAUNCH
#define LAUNCH(k, grid, block) k<<<grid, block>>>
#define LAUNCH_SYNC(k, grid, block) k<<<grid, block>>>
#endif
#define LAUNCH_CHECK() CUDA_CHECK(cudaGetLastError())

/* ================================================================ kernels */

__global__ void k_to_cnhw(const float *x, float *a, int B, int C, size_t P)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x, n = (size_t)B * C * P;
	if (i >= n)
		return;
	size_t p = i % P, c = (i / P) % C, b = i / (P * C);
	a[(c * B + b) * P + p] = x[i];
}

__global__ void k_im2col(const float *in, float *col, int C, int B, int H, int W, int k,
			 int pad, int Ho, int Wo)
{
	size_t n = (size_t)B * Ho * Wo, total = (size_t)C * k * k * n;
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= total)
		return;
	size_t j = i % n, row = i / n;
	int kj = (int)(row % k), ki = (int)((row / k) % k), c = (int)(row / (k * k));
	int ox = (int)(j % Wo), oy = (int)((j / Wo) % Ho), b = (int)(j / ((size_t)Wo * Ho));
	int iy, ix;
	col[i] = nn_conv_src(oy, ox, ki, kj, pad, H, W, &iy, &ix) ?
		 in[(((size_t)c * B + b) * H + iy) * W + ix] : 0.f;
}

/* the adjoint of im2col as a gather: each input element sums the column
 * entries that copied it, in the CPU's (ki, kj) order */
__global__ void k_col2im(const float *col, float *in, int C, int B, int H, int W, int k,
			 int pad, int Ho, int Wo)
{
	size_t total = (size_t)C * B * H * W, n = (size_t)B * Ho * Wo;
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= total)
		return;
	int x = (int)(i % W), y = (int)((i / W) % H), b = (int)((i / ((size_t)W * H)) % B);
	int c = (int)(i / ((size_t)W * H * B));
	float s = 0;
	for (int ki = 0; ki < k; ki++)
		for (int kj = 0; kj < k; kj++) {
			/* the output (oy, ox) whose entry (ki, kj) read (y, x) */
			int oy = y - ki + pad, ox = x - kj + pad, iy, ix;
			if (oy < 0 || oy >= Ho || ox < 0 || ox >= Wo ||
			    !nn_conv_src(oy, ox, ki, kj, pad, H, W, &iy, &ix))
				continue;
			s += col[((size_t)(c * k + ki) * k + kj) * n + ((size_t)b * Ho + oy) * Wo + ox];
		}
	in[i] = s;
}

__global__ void k_add_bias(float *out, const float *bias, int O, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < (size_t)O * n)
		out[i] += bias[i / n];
}

/* db[o] += Σ_j d[o, j]: one block per row, fixed-order tree reduction */
__global__ void k_row_sums(float *db, const float *d, size_t n)
{
	__shared__ float sh[TPB];
	const float *row = d + blockIdx.x * n;
	float s = 0;
	for (size_t j = threadIdx.x; j < n; j += blockDim.x)
		s += row[j];
	sh[threadIdx.x] = s;
	__syncthreads();
	for (int w = TPB / 2; w > 0; w /= 2) {
		if ((int)threadIdx.x < w)
			sh[threadIdx.x] += sh[threadIdx.x + w];
		__syncthreads();
	}
	if (threadIdx.x == 0)
		db[blockIdx.x] += sh[0];
}

__global__ void k_relu(const float *in, float *out, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		out[i] = in[i] > 0 ? in[i] : 0.f;
}

/* out[i] = ref[i] > 0 ? d[i] : 0 (ReLU backward and both R-passes) */
__global__ void k_relu_mask(const float *ref, const float *d, float *out, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		out[i] = ref[i] > 0 ? d[i] : 0.f;
}

__global__ void k_pool(const float *in, float *out, int *arg, size_t CB, int H, int W,
		       int Ho, int Wo)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= CB * Ho * Wo)
		return;
	int ox = (int)(i % Wo), oy = (int)((i / Wo) % Ho);
	size_t cb = i / ((size_t)Wo * Ho);
	const float *x = in + cb * H * W;
	int best = nn_pool_argmax(x, W, oy, ox);
	out[i] = x[best];
	arg[i] = (int)(cb * H * W) + best;
}

/* pool backward as a gather: an input gets its window's gradient if it was
 * the window's maximum */
__global__ void k_unpool(const float *dout, const int *arg, float *din, size_t CB, int H,
			 int W, int Ho, int Wo)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= CB * H * W)
		return;
	int x = (int)(i % W), y = (int)((i / W) % H);
	size_t cb = i / ((size_t)W * H);
	int oy = y / 2, ox = x / 2;
	float v = 0;
	if (oy < Ho && ox < Wo) {
		size_t o = (cb * Ho + oy) * Wo + ox;
		if (arg[o] == (int)i)
			v = dout[o];
	}
	din[i] = v;
}

__global__ void k_gather(const float *in, const int *arg, float *out, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		out[i] = in[arg[i]];
}

/* (C, B, P) → (C·P, B) and back */
__global__ void k_to_features(const float *in, float *xt, int C, int B, int P)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= (size_t)C * B * P)
		return;
	size_t p = i % P, b = (i / P) % B, c = i / ((size_t)P * B);
	xt[nn_feat_index(c, b, p, (size_t)B, (size_t)P)] = in[i];
}

__global__ void k_from_features(const float *xt, float *in, int C, int B, int P)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= (size_t)C * B * P)
		return;
	size_t p = i % P, b = (i / P) % B, c = i / ((size_t)P * B);
	in[i] = xt[nn_feat_index(c, b, p, (size_t)B, (size_t)P)];
}

/* block reduction of a double */
__device__ double block_sum(double v)
{
	__shared__ double sh[TPB];
	sh[threadIdx.x] = v;
	__syncthreads();
	for (int w = TPB / 2; w > 0; w /= 2) {
		if ((int)threadIdx.x < w)
			sh[threadIdx.x] += sh[threadIdx.x + w];
		__syncthreads();
	}
	double r = sh[0];
	__syncthreads();
	return r;
}

/* batch-norm statistics, one block per channel; state (this layer's running
 * mean then variance, C each; may be NULL) gets the running update; eval
 * != 0 reads them instead */
__global__ void k_bn_stats(const float *x, float *mean, float *istd, float *state, int C,
			   size_t M, int eval)
{
	int c = blockIdx.x;
	const float *xc = x + c * M;
	if (eval) {
		if (threadIdx.x == 0) {
			mean[c] = state[c];
			istd[c] = nn_bn_istd((double)state[C + c]);
		}
		return;
	}
	double s = 0;
	for (size_t j = threadIdx.x; j < M; j += blockDim.x)
		s += xc[j];
	float mu = (float)(block_sum(s) / (double)M);
	double v = 0;
	for (size_t j = threadIdx.x; j < M; j += blockDim.x)
		v += ((double)xc[j] - mu) * ((double)xc[j] - mu);
	v = block_sum(v) / (double)M;
	if (threadIdx.x == 0) {
		mean[c] = mu;
		istd[c] = nn_bn_istd(v);
		if (state)
			nn_bn_running(&state[c], &state[C + c], mu, v, M);
	}
}

__global__ void k_bn_fwd(const float *x, float *xh, float *y, const float *mean,
			 const float *istd, const float *g, const float *be, size_t M, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	size_t c = i / M;
	xh[i] = nn_bn_xhat(x[i], mean[c], istd[c]);
	y[i] = nn_bn_y(xh[i], g[c], be[c]);
}

/* per channel: s1 = Σ a·b, s2 = Σ a (and with r: rs1 = Σ ra·b + a·rb, rs2 = Σ ra) */
__global__ void k_bn_sums(const float *dy, const float *xh, const float *rdy,
			  const float *rxh, float *out, size_t M)
{
	int c = blockIdx.x;
	size_t o = c * M;
	float s1 = 0, s2 = 0, r1 = 0, r2 = 0;
	for (size_t j = threadIdx.x; j < M; j += blockDim.x) {
		s1 += dy[o + j] * xh[o + j];
		s2 += dy[o + j];
		if (rdy) {
			r1 += rdy[o + j] * xh[o + j] + dy[o + j] * rxh[o + j];
			r2 += rdy[o + j];
		}
	}
	double t1 = block_sum(s1), t2 = block_sum(s2), t3 = block_sum(r1), t4 = block_sum(r2);
	if (threadIdx.x == 0) {
		out[4 * c] = (float)t1, out[4 * c + 1] = (float)t2;
		out[4 * c + 2] = (float)t3, out[4 * c + 3] = (float)t4;
	}
}

/* grad[w + c] += sums[4c + off], grad[b + c] += sums[4c + off + 1] */
__global__ void k_bn_acc(float *gw, float *gb, const float *sums, int C, int off)
{
	int c = blockIdx.x * blockDim.x + threadIdx.x;
	if (c < C) {
		gw[c] += sums[4 * c + off];
		gb[c] += sums[4 * c + off + 1];
	}
}

__global__ void k_bn_dx(const float *dy, const float *xh, const float *istd, const float *g,
			const float *sums, float *dx, size_t M, size_t n, int eval)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	size_t c = i / M;
	dx[i] = eval ? nn_bn_dx_eval(dy[i], g[c], istd[c]) :
		       nn_bn_dx(dy[i], xh[i], g[c], istd[c], sums[4 * c], sums[4 * c + 1], M);
}

/* R{mean} and R{istd} per channel from R{x}; zero when R{x} is zero or the
 * statistics are the running ones (evaluation mode) */
__global__ void k_bn_rstats(const float *x, const float *rx, const float *mean,
			    const float *istd, float *rmean, float *ristd, size_t M, int rzero)
{
	int c = blockIdx.x;
	size_t o = c * M;
	double rm = 0, rv = 0;
	if (!rzero) {
		for (size_t j = threadIdx.x; j < M; j += blockDim.x)
			rm += rx[o + j];
		rm = block_sum(rm) / (double)M;
		for (size_t j = threadIdx.x; j < M; j += blockDim.x)
			rv += ((double)x[o + j] - mean[c]) * rx[o + j];
		rv = 2 * block_sum(rv) / (double)M;
	}
	if (threadIdx.x == 0) {
		rmean[c] = (float)rm;
		ristd[c] = nn_bn_ristd(istd[c], rv);
	}
}

__global__ void k_bn_rfwd(const float *x, const float *rx, const float *xh, float *rxh,
			  float *ry, const float *mean, const float *istd, const float *rmean,
			  const float *ristd, const float *g, const float *vg, const float *vb,
			  size_t M, size_t n, int rzero)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	size_t c = i / M;
	rxh[i] = nn_bn_rxhat(x[i], rzero ? 0.f : rx[i], mean[c], istd[c], rmean[c], ristd[c], rzero);
	ry[i] = nn_bn_ry(xh[i], rxh[i], g[c], vg[c], vb[c]);
}

__global__ void k_bn_rdx(const float *dy, const float *rdy, const float *xh,
			 const float *rxh, const float *istd, const float *ristd,
			 const float *g, const float *vg, const float *sums, float *rdx,
			 size_t M, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	size_t c = i / M;
	rdx[i] = nn_bn_rdx(dy[i], rdy[i], xh[i], rxh[i], g[c], vg[c], istd[c], ristd[c],
			   sums[4 * c], sums[4 * c + 1], sums[4 * c + 2], sums[4 * c + 3], M);
}

/* softmax cross-entropy, one thread per sample (lib/nn/nn.h) */
__global__ void k_softmax_ce(const float *z, const int *y, float *prob, float *pbk,
			     float *loss, int K, int B)
{
	int b = blockIdx.x * blockDim.x + threadIdx.x;
	if (b < B)
		loss[b] = nn_softmax_ce(z, K, B, b, y[b], prob, pbk);
}

__global__ void k_ce_grad(const float *prob, const int *y, float *dz, int K, int B,
			  double denom)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= (size_t)K * B)
		return;
	int k = (int)(i / B), b = (int)(i % B);
	dz[i] = nn_ce_grad(prob[i], k == y[b], denom);
}

__global__ void k_ce_r(const float *prob, const float *rz, const int *y, float *rprob,
		       float *rloss, float *rdz, int K, int B, double denom)
{
	int b = blockIdx.x * blockDim.x + threadIdx.x;
	if (b < B)
		rloss[b] = nn_ce_r(prob, rz, K, B, b, y[b], denom, rprob, rdz);
}

/* the element-wise updates (lib/nn/maths.h) */
__global__ void k_sgd(float *theta, const float *grad, float *vel, size_t n, float lr,
		      float wd, float mom)
{
	size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (k < n)
		nn_sgd_elem(theta, grad, vel, k, lr, wd, mom);
}

__global__ void k_u_update(float *u, const float *hv, size_t n, float a, float wd)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		nn_u_update_elem(u, hv, i, a, wd);
}

__global__ void k_add(float *y, const float *x, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		y[i] += x[i];
}

/* the batch gathered from a dataset on the device, straight into (C, B, H, W),
 * with the augmentation of lib/nn/data.c's augment_copy; example j of this
 * launch goes to batch position b0 + j. The description travels as the
 * launch's argument: nothing is copied per step. */
#define GATHER_MAX 128
struct gather {
	int row[GATHER_MAX];
	signed char dy[GATHER_MAX], dx[GATHER_MAX], flip[GATHER_MAX];
};

__global__ void k_gather_rows(const float *X, const int *Y, gather gd, int b0, int nb, int B,
			      int C, int H, int W, float *a, int *y)
{
	size_t P = (size_t)H * W, per = (size_t)C * P;
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= (size_t)nb * per)
		return;
	int j = (int)(i / per);
	size_t r = i % per;
	int c = (int)(r / P), p = (int)(r % P), yy = p / W, xx = p % W;
	const float *x = X + (size_t)gd.row[j] * per;
	int sy, sx;
	a[((size_t)c * B + b0 + j) * P + p] =
		nn_aug_src(yy, xx, gd.dy[j], gd.dx[j], gd.flip[j], H, W, &sy, &sx) ?
		x[(size_t)c * P + (size_t)sy * W + sx] : 0.f;
	if (r == 0)
		y[b0 + j] = Y[gd.row[j]];
}

/* the running tally of training in the CPU's order (one thread) */
__global__ void k_tally(const float *loss, const float *pbk, const int *y, int B, int K,
			double denom, long long tag, nn_tally *t)
{
	if (!threadIdx.x && !blockIdx.x)
		nn_tally_add(t, loss, pbk, y, B, K, denom, tag);
}

__global__ void k_axpby(float *y, float a, const float *x, float b, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		nn_axpby_elem(y, a, x, b, i);
}

/* Σ x·y in double by one block: a fixed-order tree over strided partial sums */
__global__ void k_dot(const float *x, const float *y, size_t n, double *out)
{
	double s = 0;
	for (size_t j = threadIdx.x; j < n; j += blockDim.x)
		s += (double)x[j] * y[j];
	s = block_sum(s);
	if (threadIdx.x == 0)
		*out = s;
}

/* global average pooling over planes of P, one thread per (c, b) */
__global__ void k_gap(const float *in, float *out, size_t CB, size_t P)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < CB)
		out[i] = nn_gap_mean(in + i * P, P);
}

__global__ void k_ungap(const float *dout, float *din, size_t CB, size_t P)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < CB * P)
		din[i] = nn_gap_grad(dout[i / P], P);
}

/* ============================================================= host side */

/*
 * cuBLAS, opened at run time by the first GPU workspace. Linked, it was
 * loaded by every program at its start, GPU or not, and libcublasLt's
 * initialisers made about 220 MB of it resident before main: more than a
 * conv6 workspace. Unlike cuDNN it is not optional: without it a GPU
 * engine cannot start. The CPU emulation (tests/emu) links its own.
 */
#define BLAS_FUNCS(X)                                                                    \
	X(cublasCreate_v2) X(cublasDestroy_v2) X(cublasSetMathMode) X(cublasSgemm_v2)    \
	X(cublasGetStatusString)
#define BLAS_STR_(x) #x
#define BLAS_STR(x) BLAS_STR_(x)
#define BLAS_SO "libcublas.so." BLAS_STR(CUBLAS_VER_MAJOR)

static struct {
#define X(f) decltype(&::f) f;
	BLAS_FUNCS(X)
#undef X
} blas;

static void blas_load(void)
{
	if (blas.cublasSgemm_v2)
		return;
#ifdef CUDA_EMU_H
#define X(f) blas.f = &::f;
	BLAS_FUNCS(X)
#undef X
#else
	void *h = dlopen(BLAS_SO, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		die("cuBLAS: cannot open %s (%s)", BLAS_SO, dlerror());
#define X(f)                                                     \
	if (!(*(void **)&blas.f = dlsym(h, #f)))                 \
		die("cuBLAS: %s lacks %s", BLAS_SO, #f);
	BLAS_FUNCS(X)
#undef X
#endif
}

const char *nn_cublas_error(cublasStatus_t s)
{
	return blas.cublasGetStatusString ? blas.cublasGetStatusString(s) : "cuBLAS not loaded";
}

/*
 * cuDNN convolutions. libcudnn is opened at run time, so the programs start
 * (and compute on the CPU, or with im2col + cuBLAS) where it is missing.
 * Only deterministic algorithms in plain FMA arithmetic are used: implicit
 * GEMM forward, ALGO_1 for both backward passes (no atomics, no TF32), so a
 * run gives the same bits every time on one GPU and agrees with the CPU to
 * float round-off. Activations stay (C, B, H, W): the descriptors say so
 * with strides. A layer cuDNN does not take falls back to im2col + cuBLAS;
 * CLEANSE_CONV=gemm asks for that everywhere.
 */
#define DNN_FUNCS(X)                                                                     \
	X(cudnnCreate) X(cudnnDestroy) X(cudnnGetErrorString) X(cudnnGetVersion)         \
	X(cudnnCreateTensorDescriptor) X(cudnnSetTensor4dDescriptorEx)                   \
	X(cudnnDestroyTensorDescriptor) X(cudnnCreateFilterDescriptor)                   \
	X(cudnnSetFilter4dDescriptor) X(cudnnDestroyFilterDescriptor)                    \
	X(cudnnCreateConvolutionDescriptor) X(cudnnSetConvolution2dDescriptor)           \
	X(cudnnSetConvolutionMathType) X(cudnnDestroyConvolutionDescriptor)              \
	X(cudnnGetConvolutionForwardWorkspaceSize)                                       \
	X(cudnnGetConvolutionBackwardDataWorkspaceSize)                                  \
	X(cudnnGetConvolutionBackwardFilterWorkspaceSize) X(cudnnConvolutionForward)     \
	X(cudnnConvolutionBackwardData) X(cudnnConvolutionBackwardFilter)

static struct {
	int tried, ok;
	char why[160];
#define X(f) decltype(&::f) f;
	DNN_FUNCS(X)
#undef X
} dnn;

static int dnn_load(void)
{
	if (dnn.tried)
		return dnn.ok;
	dnn.tried = 1;
	const char *want = getenv("CLEANSE_CONV");
	if (want && !strcmp(want, "gemm")) {
		snprintf(dnn.why, sizeof dnn.why, "CLEANSE_CONV=gemm");
		return 0;
	}
	void *h = dlopen("libcudnn.so.9", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(dnn.why, sizeof dnn.why, "libcudnn.so.9 not found");
		return 0;
	}
#define X(f)                                                                     \
	if (!(*(void **)&dnn.f = dlsym(h, #f))) {                                \
		snprintf(dnn.why, sizeof dnn.why, "libcudnn.so.9 lacks %s", #f); \
		return 0;                                                        \
	}
	DNN_FUNCS(X)
#undef X
	return dnn.ok = 1;
}

/* per convolution layer: descriptors for the current batch size, and
 * whether cuDNN takes it */
typedef struct convd {
	cudnnTensorDescriptor_t x, y;
	cudnnFilterDescriptor_t w;
	cudnnConvolutionDescriptor_t c;
	cudnnConvolutionFwdAlgo_t fwd;
	int B, ok;
	size_t ws;
} convd;

static const cudnnConvolutionBwdDataAlgo_t BWD_DATA = CUDNN_CONVOLUTION_BWD_DATA_ALGO_1;
static const cudnnConvolutionBwdFilterAlgo_t BWD_FILTER = CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1;
#define WS_CAP ((size_t)256 << 20)


struct nn_cuda {
	nn_backend bk;
	const nn_net *net;
	cublasHandle_t blas;
	int cap;
	float *col, *sums, *x;  /* convolution scratch; bn sums; a host batch */
	cudnnHandle_t dnn;      /* NULL: im2col + cuBLAS for every layer */
	convd *cv;              /* per layer */
	void *ws;               /* cuDNN workspace */
	size_t wsz;
	char conv[200];         /* which convolutions, for the description */
	nn_tally *tal;
	double *dot;            /* k_dot's result */
};

struct nn_cuda_data {
	float *x;
	int *y;
	size_t n, dim;
};

#define DNN_CHECK(x, what)                                                          \
	do {                                                                        \
		cudnnStatus_t s_ = (x);                                             \
		if (s_ != CUDNN_STATUS_SUCCESS)                                     \
			die("cuDNN convolution %s failed: %s "                      \
			    "(CLEANSE_CONV=gemm computes without cuDNN)", what,     \
			    dnn.cudnnGetErrorString(s_));                           \
	} while (0)

/* the parts of a convolution's description that do not change with the
 * batch: filter (O, C, K, K), padding, plain FMA arithmetic (no tensor
 * cores, no TF32); the descriptors are created here */
static cudnnStatus_t conv_describe_layer(convd *c, const nn_layer *L)
{
	cudnnStatus_t st;
	if ((st = dnn.cudnnCreateTensorDescriptor(&c->x)) ||
	    (st = dnn.cudnnCreateTensorDescriptor(&c->y)) ||
	    (st = dnn.cudnnCreateFilterDescriptor(&c->w)) ||
	    (st = dnn.cudnnCreateConvolutionDescriptor(&c->c)) ||
	    (st = dnn.cudnnSetFilter4dDescriptor(c->w, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, L->oc,
						 L->ic, L->k, L->k)) ||
	    (st = dnn.cudnnSetConvolution2dDescriptor(c->c, L->pad, L->pad, 1, 1, 1, 1,
						      CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT)))
		return st;
	return dnn.cudnnSetConvolutionMathType(c->c, CUDNN_FMA_MATH);
}

/* its input and output at batch B, in (C, B, H, W) said with strides */
static cudnnStatus_t conv_describe_batch(convd *c, const nn_layer *L, int B)
{
	int pi = L->ih * L->iw, po = L->oh * L->ow;
	cudnnStatus_t st = dnn.cudnnSetTensor4dDescriptorEx(c->x, CUDNN_DATA_FLOAT, B, L->ic, L->ih,
							    L->iw, pi, B * pi, L->iw, 1);
	if (st)
		return st;
	return dnn.cudnnSetTensor4dDescriptorEx(c->y, CUDNN_DATA_FLOAT, B, L->oc, L->oh, L->ow, po,
						B * po, L->ow, 1);
}

static void conv_release(convd *c)
{
	if (c->x)
		dnn.cudnnDestroyTensorDescriptor(c->x);
	if (c->y)
		dnn.cudnnDestroyTensorDescriptor(c->y);
	if (c->w)
		dnn.cudnnDestroyFilterDescriptor(c->w);
	if (c->c)
		dnn.cudnnDestroyConvolutionDescriptor(c->c);
}

static void dnn_open(nn_cuda *g)
{
	const nn_net *net = g->net;
	int any = 0;
	for (int i = 0; i < net->nl; i++)
		any |= net->l[i].type == NN_CONV;
	if (!any) {
		snprintf(g->conv, sizeof g->conv, "no convolutions");
		return;
	}
	if (!dnn_load()) {
		snprintf(g->conv, sizeof g->conv, "im2col + cuBLAS (%s)", dnn.why);
		return;
	}
	if (dnn.cudnnCreate(&g->dnn) != CUDNN_STATUS_SUCCESS) {
		g->dnn = NULL;
		snprintf(g->conv, sizeof g->conv, "im2col + cuBLAS (cudnnCreate failed)");
		return;
	}
	g->cv = (convd *)ecalloc((size_t)net->nl, sizeof *g->cv);
	for (int i = 0; i < net->nl; i++)
		if (net->l[i].type == NN_CONV)
			DNN_CHECK(conv_describe_layer(&g->cv[i], &net->l[i]), "setup");
	int v = (int)dnn.cudnnGetVersion();
	snprintf(g->conv, sizeof g->conv, "cuDNN %d.%d.%d", v / 10000, v / 100 % 100, v % 100);
}

static void dnn_close(nn_cuda *g)
{
	for (int i = 0; g->cv && i < g->net->nl; i++)
		conv_release(&g->cv[i]);
	free(g->cv);
	if (g->dnn)
		dnn.cudnnDestroy(g->dnn);
	cudaFree(g->ws);
}

/* does cuDNN take convolution layer i at the current batch size? Sets the
 * descriptors for it and grows the workspace. The workspace queries are
 * where cuDNN says whether it supports a layout and algorithm. */
static int conv_ready(nn_cuda *g, int i, int B)
{
	if (!g->dnn)
		return 0;
	const nn_layer *L = &g->net->l[i];
	convd *c = &g->cv[i];
	if (c->B == B)
		return c->ok;
	c->B = B, c->ok = 0;
	if (conv_describe_batch(c, L, B))
		return 0;
	static const cudnnConvolutionFwdAlgo_t fwd[] = {
		CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM,
		CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM,
	};
	size_t need = 0, sz = 0;
	int found = 0;
	for (size_t k = 0; k < sizeof fwd / sizeof *fwd && !found; k++)
		if (!dnn.cudnnGetConvolutionForwardWorkspaceSize(g->dnn, c->x, c->w, c->c, c->y,
								 fwd[k], &sz))
			c->fwd = fwd[k], need = sz, found = 1;
	if (!found)
		return 0;
	if (dnn.cudnnGetConvolutionBackwardDataWorkspaceSize(g->dnn, c->w, c->y, c->c, c->x,
							     BWD_DATA, &sz))
		return 0;
	need = sz > need ? sz : need;
	if (dnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(g->dnn, c->x, c->y, c->c, c->w,
							       BWD_FILTER, &sz))
		return 0;
	need = sz > need ? sz : need;
	if (need > WS_CAP)
		return 0;
	if (need > g->wsz) {
		CUDA_CHECK(cudaFree(g->ws));
		CUDA_CHECK(cudaMalloc(&g->ws, need));
		g->wsz = need;
	}
	return c->ok = 1;
}

/* without a device: does cuDNN open, and does it accept the descriptors of
 * every convolution of net at batch B (filters, padding, CNHW strides)? */
extern "C" int nn_cuda_dnn_probe(const nn_net *net, int B, char *why, size_t n)
{
	if (!dnn_load()) {
		snprintf(why, n, "%s", dnn.why);
		return 0;
	}
	for (int i = 0; i < net->nl; i++) {
		const nn_layer *L = &net->l[i];
		if (L->type != NN_CONV)
			continue;
		convd c;
		memset(&c, 0, sizeof c);
		cudnnStatus_t st = conv_describe_layer(&c, L);
		if (!st)
			st = conv_describe_batch(&c, L, B);
		conv_release(&c);
		if (st) {
			snprintf(why, n, "layer %d: %s", i, dnn.cudnnGetErrorString(st));
			return 0;
		}
	}
	int v = (int)dnn.cudnnGetVersion();
	snprintf(why, n, "cuDNN %d.%d.%d", v / 10000, v / 100 % 100, v % 100);
	return 1;
}

/* y = conv(x, w) + beta·y */
static void dnn_fwd(nn_cuda *g, int i, const float *x, const float *w, float beta, float *y)
{
	convd *c = &g->cv[i];
	float one = 1;
	DNN_CHECK(dnn.cudnnConvolutionForward(g->dnn, &one, c->x, x, c->w, w, c->c, c->fwd, g->ws,
					      g->wsz, &beta, c->y, y), "forward");
}

/* dx = convᵀ(w, dy) + beta·dx */
static void dnn_bwd_data(nn_cuda *g, int i, const float *w, const float *dy, float beta,
			 float *dx)
{
	convd *c = &g->cv[i];
	float one = 1;
	DNN_CHECK(dnn.cudnnConvolutionBackwardData(g->dnn, &one, c->w, w, c->y, dy, c->c, BWD_DATA,
						   g->ws, g->wsz, &beta, c->x, dx),
		  "backward data");
}

/* dw += ∂⟨dy, conv(x, ·)⟩ */
static void dnn_bwd_filter(nn_cuda *g, int i, const float *x, const float *dy, float *dw)
{
	convd *c = &g->cv[i];
	float one = 1;
	DNN_CHECK(dnn.cudnnConvolutionBackwardFilter(g->dnn, &one, c->x, x, c->y, dy, c->c,
						     BWD_FILTER, g->ws, g->wsz, &one, c->w, dw),
		  "backward filter");
}

/* ================================================================ memory */

static void *alloc_cuda(void *ctx, size_t bytes)
{
	(void)ctx;
	void *p = NULL;
	CUDA_CHECK(cudaMalloc(&p, bytes ? bytes : 1));
	CUDA_CHECK(cudaMemset(p, 0, bytes ? bytes : 1));
	return p;
}

static float *dalloc(size_t n) { return (float *)alloc_cuda(NULL, n * sizeof(float)); }

static void release_cuda(void *ctx, void *p)
{
	(void)ctx;
	cudaFree(p);
}

static void zero_cuda(void *ctx, float *p, size_t n)
{
	(void)ctx;
	CUDA_CHECK(cudaMemset(p, 0, n * sizeof(float)));
}

static void put_cuda(void *ctx, float *d, const float *h, size_t n)
{
	(void)ctx;
	CUDA_CHECK(cudaMemcpy(d, h, n * sizeof(float), cudaMemcpyHostToDevice));
}

static void get_cuda(void *ctx, float *h, const float *d, size_t n)
{
	(void)ctx;
	CUDA_CHECK(cudaMemcpy(h, d, n * sizeof(float), cudaMemcpyDeviceToHost));
}

/* a host batch (B, C, H, W): uploaded, then laid out (C, B, H, W) */
static void input_cuda(void *ctx, float *a0, int *ya, const float *x, const int *y, int B,
		       int C, size_t P)
{
	nn_cuda *g = (nn_cuda *)ctx;
	size_t nx = (size_t)B * C * P;
	CUDA_CHECK(cudaMemcpy(g->x, x, nx * sizeof(float), cudaMemcpyHostToDevice));
	CUDA_CHECK(cudaMemcpy(ya, y, (size_t)B * sizeof(int), cudaMemcpyHostToDevice));
	LAUNCH(k_to_cnhw, GRID(nx), TPB)(g->x, a0, B, C, P);
	LAUNCH_CHECK();
}

/* =========================================================== dense maths */

/* C (M×N) = alpha·op(A)·op(B) + beta·C, all row-major (cuBLAS is
 * column-major: compute Cᵀ = op(B)ᵀ·op(A)ᵀ) */
static void gemm_cuda(void *ctx, int ta, int tb, int M, int N, int K, float alpha,
		      const float *A, const float *B, float beta, float *C)
{
	nn_cuda *g = (nn_cuda *)ctx;
	CUBLAS_CHECK(blas.cublasSgemm_v2(g->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
				 ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, tb ? K : N,
				 A, ta ? M : K, &beta, C, N));
}

static void add_bias_cuda(void *ctx, float *out, const float *b, int O, size_t n)
{
	(void)ctx;
	LAUNCH(k_add_bias, GRID((size_t)O * n), TPB)(out, b, O, n);
	LAUNCH_CHECK();
}

static void row_sums_cuda(void *ctx, float *db, const float *d, int O, size_t n)
{
	(void)ctx;
	LAUNCH_SYNC(k_row_sums, O, TPB)(db, d, n);
	LAUNCH_CHECK();
}

static void to_features_cuda(void *ctx, float *xt, const float *in, int C, int B, int P)
{
	(void)ctx;
	LAUNCH(k_to_features, GRID((size_t)C * B * P), TPB)(in, xt, C, B, P);
	LAUNCH_CHECK();
}

static void from_features_cuda(void *ctx, float *in, const float *xt, int C, int B, int P)
{
	(void)ctx;
	LAUNCH(k_from_features, GRID((size_t)C * B * P), TPB)(xt, in, C, B, P);
	LAUNCH_CHECK();
}

/* =========================================================== convolution */
/* cuDNN where it takes the layer, else im2col + cuBLAS */

static void im2col(const nn_layer *L, int B, const float *in, float *col)
{
	size_t n = (size_t)L->ic * L->k * L->k * B * L->oh * L->ow;
	LAUNCH(k_im2col, GRID(n), TPB)(in, col, L->ic, B, L->ih, L->iw, L->k, L->pad, L->oh, L->ow);
	LAUNCH_CHECK();
}

static void col2im(const nn_layer *L, int B, const float *col, float *in)
{
	size_t n = (size_t)L->ic * B * L->ih * L->iw;
	LAUNCH(k_col2im, GRID(n), TPB)(col, in, L->ic, B, L->ih, L->iw, L->k, L->pad, L->oh, L->ow);
	LAUNCH_CHECK();
}

/* what (NN_IN_*) is ignored: cuDNN needs no lowered copy, and the im2col
 * fallback recomputes it */
static void conv_forward_cuda(void *ctx, int i, int B, float *out, const float *in,
			      const float *w, float beta, int what)
{
	nn_cuda *g = (nn_cuda *)ctx;
	(void)what;
	const nn_layer *L = &g->net->l[i];
	if (conv_ready(g, i, B)) {
		dnn_fwd(g, i, in, w, beta, out);
		return;
	}
	im2col(L, B, in, g->col);
	gemm_cuda(g, 0, 0, L->oc, B * L->oh * L->ow, L->ic * L->k * L->k, 1, w, g->col, beta, out);
}

static void conv_backward_filter_cuda(void *ctx, int i, int B, float *dw, const float *in,
				      const float *dout, int what)
{
	nn_cuda *g = (nn_cuda *)ctx;
	(void)what;
	const nn_layer *L = &g->net->l[i];
	if (conv_ready(g, i, B)) {
		dnn_bwd_filter(g, i, in, dout, dw);
		return;
	}
	im2col(L, B, in, g->col);
	gemm_cuda(g, 0, 1, L->oc, L->ic * L->k * L->k, B * L->oh * L->ow, 1, dout, g->col, 1, dw);
}

static void conv_backward_data_cuda(void *ctx, int i, int B, float *din, const float *w,
				    const float *dout, const float *w2, const float *dout2)
{
	nn_cuda *g = (nn_cuda *)ctx;
	const nn_layer *L = &g->net->l[i];
	if (conv_ready(g, i, B)) {
		dnn_bwd_data(g, i, w, dout, 0, din);
		if (w2)
			dnn_bwd_data(g, i, w2, dout2, 1, din);
		return;
	}
	int ckk = L->ic * L->k * L->k, n = B * L->oh * L->ow;
	gemm_cuda(g, 1, 0, ckk, n, L->oc, 1, w, dout, 0, g->col);
	if (w2)
		gemm_cuda(g, 1, 0, ckk, n, L->oc, 1, w2, dout2, 1, g->col);
	col2im(L, B, g->col, din);
}

/* ========================================================== element-wise */

static void relu_cuda(void *ctx, float *out, const float *in, size_t n)
{
	(void)ctx;
	LAUNCH(k_relu, GRID(n), TPB)(in, out, n);
	LAUNCH_CHECK();
}

static void relu_mask_cuda(void *ctx, float *out, const float *ref, const float *d, size_t n)
{
	(void)ctx;
	LAUNCH(k_relu_mask, GRID(n), TPB)(ref, d, out, n);
	LAUNCH_CHECK();
}

static void pool_forward_cuda(void *ctx, const nn_layer *L, int B, float *out, int *arg,
			      const float *in)
{
	(void)ctx;
	size_t no = (size_t)L->oc * B * L->oh * L->ow;
	LAUNCH(k_pool, GRID(no), TPB)(in, out, arg, (size_t)L->ic * B, L->ih, L->iw, L->oh, L->ow);
	LAUNCH_CHECK();
}

static void pool_backward_cuda(void *ctx, const nn_layer *L, int B, float *din, const int *arg,
			       const float *dout)
{
	(void)ctx;
	size_t ni = (size_t)L->ic * B * L->ih * L->iw;
	LAUNCH(k_unpool, GRID(ni), TPB)(dout, arg, din, (size_t)L->ic * B, L->ih, L->iw, L->oh,
					L->ow);
	LAUNCH_CHECK();
}

static void gather_cuda(void *ctx, float *out, const float *in, const int *arg, size_t n)
{
	(void)ctx;
	LAUNCH(k_gather, GRID(n), TPB)(in, arg, out, n);
	LAUNCH_CHECK();
}

static void gap_forward_cuda(void *ctx, const nn_layer *L, int B, float *out, const float *in)
{
	(void)ctx;
	size_t CB = (size_t)L->ic * B;
	LAUNCH(k_gap, GRID(CB), TPB)(in, out, CB, (size_t)L->ih * L->iw);
	LAUNCH_CHECK();
}

static void gap_backward_cuda(void *ctx, const nn_layer *L, int B, float *din, const float *dout)
{
	(void)ctx;
	size_t CB = (size_t)L->ic * B, P = (size_t)L->ih * L->iw;
	LAUNCH(k_ungap, GRID(CB * P), TPB)(dout, din, CB, P);
	LAUNCH_CHECK();
}

/* ============================================================ batch-norm */
/* per-channel sums by one block each (k_bn_stats, k_bn_sums, k_bn_rstats),
 * then the element-wise formulas of lib/nn/maths.h */

static void bn_forward_cuda(void *ctx, const nn_layer *L, int B, int eval, nn_bn_buf *s,
			    float *out, const float *in, const float *g, const float *be,
			    float *state)
{
	(void)ctx;
	size_t M = (size_t)B * L->oh * L->ow, n = M * L->oc;
	LAUNCH_SYNC(k_bn_stats, L->oc, TPB)(in, s->mean, s->istd, state, L->oc, M, eval);
	LAUNCH_CHECK();
	LAUNCH(k_bn_fwd, GRID(n), TPB)(in, s->xhat, out, s->mean, s->istd, g, be, M, n);
	LAUNCH_CHECK();
}

static void bn_backward_cuda(void *ctx, const nn_layer *L, int B, int eval, const nn_bn_buf *s,
			     float *din, float *dg, float *db, const float *dout, const float *g)
{
	nn_cuda *cx = (nn_cuda *)ctx;
	size_t M = (size_t)B * L->oh * L->ow, n = M * L->oc;
	LAUNCH_SYNC(k_bn_sums, L->oc, TPB)(dout, s->xhat, NULL, NULL, cx->sums, M);
	LAUNCH_CHECK();
	LAUNCH(k_bn_acc, GRID((size_t)L->oc), TPB)(dg, db, cx->sums, L->oc, 0);
	LAUNCH_CHECK();
	if (din) {
		LAUNCH(k_bn_dx, GRID(n), TPB)(dout, s->xhat, s->istd, g, cx->sums, din, M, n, eval);
		LAUNCH_CHECK();
	}
}

static void bn_rforward_cuda(void *ctx, const nn_layer *L, int B, int eval, nn_bn_buf *s,
			     float *rout, const float *in, const float *rin, const float *g, const float *vg,
			     const float *vb)
{
	(void)ctx;
	size_t M = (size_t)B * L->oh * L->ow, n = M * L->oc;
	int rz = !rin;
	LAUNCH_SYNC(k_bn_rstats, L->oc, TPB)(in, rin, s->mean, s->istd, s->rmean, s->ristd, M,
					     rz || eval);
	LAUNCH_CHECK();
	LAUNCH(k_bn_rfwd, GRID(n), TPB)(in, rin, s->xhat, s->rxhat, rout, s->mean, s->istd,
					s->rmean, s->ristd, g, vg, vb, M, n, rz);
	LAUNCH_CHECK();
}

static void bn_rbackward_cuda(void *ctx, const nn_layer *L, int B, const nn_bn_buf *s,
			      float *rdin, float *hg, float *hb, const float *dout,
			      const float *rdout, const float *g, const float *vg)
{
	nn_cuda *cx = (nn_cuda *)ctx;
	size_t M = (size_t)B * L->oh * L->ow, n = M * L->oc;
	LAUNCH_SYNC(k_bn_sums, L->oc, TPB)(dout, s->xhat, rdout, s->rxhat, cx->sums, M);
	LAUNCH_CHECK();
	LAUNCH(k_bn_acc, GRID((size_t)L->oc), TPB)(hg, hb, cx->sums, L->oc, 2);
	LAUNCH_CHECK();
	if (rdin) {
		LAUNCH(k_bn_rdx, GRID(n), TPB)(dout, rdout, s->xhat, s->rxhat, s->istd, s->ristd, g,
					       vg, cx->sums, rdin, M, n);
		LAUNCH_CHECK();
	}
}

/* ================================================= softmax cross-entropy */

static void ce_forward_cuda(void *ctx, float *loss, float *prob, float *pbk, const float *z,
			    const int *y, int K, int B)
{
	(void)ctx;
	LAUNCH(k_softmax_ce, GRID((size_t)B), TPB)(z, y, prob, pbk, loss, K, B);
	LAUNCH_CHECK();
}

static void ce_backward_cuda(void *ctx, float *dz, const float *prob, const int *y, int K, int B,
			     double denom)
{
	(void)ctx;
	LAUNCH(k_ce_grad, GRID((size_t)K * B), TPB)(prob, y, dz, K, B, denom);
	LAUNCH_CHECK();
}

static void ce_rforward_cuda(void *ctx, float *rloss, float *rprob, float *rdz, const float *prob,
			     const float *rz, const int *y, int K, int B, double denom)
{
	(void)ctx;
	LAUNCH(k_ce_r, GRID((size_t)B), TPB)(prob, rz, y, rprob, rloss, rdz, K, B, denom);
	LAUNCH_CHECK();
}

/* ====================================================== training updates */

static void sgd_cuda(void *ctx, float *theta, const float *grad, float *vel, size_t n, double lr,
		     double wd, double mom)
{
	(void)ctx;
	LAUNCH(k_sgd, GRID(n), TPB)(theta, grad, vel, n, (float)lr, (float)wd, (float)mom);
	LAUNCH_CHECK();
}

static void u_update_cuda(void *ctx, float *u, const float *hv, size_t n, double a, double wd)
{
	(void)ctx;
	LAUNCH(k_u_update, GRID(n), TPB)(u, hv, n, (float)a, (float)wd);
	LAUNCH_CHECK();
}

static void add_cuda(void *ctx, float *y, const float *x, size_t n)
{
	(void)ctx;
	LAUNCH(k_add, GRID(n), TPB)(y, x, n);
	LAUNCH_CHECK();
}

static void axpby_cuda(void *ctx, float *y, double a, const float *x, double b, size_t n)
{
	(void)ctx;
	LAUNCH(k_axpby, GRID(n), TPB)(y, (float)a, x, (float)b, n);
	LAUNCH_CHECK();
}

static double dot_cuda(void *ctx, const float *x, const float *y, size_t n)
{
	nn_cuda *g = (nn_cuda *)ctx;
	double s;
	LAUNCH_SYNC(k_dot, 1, TPB)(x, y, n, g->dot);
	LAUNCH_CHECK();
	CUDA_CHECK(cudaMemcpy(&s, g->dot, sizeof s, cudaMemcpyDeviceToHost));
	return s;
}

static void tally_cuda(void *ctx, const float *loss, const float *pbk, const int *y, int B,
		       int K, double denom, long tag)
{
	nn_cuda *g = (nn_cuda *)ctx;
	LAUNCH(k_tally, 1, 1)(loss, pbk, y, B, K, denom, tag, g->tal);
	LAUNCH_CHECK();
}

static void tally_read_cuda(void *ctx, nn_tally *t)
{
	nn_cuda *g = (nn_cuda *)ctx;
	CUDA_CHECK(cudaMemcpy(t, g->tal, sizeof *t, cudaMemcpyDeviceToHost));
}

static void tally_reset_cuda(void *ctx)
{
	nn_cuda *g = (nn_cuda *)ctx;
	nn_tally zero = { 0, 0, -1 };
	CUDA_CHECK(cudaMemcpy(g->tal, &zero, sizeof zero, cudaMemcpyHostToDevice));
}

/* ============================================================= the device */

extern "C" int nn_cuda_devices(void)
{
	int n = 0;
	if (cudaGetDeviceCount(&n) != cudaSuccess) {
		cudaGetLastError();
		return 0;
	}
	return n;
}

extern "C" const char *nn_cuda_conv(const nn_cuda *g) { return g->conv; }

extern "C" void nn_cuda_describe(char *buf, size_t n)
{
	cudaDeviceProp p;
	int rt = 0, drv = 0;
	CUDA_CHECK(cudaGetDeviceProperties(&p, 0));
	cudaRuntimeGetVersion(&rt);
	cudaDriverGetVersion(&drv);
	snprintf(buf, n, "%s (sm_%d%d, %.0f GiB), CUDA runtime %d, driver %d", p.name,
		 p.major, p.minor, p.totalGlobalMem / 1073741824.0, rt, drv);
}

extern "C" nn_cuda *nn_cuda_new(const nn_net *net, int B)
{
	nn_cuda *g = (nn_cuda *)ecalloc(1, sizeof *g);
	g->net = net;
	g->cap = B;
	blas_load();
	CUBLAS_CHECK(blas.cublasCreate_v2(&g->blas));
	/* fixed-order results: no tensor-core reduced precision, no atomics */
	CUBLAS_CHECK(blas.cublasSetMathMode(g->blas, CUBLAS_PEDANTIC_MATH));
	int cmax = 1;
	for (int i = 0; i < net->nl; i++)
		if (net->l[i].type == NN_BN && net->l[i].oc > cmax)
			cmax = net->l[i].oc;
	g->col = dalloc(nn_col_size(net, B));
	g->sums = dalloc(4 * (size_t)cmax);
	g->x = dalloc((size_t)B * net->c * net->h * net->w);
	dnn_open(g);
	g->tal = (nn_tally *)alloc_cuda(g, sizeof *g->tal);
	g->dot = (double *)alloc_cuda(g, sizeof *g->dot);
	tally_reset_cuda(g);
	nn_backend b = {};
	b.name = "cuda", b.ctx = g, b.host = 0;
	b.alloc = alloc_cuda, b.release = release_cuda, b.zero = zero_cuda;
	b.put = put_cuda, b.get = get_cuda, b.input = input_cuda;
	b.gemm = gemm_cuda, b.add_bias = add_bias_cuda, b.row_sums = row_sums_cuda;
	b.to_features = to_features_cuda, b.from_features = from_features_cuda;
	b.conv_forward = conv_forward_cuda, b.conv_backward_filter = conv_backward_filter_cuda;
	b.conv_backward_data = conv_backward_data_cuda;
	b.relu = relu_cuda, b.relu_mask = relu_mask_cuda;
	b.pool_forward = pool_forward_cuda, b.pool_backward = pool_backward_cuda;
	b.gather = gather_cuda, b.gap_forward = gap_forward_cuda, b.gap_backward = gap_backward_cuda;
	b.bn_forward = bn_forward_cuda, b.bn_backward = bn_backward_cuda;
	b.bn_rforward = bn_rforward_cuda, b.bn_rbackward = bn_rbackward_cuda;
	b.ce_forward = ce_forward_cuda, b.ce_backward = ce_backward_cuda;
	b.ce_rforward = ce_rforward_cuda;
	b.sgd = sgd_cuda, b.u_update = u_update_cuda, b.add = add_cuda;
	b.axpby = axpby_cuda, b.dot = dot_cuda;
	b.tally = tally_cuda, b.tally_read = tally_read_cuda, b.tally_reset = tally_reset_cuda;
	g->bk = b;
	return g;
}

extern "C" nn_backend *nn_cuda_backend(nn_cuda *g) { return &g->bk; }

extern "C" void nn_cuda_free(nn_cuda *g)
{
	if (!g)
		return;
	cudaFree(g->col), cudaFree(g->sums), cudaFree(g->x), cudaFree(g->tal), cudaFree(g->dot);
	dnn_close(g);
	blas.cublasDestroy_v2(g->blas);
	free(g);
}

/* ====================================================== datasets on it */

extern "C" nn_cuda_data *nn_cuda_data_new(const float *x, const int *y, size_t n, size_t dim)
{
	nn_cuda_data *d = (nn_cuda_data *)ecalloc(1, sizeof *d);
	d->n = n, d->dim = dim;
	if (n > INT_MAX || cudaMalloc((void **)&d->x, (n * dim > 0 ? n * dim : 1) * sizeof(float)) ||
	    cudaMalloc((void **)&d->y, (n ? n : 1) * sizeof(int))) {
		cudaGetLastError();     /* out of memory is an answer here, not an error */
		cudaFree(d->x);
		free(d);
		return NULL;
	}
	CUDA_CHECK(cudaMemcpy(d->x, x, n * dim * sizeof(float), cudaMemcpyHostToDevice));
	CUDA_CHECK(cudaMemcpy(d->y, y, n * sizeof(int), cudaMemcpyHostToDevice));
	return d;
}

extern "C" void nn_cuda_data_free(nn_cuda_data *d)
{
	if (d)
		cudaFree(d->x), cudaFree(d->y), free(d);
}

extern "C" void nn_cuda_gather(nn_cuda *g, float *a0, int *ya, const nn_cuda_data *d,
			       const int *row, const signed char *dy, const signed char *dx,
			       const signed char *flip, int B)
{
	const nn_net *net = g->net;
	if (B < 1 || B > g->cap)
		die("internal error: batch %d outside 1..%d", B, g->cap);
	if (d->dim != (size_t)net->c * net->h * net->w)
		die("internal error: examples of %zu values, the network takes %d", d->dim,
		    net->c * net->h * net->w);
	for (int b0 = 0; b0 < B; b0 += GATHER_MAX) {
		int nb = B - b0 < GATHER_MAX ? B - b0 : GATHER_MAX;
		gather gd;
		memset(&gd, 0, sizeof gd);
		for (int j = 0; j < nb; j++) {
			if (row[b0 + j] < 0 || (size_t)row[b0 + j] >= d->n)
				die("internal error: row %d outside the dataset", row[b0 + j]);
			gd.row[j] = row[b0 + j];
			if (dy)
				gd.dy[j] = dy[b0 + j], gd.dx[j] = dx[b0 + j], gd.flip[j] = flip[b0 + j];
		}
		size_t n = (size_t)nb * d->dim;
		LAUNCH(k_gather_rows, GRID(n), TPB)(d->x, d->y, gd, b0, nb, B, net->c, net->h, net->w,
						a0, ya);
		LAUNCH_CHECK();
	}
}
