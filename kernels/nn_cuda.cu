/*
 * nn_cuda.cu — GPU twin of lib/nn.c (see nn_cuda.h). Each pass mirrors the
 * CPU code: im2col + GEMM convolutions in (C, B, H, W), per-channel
 * batch-norm with double accumulators, 2×2 max-pool with stored argmax,
 * affine on (features, batch), softmax cross-entropy. Scatters (col2im,
 * pool backward) are written as gathers so that no atomics are needed and
 * every run gives the same bits.
 */
#include "nn_cuda.h"

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
	int iy = oy + ki - pad, ix = ox + kj - pad;
	col[i] = iy >= 0 && iy < H && ix >= 0 && ix < W ?
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
			int oy = y - ki + pad, ox = x - kj + pad;
			if (oy < 0 || oy >= Ho || ox < 0 || ox >= Wo)
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
	int best = (2 * oy) * W + 2 * ox;
	for (int dy = 0; dy < 2; dy++)
		for (int dx = 0; dx < 2; dx++) {
			int j = (2 * oy + dy) * W + 2 * ox + dx;
			if (x[j] > x[best])
				best = j;
		}
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
	xt[(c * P + p) * B + b] = in[i];
}

__global__ void k_from_features(const float *xt, float *in, int C, int B, int P)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= (size_t)C * B * P)
		return;
	size_t p = i % P, b = (i / P) % B, c = i / ((size_t)P * B);
	in[i] = xt[(c * P + p) * B + b];
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
			   size_t M, int eval, double eps, double mom)
{
	int c = blockIdx.x;
	const float *xc = x + c * M;
	if (eval) {
		if (threadIdx.x == 0) {
			mean[c] = state[c];
			istd[c] = (float)(1 / sqrt((double)state[C + c] + eps));
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
		istd[c] = (float)(1 / sqrt(v + eps));
		if (state) {
			double unb = M > 1 ? v * (double)M / (double)(M - 1) : v;
			state[c] = (float)((1 - mom) * state[c] + mom * mu);
			state[C + c] = (float)((1 - mom) * state[C + c] + mom * unb);
		}
	}
}

__global__ void k_bn_fwd(const float *x, float *xh, float *y, const float *mean,
			 const float *istd, const float *g, const float *be, size_t M, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i >= n)
		return;
	size_t c = i / M;
	xh[i] = (x[i] - mean[c]) * istd[c];
	y[i] = g[c] * xh[i] + be[c];
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
	if (eval) {
		dx[i] = dy[i] * g[c] * istd[c];
		return;
	}
	float A = g[c] * sums[4 * c + 1], Bs = g[c] * sums[4 * c];
	dx[i] = istd[c] / (float)M * ((float)M * g[c] * dy[i] - A - xh[i] * Bs);
}

/* R{istd} per channel from R{x} */
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
		ristd[c] = (float)(-0.5 * (double)istd[c] * istd[c] * istd[c] * rv);
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
	rxh[i] = (rzero ? 0.f : (rx[i] - rmean[c]) * istd[c]) + (x[i] - mean[c]) * ristd[c];
	ry[i] = vg[c] * xh[i] + g[c] * rxh[i] + vb[c];
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
	float sg = sums[4 * c], sb = sums[4 * c + 1], rsg = sums[4 * c + 2], rsb = sums[4 * c + 3];
	float m = (float)M, A = g[c] * sb, Bs = g[c] * sg;
	float rA = g[c] * rsb + vg[c] * sb, rB = g[c] * rsg + vg[c] * sg;
	float dxh = g[c] * dy[i], rdxh = g[c] * rdy[i] + vg[c] * dy[i];
	rdx[i] = ristd[c] / m * (m * dxh - A - xh[i] * Bs) +
		 istd[c] / m * (m * rdxh - rA - rxh[i] * Bs - xh[i] * rB);
}

/* softmax cross-entropy, one thread per sample (lib/nn.h) */
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
	dz[i] = (float)((prob[i] - (k == y[b])) / denom);
}

__global__ void k_ce_r(const float *prob, const float *rz, const int *y, float *rprob,
		       float *rloss, float *rdz, int K, int B, double denom)
{
	int b = blockIdx.x * blockDim.x + threadIdx.x;
	if (b >= B)
		return;
	float e = 0;
	for (int k = 0; k < K; k++)
		e += prob[(size_t)k * B + b] * rz[(size_t)k * B + b];
	for (int k = 0; k < K; k++) {
		size_t j = (size_t)k * B + b;
		rprob[j] = prob[j] * (rz[j] - e);
		rdz[j] = (float)(rprob[j] / denom);
	}
	rloss[b] = e - rz[(size_t)y[b] * B + b];
}

/* the element-wise updates, written exactly as the CPU loops */
__global__ void k_sgd(float *theta, const float *grad, float *vel, size_t n, float lr,
		      float wd, float mom)
{
	size_t k = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (k >= n)
		return;
	float g = grad[k] + wd * theta[k];
	if (vel) {
		vel[k] = mom * vel[k] + g;
		g = vel[k];
	}
	theta[k] -= lr * g;
}

__global__ void k_u_update(float *u, const float *hv, size_t n, float a, float wd)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		u[i] -= a * (hv[i] + wd * u[i]);
}

__global__ void k_add(float *y, const float *x, size_t n)
{
	size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x;
	if (i < n)
		y[i] += x[i];
}

/* the batch gathered from a dataset on the device, straight into (C, B, H, W),
 * with the augmentation of lib/data.c's augment_copy; example j of this
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
	int sy = yy + gd.dy[j], sx = (gd.flip[j] ? W - 1 - xx : xx) + gd.dx[j];
	a[((size_t)c * B + b0 + j) * P + p] =
		sy >= 0 && sy < H && sx >= 0 && sx < W ? x[(size_t)c * P + (size_t)sy * W + sx] : 0.f;
	if (r == 0)
		y[b0 + j] = Y[gd.row[j]];
}

/* the running tally of training: losses summed and hits counted in the
 * CPU's order (one thread), and the first forward whose loss is not finite */
struct tally {
	double loss;
	unsigned long long correct;
	long long bad;
};

__global__ void k_tally(const float *loss, const float *pbk, const int *y, int B, int K,
			double denom, long long tag, tally *t)
{
	if (threadIdx.x || blockIdx.x)
		return;
	double total = 0;
	for (int b = 0; b < B; b++) {
		t->correct += nn_argmax(pbk + (size_t)b * K, K) == y[b];
		t->loss += loss[b];
		total += loss[b];
	}
	if (!isfinite(total / denom) && t->bad < 0)
		t->bad = tag;
}

/* ============================================================= host side */

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
	const nn_net *net;
	cublasHandle_t blas;
	int cap, B, mode;
	double denom;
	float **a, **d, **ra, **rd, **xhat, **rxhat, **xt, **rxt;
	float **mean, **istd, **rmean, **ristd;
	int **arg;
	float *col, *col2, *prob, *rprob, *pbk, *loss, *rloss, *sums, *x;
	int *y;
	cudnnHandle_t dnn;      /* NULL: im2col + cuBLAS for every layer */
	convd *cv;              /* per layer */
	void *ws;               /* cuDNN workspace */
	size_t wsz;
	char conv[200];         /* which convolutions, for the description */
	tally *tal;
};

struct nn_cuda_data {
	float *x;
	int *y;
	size_t n, dim;
};

#define DNN_CHECK(x, what)                                                          \
	do {                                                                        \
		cudnnStatus_t s_ = (x);                                             \
		if (s_ != CUDNN_STATUS_SUCCESS) {                                   \
			fprintf(stderr, "cuDNN convolution %s failed: %s "          \
				"(CLEANSE_CONV=gemm computes without cuDNN)\n", what, \
				dnn.cudnnGetErrorString(s_));                       \
			exit(1);                                                    \
		}                                                                   \
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
	g->cv = (convd *)calloc((size_t)net->nl, sizeof *g->cv);
	if (!g->cv)
		abort();
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
static int conv_ready(nn_cuda *g, int i)
{
	if (!g->dnn)
		return 0;
	const nn_layer *L = &g->net->l[i];
	convd *c = &g->cv[i];
	int B = g->B;
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

static float *dalloc(size_t n)
{
	float *p = NULL;
	CUDA_CHECK(cudaMalloc((void **)&p, (n ? n : 1) * sizeof(float)));
	CUDA_CHECK(cudaMemset(p, 0, (n ? n : 1) * sizeof(float)));
	return p;
}

static size_t act(const nn_layer *L, int in, int B)
{
	return in ? (size_t)L->ic * L->ih * L->iw * B : (size_t)L->oc * L->oh * L->ow * B;
}

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

extern "C" float *nn_cuda_alloc(size_t n) { return dalloc(n); }
extern "C" void nn_cuda_release(float *d) { cudaFree(d); }
extern "C" void nn_cuda_upload(float *d, const float *h, size_t n)
{
	CUDA_CHECK(cudaMemcpy(d, h, n * sizeof(float), cudaMemcpyHostToDevice));
}
extern "C" void nn_cuda_download(float *h, const float *d, size_t n)
{
	CUDA_CHECK(cudaMemcpy(h, d, n * sizeof(float), cudaMemcpyDeviceToHost));
}

extern "C" nn_cuda *nn_cuda_new(const nn_net *net, int B)
{
	nn_cuda *g = (nn_cuda *)calloc(1, sizeof *g);
	int n = net->nl;
	if (!g)
		abort();
	g->net = net;
	g->cap = B;
	CUBLAS_CHECK(cublasCreate(&g->blas));
	/* fixed-order results: no tensor-core reduced precision, no atomics */
	CUBLAS_CHECK(cublasSetMathMode(g->blas, CUBLAS_PEDANTIC_MATH));
#define LIST(T, m) (T **)calloc((size_t)(m), sizeof(T *))
	g->a = LIST(float, n + 1), g->d = LIST(float, n + 1);
	g->ra = LIST(float, n + 1), g->rd = LIST(float, n + 1);
	g->xhat = LIST(float, n), g->rxhat = LIST(float, n), g->xt = LIST(float, n);
	g->rxt = LIST(float, n), g->mean = LIST(float, n), g->istd = LIST(float, n);
	g->rmean = LIST(float, n), g->ristd = LIST(float, n), g->arg = LIST(int, n);
	size_t colmax = 1;
	int cmax = 1;
	for (int i = 0; i <= n; i++) {
		size_t m = i < n ? act(&net->l[i], 1, B) : act(&net->l[n - 1], 0, B);
		g->a[i] = dalloc(m), g->d[i] = dalloc(m), g->ra[i] = dalloc(m), g->rd[i] = dalloc(m);
	}
	for (int i = 0; i < n; i++) {
		const nn_layer *L = &net->l[i];
		if (L->type == NN_BN) {
			g->xhat[i] = dalloc(act(L, 0, B)), g->rxhat[i] = dalloc(act(L, 0, B));
			g->mean[i] = dalloc(L->oc), g->istd[i] = dalloc(L->oc);
			g->rmean[i] = dalloc(L->oc), g->ristd[i] = dalloc(L->oc);
			cmax = L->oc > cmax ? L->oc : cmax;
		} else if (L->type == NN_POOL) {
			CUDA_CHECK(cudaMalloc((void **)&g->arg[i], act(L, 0, B) * sizeof(int)));
		} else if (L->type == NN_AFFINE) {
			g->xt[i] = dalloc(act(L, 1, B)), g->rxt[i] = dalloc(act(L, 1, B));
			colmax = act(L, 1, B) > colmax ? act(L, 1, B) : colmax;
		} else if (L->type == NN_CONV) {
			size_t m = (size_t)L->ic * L->k * L->k * L->oh * L->ow * B;
			colmax = m > colmax ? m : colmax;
		}
	}
	size_t K = (size_t)net->classes * B;
	g->col = dalloc(colmax), g->col2 = dalloc(colmax);
	g->prob = dalloc(K), g->rprob = dalloc(K), g->pbk = dalloc(K);
	g->loss = dalloc(B), g->rloss = dalloc(B), g->sums = dalloc(4 * (size_t)cmax);
	g->x = dalloc((size_t)B * net->c * net->h * net->w);
	CUDA_CHECK(cudaMalloc((void **)&g->y, (size_t)B * sizeof(int)));
	dnn_open(g);
	CUDA_CHECK(cudaMalloc((void **)&g->tal, sizeof *g->tal));
	nn_cuda_tally_reset(g);
	return g;
}

extern "C" void nn_cuda_free(nn_cuda *g)
{
	if (!g)
		return;
	int n = g->net->nl;
	for (int i = 0; i <= n; i++)
		cudaFree(g->a[i]), cudaFree(g->d[i]), cudaFree(g->ra[i]), cudaFree(g->rd[i]);
	for (int i = 0; i < n; i++) {
		cudaFree(g->xhat[i]), cudaFree(g->rxhat[i]), cudaFree(g->xt[i]), cudaFree(g->rxt[i]);
		cudaFree(g->mean[i]), cudaFree(g->istd[i]), cudaFree(g->rmean[i]);
		cudaFree(g->ristd[i]), cudaFree(g->arg[i]);
	}
	free(g->a), free(g->d), free(g->ra), free(g->rd), free(g->xhat), free(g->rxhat);
	free(g->xt), free(g->rxt), free(g->mean), free(g->istd), free(g->rmean);
	free(g->ristd), free(g->arg);
	cudaFree(g->col), cudaFree(g->col2), cudaFree(g->prob), cudaFree(g->rprob);
	cudaFree(g->pbk), cudaFree(g->loss), cudaFree(g->rloss), cudaFree(g->sums);
	cudaFree(g->x), cudaFree(g->y);
	dnn_close(g);
	cudaFree(g->tal);
	cublasDestroy(g->blas);
	free(g);
}

/* C (M×N) = alpha·op(A)·op(B) + beta·C, all row-major (cuBLAS is
 * column-major: compute Cᵀ = op(B)ᵀ·op(A)ᵀ) */
static void gemm(nn_cuda *g, int ta, int tb, int M, int N, int K, float alpha,
		 const float *A, const float *B, float beta, float *C)
{
	CUBLAS_CHECK(cublasSgemm(g->blas, tb ? CUBLAS_OP_T : CUBLAS_OP_N,
				 ta ? CUBLAS_OP_T : CUBLAS_OP_N, N, M, K, &alpha, B, tb ? K : N,
				 A, ta ? M : K, &beta, C, N));
}

static void im2col(const nn_layer *L, int B, const float *in, float *col)
{
	size_t n = (size_t)L->ic * L->k * L->k * B * L->oh * L->ow;
	LAUNCH(k_im2col, GRID(n), TPB)(in, col, L->ic, B, L->ih, L->iw, L->k, L->pad, L->oh, L->ow);
	LAUNCH_CHECK();
}

static void col2im(const nn_layer *L, int B, const float *col, float *in)
{
	size_t n = act(L, 1, B);
	LAUNCH(k_col2im, GRID(n), TPB)(col, in, L->ic, B, L->ih, L->iw, L->k, L->pad, L->oh, L->ow);
	LAUNCH_CHECK();
}

static void row_sums(float *db, const float *d, int O, size_t n)
{
	LAUNCH_SYNC(k_row_sums, O, TPB)(db, d, n);
	LAUNCH_CHECK();
}

static void add_bias(float *out, const float *b, int O, size_t n)
{
	LAUNCH(k_add_bias, GRID((size_t)O * n), TPB)(out, b, O, n);
	LAUNCH_CHECK();
}

static void check_batch(nn_cuda *g, int B)
{
	if (B < 1 || B > g->cap) {
		fprintf(stderr, "nn_cuda_forward: batch %d outside 1..%d\n", B, g->cap);
		exit(1);
	}
}

static void forward(nn_cuda *g, const float *theta, float *state, int B, double denom,
		    int mode);

extern "C" void nn_cuda_forward(nn_cuda *g, const float *theta, float *state, const float *x,
				const int *y, int B, double denom, int mode)
{
	const nn_net *net = g->net;
	check_batch(g, B);
	size_t P = (size_t)net->h * net->w, nx = (size_t)B * net->c * P;
	CUDA_CHECK(cudaMemcpy(g->x, x, nx * sizeof(float), cudaMemcpyHostToDevice));
	CUDA_CHECK(cudaMemcpy(g->y, y, (size_t)B * sizeof(int), cudaMemcpyHostToDevice));
	LAUNCH(k_to_cnhw, GRID(nx), TPB)(g->x, g->a[0], B, net->c, P);
	LAUNCH_CHECK();
	forward(g, theta, state, B, denom, mode);
}

extern "C" nn_cuda_data *nn_cuda_data_new(const float *x, const int *y, size_t n, size_t dim)
{
	nn_cuda_data *d = (nn_cuda_data *)calloc(1, sizeof *d);
	if (!d)
		abort();
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

extern "C" void nn_cuda_forward_rows(nn_cuda *g, const float *theta, float *state,
				     const nn_cuda_data *d, const int *row,
				     const signed char *dy, const signed char *dx,
				     const signed char *flip, int B, double denom, int mode)
{
	const nn_net *net = g->net;
	check_batch(g, B);
	if (d->dim != (size_t)net->c * net->h * net->w) {
		fprintf(stderr, "nn_cuda_forward_rows: examples of %zu values, the network takes %d\n",
			d->dim, net->c * net->h * net->w);
		exit(1);
	}
	for (int b0 = 0; b0 < B; b0 += GATHER_MAX) {
		int nb = B - b0 < GATHER_MAX ? B - b0 : GATHER_MAX;
		gather gd;
		memset(&gd, 0, sizeof gd);
		for (int j = 0; j < nb; j++) {
			if (row[b0 + j] < 0 || (size_t)row[b0 + j] >= d->n) {
				fprintf(stderr, "nn_cuda_forward_rows: row %d outside the dataset\n",
					row[b0 + j]);
				exit(1);
			}
			gd.row[j] = row[b0 + j];
			if (dy)
				gd.dy[j] = dy[b0 + j], gd.dx[j] = dx[b0 + j], gd.flip[j] = flip[b0 + j];
		}
		size_t n = (size_t)nb * d->dim;
		LAUNCH(k_gather_rows, GRID(n), TPB)(d->x, d->y, gd, b0, nb, B, net->c, net->h, net->w,
						g->a[0], g->y);
		LAUNCH_CHECK();
	}
	forward(g, theta, state, B, denom, mode);
}

static void forward(nn_cuda *g, const float *theta, float *state, int B, double denom,
		    int mode)
{
	const nn_net *net = g->net;
	g->B = B, g->mode = mode, g->denom = denom;
	for (int i = 0; i < net->nl; i++) {
		const nn_layer *L = &net->l[i];
		const float *in = g->a[i];
		float *out = g->a[i + 1];
		size_t n = (size_t)B * L->oh * L->ow, no = act(L, 0, B);
		switch (L->type) {
		case NN_CONV:
			if (conv_ready(g, i)) {
				dnn_fwd(g, i, in, theta + L->w, 0, out);
			} else {
				im2col(L, B, in, g->col);
				gemm(g, 0, 0, L->oc, (int)n, L->ic * L->k * L->k, 1, theta + L->w,
				     g->col, 0, out);
			}
			add_bias(out, theta + L->b, L->oc, n);
			break;
		case NN_BN:
			/* this layer's running mean and variance: state[s .. s + 2C) */
			LAUNCH_SYNC(k_bn_stats, L->oc, TPB)(in, g->mean[i], g->istd[i],
							    state ? state + L->s : NULL, L->oc, n,
							    mode == NN_EVAL, NN_BN_EPS,
							    NN_BN_MOMENTUM);
			LAUNCH_CHECK();
			LAUNCH(k_bn_fwd, GRID(no), TPB)(in, g->xhat[i], out, g->mean[i], g->istd[i],
						    theta + L->w, theta + L->b, n, no);
			LAUNCH_CHECK();
			break;
		case NN_RELU:
			LAUNCH(k_relu, GRID(no), TPB)(in, out, no);
			LAUNCH_CHECK();
			break;
		case NN_POOL:
			LAUNCH(k_pool, GRID(no), TPB)(in, out, g->arg[i], (size_t)L->ic * B, L->ih, L->iw,
						  L->oh, L->ow);
			LAUNCH_CHECK();
			break;
		case NN_AFFINE:
			LAUNCH(k_to_features, GRID(act(L, 1, B)), TPB)(in, g->xt[i], L->ic, B, L->ih * L->iw);
			LAUNCH_CHECK();
			gemm(g, 0, 0, L->oc, B, L->ic * L->ih * L->iw, 1, theta + L->w, g->xt[i], 0, out);
			add_bias(out, theta + L->b, L->oc, (size_t)B);
			break;
		}
	}
	int K = net->classes;
	LAUNCH(k_softmax_ce, GRID((size_t)B), TPB)(g->a[net->nl], g->y, g->prob, g->pbk, g->loss, K, B);
	LAUNCH_CHECK();
}

extern "C" void nn_cuda_tally(nn_cuda *g, long tag)
{
	LAUNCH(k_tally, 1, 1)(g->loss, g->pbk, g->y, g->B, g->net->classes, g->denom, tag, g->tal);
	LAUNCH_CHECK();
}

extern "C" long nn_cuda_tally_read(nn_cuda *g, double *loss_sum, size_t *correct)
{
	tally t;
	CUDA_CHECK(cudaMemcpy(&t, g->tal, sizeof t, cudaMemcpyDeviceToHost));
	if (loss_sum)
		*loss_sum = t.loss;
	if (correct)
		*correct = (size_t)t.correct;
	return (long)t.bad;
}

extern "C" void nn_cuda_tally_reset(nn_cuda *g)
{
	tally zero = { 0, 0, -1 };
	CUDA_CHECK(cudaMemcpy(g->tal, &zero, sizeof zero, cudaMemcpyHostToDevice));
}

extern "C" void nn_cuda_losses(nn_cuda *g, float *loss, float *probs)
{
	if (loss)
		nn_cuda_download(loss, g->loss, (size_t)g->B);
	if (probs)
		nn_cuda_download(probs, g->pbk, (size_t)g->B * g->net->classes);
}

extern "C" void nn_cuda_backward(nn_cuda *g, const float *theta, float *grad)
{
	const nn_net *net = g->net;
	int B = g->B, K = net->classes, n = net->nl;
	CUDA_CHECK(cudaMemset(grad, 0, net->nparams * sizeof(float)));
	LAUNCH(k_ce_grad, GRID((size_t)K * B), TPB)(g->prob, g->y, g->d[n], K, B, g->denom);
	LAUNCH_CHECK();
	for (int i = n - 1; i >= 0; i--) {
		const nn_layer *L = &net->l[i];
		const float *dout = g->d[i + 1];
		float *din = i > 0 ? g->d[i] : NULL;
		size_t nout = (size_t)B * L->oh * L->ow, no = act(L, 0, B), ni = act(L, 1, B);
		switch (L->type) {
		case NN_CONV: {
			int ckk = L->ic * L->k * L->k;
			if (conv_ready(g, i)) {
				dnn_bwd_filter(g, i, g->a[i], dout, grad + L->w);
				row_sums(grad + L->b, dout, L->oc, nout);
				if (din)
					dnn_bwd_data(g, i, theta + L->w, dout, 0, din);
				break;
			}
			im2col(L, B, g->a[i], g->col);
			gemm(g, 0, 1, L->oc, ckk, (int)nout, 1, dout, g->col, 1, grad + L->w);
			row_sums(grad + L->b, dout, L->oc, nout);
			if (din) {
				gemm(g, 1, 0, ckk, (int)nout, L->oc, 1, theta + L->w, dout, 0, g->col);
				col2im(L, B, g->col, din);
			}
			break;
		}
		case NN_BN:
			LAUNCH_SYNC(k_bn_sums, L->oc, TPB)(dout, g->xhat[i], NULL, NULL, g->sums, nout);
			LAUNCH_CHECK();
			LAUNCH(k_bn_acc, GRID((size_t)L->oc), TPB)(grad + L->w, grad + L->b, g->sums, L->oc, 0);
			LAUNCH_CHECK();
			if (din) {
				LAUNCH(k_bn_dx, GRID(no), TPB)(dout, g->xhat[i], g->istd[i], theta + L->w,
							   g->sums, din, nout, no, g->mode == NN_EVAL);
				LAUNCH_CHECK();
			}
			break;
		case NN_RELU:
			if (din) {
				LAUNCH(k_relu_mask, GRID(no), TPB)(g->a[i + 1], dout, din, no);
				LAUNCH_CHECK();
			}
			break;
		case NN_POOL:
			if (din) {
				LAUNCH(k_unpool, GRID(ni), TPB)(dout, g->arg[i], din, (size_t)L->ic * B,
							    L->ih, L->iw, L->oh, L->ow);
				LAUNCH_CHECK();
			}
			break;
		case NN_AFFINE: {
			int F = L->ic * L->ih * L->iw;
			gemm(g, 0, 1, L->oc, F, B, 1, dout, g->xt[i], 1, grad + L->w);
			row_sums(grad + L->b, dout, L->oc, (size_t)B);
			if (din) {
				gemm(g, 1, 0, F, B, L->oc, 1, theta + L->w, dout, 0, g->col);
				LAUNCH(k_from_features, GRID(ni), TPB)(g->col, din, L->ic, B, L->ih * L->iw);
				LAUNCH_CHECK();
			}
			break;
		}
		}
	}
}

extern "C" void nn_cuda_rforward(nn_cuda *g, const float *theta, const float *v, float *dots)
{
	const nn_net *net = g->net;
	int B = g->B, K = net->classes;
	if (g->mode != NN_TRAIN) {
		fprintf(stderr, "nn_cuda_rforward: R-passes need a NN_TRAIN forward\n");
		exit(1);
	}
	int rz = 1;
	for (int i = 0; i < net->nl; i++) {
		const nn_layer *L = &net->l[i];
		const float *rin = g->ra[i];
		float *rout = g->ra[i + 1];
		size_t n = (size_t)B * L->oh * L->ow, no = act(L, 0, B);
		switch (L->type) {
		case NN_CONV: {
			int ckk = L->ic * L->k * L->k;
			if (conv_ready(g, i)) {
				dnn_fwd(g, i, g->a[i], v + L->w, 0, rout);
				add_bias(rout, v + L->b, L->oc, n);
				if (!rz)
					dnn_fwd(g, i, rin, theta + L->w, 1, rout);
				break;
			}
			im2col(L, B, g->a[i], g->col);
			gemm(g, 0, 0, L->oc, (int)n, ckk, 1, v + L->w, g->col, 0, rout);
			add_bias(rout, v + L->b, L->oc, n);
			if (!rz) {
				im2col(L, B, rin, g->col);
				gemm(g, 0, 0, L->oc, (int)n, ckk, 1, theta + L->w, g->col, 1, rout);
			}
			break;
		}
		case NN_BN:
			LAUNCH_SYNC(k_bn_rstats, L->oc, TPB)(g->a[i], rin, g->mean[i], g->istd[i], g->rmean[i],
						    g->ristd[i], n, rz);
			LAUNCH_CHECK();
			LAUNCH(k_bn_rfwd, GRID(no), TPB)(g->a[i], rin, g->xhat[i], g->rxhat[i], rout,
						     g->mean[i], g->istd[i], g->rmean[i], g->ristd[i],
						     theta + L->w, v + L->w, v + L->b, n, no, rz);
			LAUNCH_CHECK();
			break;
		case NN_RELU:
			if (rz)
				CUDA_CHECK(cudaMemset(rout, 0, no * sizeof(float)));
			else {
				LAUNCH(k_relu_mask, GRID(no), TPB)(g->a[i + 1], rin, rout, no);
				LAUNCH_CHECK();
			}
			break;
		case NN_POOL:
			if (rz)
				CUDA_CHECK(cudaMemset(rout, 0, no * sizeof(float)));
			else {
				LAUNCH(k_gather, GRID(no), TPB)(rin, g->arg[i], rout, no);
				LAUNCH_CHECK();
			}
			break;
		case NN_AFFINE: {
			int F = L->ic * L->ih * L->iw;
			gemm(g, 0, 0, L->oc, B, F, 1, v + L->w, g->xt[i], 0, rout);
			add_bias(rout, v + L->b, L->oc, (size_t)B);
			if (!rz) {
				LAUNCH(k_to_features, GRID(act(L, 1, B)), TPB)(rin, g->rxt[i], L->ic, B,
									   L->ih * L->iw);
				LAUNCH_CHECK();
				gemm(g, 0, 0, L->oc, B, F, 1, theta + L->w, g->rxt[i], 1, rout);
			} else {
				CUDA_CHECK(cudaMemset(g->rxt[i], 0, (size_t)F * B * sizeof(float)));
			}
			break;
		}
		}
		rz = 0;
	}
	LAUNCH(k_ce_r, GRID((size_t)B), TPB)(g->prob, g->ra[net->nl], g->y, g->rprob, g->rloss,
					 g->rd[net->nl], K, B, g->denom);
	LAUNCH_CHECK();
	if (dots)
		nn_cuda_download(dots, g->rloss, (size_t)B);
}

extern "C" void nn_cuda_rbackward(nn_cuda *g, const float *theta, const float *v, float *hv)
{
	const nn_net *net = g->net;
	int B = g->B, n = net->nl;
	CUDA_CHECK(cudaMemset(hv, 0, net->nparams * sizeof(float)));
	/* rd[n] = R{dz} was set by the R-forward pass */
	for (int i = n - 1; i >= 0; i--) {
		const nn_layer *L = &net->l[i];
		const float *dout = g->d[i + 1], *rdout = g->rd[i + 1];
		int need = i > 0;
		float *rdin = g->rd[i];
		size_t nout = (size_t)B * L->oh * L->ow, no = act(L, 0, B), ni = act(L, 1, B);
		switch (L->type) {
		case NN_CONV: {
			int ckk = L->ic * L->k * L->k;
			if (conv_ready(g, i)) {
				dnn_bwd_filter(g, i, g->a[i], rdout, hv + L->w);
				if (i > 0)
					dnn_bwd_filter(g, i, g->ra[i], dout, hv + L->w);
				row_sums(hv + L->b, rdout, L->oc, nout);
				if (need) {
					dnn_bwd_data(g, i, v + L->w, dout, 0, rdin);
					dnn_bwd_data(g, i, theta + L->w, rdout, 1, rdin);
				}
				break;
			}
			im2col(L, B, g->a[i], g->col);
			gemm(g, 0, 1, L->oc, ckk, (int)nout, 1, rdout, g->col, 1, hv + L->w);
			if (i > 0) {
				im2col(L, B, g->ra[i], g->col);
				gemm(g, 0, 1, L->oc, ckk, (int)nout, 1, dout, g->col, 1, hv + L->w);
			}
			row_sums(hv + L->b, rdout, L->oc, nout);
			if (need) {
				gemm(g, 1, 0, ckk, (int)nout, L->oc, 1, v + L->w, dout, 0, g->col);
				gemm(g, 1, 0, ckk, (int)nout, L->oc, 1, theta + L->w, rdout, 1, g->col);
				col2im(L, B, g->col, rdin);
			}
			break;
		}
		case NN_BN:
			LAUNCH_SYNC(k_bn_sums, L->oc, TPB)(dout, g->xhat[i], rdout, g->rxhat[i], g->sums, nout);
			LAUNCH_CHECK();
			LAUNCH(k_bn_acc, GRID((size_t)L->oc), TPB)(hv + L->w, hv + L->b, g->sums, L->oc, 2);
			LAUNCH_CHECK();
			if (need) {
				LAUNCH(k_bn_rdx, GRID(no), TPB)(dout, rdout, g->xhat[i], g->rxhat[i], g->istd[i],
							    g->ristd[i], theta + L->w, v + L->w, g->sums,
							    rdin, nout, no);
				LAUNCH_CHECK();
			}
			break;
		case NN_RELU:
			if (need) {
				LAUNCH(k_relu_mask, GRID(no), TPB)(g->a[i + 1], rdout, rdin, no);
				LAUNCH_CHECK();
			}
			break;
		case NN_POOL:
			if (need) {
				LAUNCH(k_unpool, GRID(ni), TPB)(rdout, g->arg[i], rdin, (size_t)L->ic * B,
							    L->ih, L->iw, L->oh, L->ow);
				LAUNCH_CHECK();
			}
			break;
		case NN_AFFINE: {
			int F = L->ic * L->ih * L->iw;
			gemm(g, 0, 1, L->oc, F, B, 1, rdout, g->xt[i], 1, hv + L->w);
			gemm(g, 0, 1, L->oc, F, B, 1, dout, g->rxt[i], 1, hv + L->w);
			row_sums(hv + L->b, rdout, L->oc, (size_t)B);
			if (need) {
				gemm(g, 1, 0, F, B, L->oc, 1, v + L->w, dout, 0, g->col);
				gemm(g, 1, 0, F, B, L->oc, 1, theta + L->w, rdout, 1, g->col);
				LAUNCH(k_from_features, GRID(ni), TPB)(g->col, rdin, L->ic, B, L->ih * L->iw);
				LAUNCH_CHECK();
			}
			break;
		}
		}
	}
}

extern "C" void nn_cuda_sgd(float *theta, const float *grad, float *vel, size_t n, float lr,
			    float wd, float mom)
{
	LAUNCH(k_sgd, GRID(n), TPB)(theta, grad, vel, n, lr, wd, mom);
	LAUNCH_CHECK();
}

extern "C" void nn_cuda_u_update(float *u, const float *hv, size_t n, float a, float wd)
{
	LAUNCH(k_u_update, GRID(n), TPB)(u, hv, n, a, wd);
	LAUNCH_CHECK();
}

extern "C" void nn_cuda_add(float *y, const float *x, size_t n)
{
	LAUNCH(k_add, GRID(n), TPB)(y, x, n);
	LAUNCH_CHECK();
}
