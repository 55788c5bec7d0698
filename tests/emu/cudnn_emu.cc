/*
 * cudnn_emu.cc — libcudnn.so.9 for the CPU emulation (make test-emu): the
 * cuDNN functions kernels/nn_cuda.cu opens, written from cuDNN's documented
 * behaviour: 4-d tensors of any strides, NCHW filters, 2-d convolutions,
 * y = α·op + β·y with y not read when β = 0. It supports the algorithms
 * nn_cuda.cu asks for and refuses the rest, refuses descriptors that
 * disagree, asks for a workspace where cuDNN may and checks that one that
 * large is passed, and stops the program when a tensor does not lie in
 * device memory (tests/emu/cuda_emu.cc, found in the program at load time).
 * It checks how nn_cuda.cu uses cuDNN, not cuDNN itself.
 */
#include <cudnn.h>
#include <stdio.h>
#include <stdlib.h>

#include <algorithm>
#include <vector>

extern "C" int emu_is_device(const void *p, size_t n);

struct cudnnContext {
	int unused;
};
struct cudnnTensorStruct {
	bool set;
	int n, c, h, w, ns, cs, hs, ws;
};
struct cudnnFilterStruct {
	bool set;
	int k, c, h, w;
};
struct cudnnConvolutionStruct {
	bool set, flip;
	int ph, pw, u, v, dh, dw;
};

static void check_device(const char *call, const char *what, const void *p, size_t n)
{
	if (!emu_is_device(p, n)) {
		fprintf(stderr, "cudnn-emu: %s: %s (%zu bytes at %p) is not device memory\n", call,
			what, n, p);
		exit(1);
	}
}

extern "C" {

cudnnStatus_t cudnnCreate(cudnnHandle_t *h)
{
	*h = new cudnnContext();
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroy(cudnnHandle_t h)
{
	delete h;
	return CUDNN_STATUS_SUCCESS;
}

const char *cudnnGetErrorString(cudnnStatus_t s)
{
	switch (s) {
	case CUDNN_STATUS_SUCCESS:
		return "CUDNN_STATUS_SUCCESS";
	case CUDNN_STATUS_BAD_PARAM:
		return "CUDNN_STATUS_BAD_PARAM";
	case CUDNN_STATUS_NOT_SUPPORTED:
		return "CUDNN_STATUS_NOT_SUPPORTED";
	default:
		return "CUDNN_STATUS_INTERNAL_ERROR";
	}
}

size_t cudnnGetVersion(void) { return CUDNN_VERSION; }

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t *d)
{
	*d = new cudnnTensorStruct();
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t d)
{
	delete d;
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetTensor4dDescriptorEx(cudnnTensorDescriptor_t d, cudnnDataType_t t, int n,
					   int c, int h, int w, int ns, int cs, int hs, int ws)
{
	if (n < 1 || c < 1 || h < 1 || w < 1 || ns < 1 || cs < 1 || hs < 1 || ws < 1)
		return CUDNN_STATUS_BAD_PARAM;
	if (t != CUDNN_DATA_FLOAT)
		return CUDNN_STATUS_NOT_SUPPORTED;
	*d = cudnnTensorStruct{ true, n, c, h, w, ns, cs, hs, ws };
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t *d)
{
	*d = new cudnnFilterStruct();
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t d)
{
	delete d;
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t d, cudnnDataType_t t,
					 cudnnTensorFormat_t f, int k, int c, int h, int w)
{
	if (k < 1 || c < 1 || h < 1 || w < 1)
		return CUDNN_STATUS_BAD_PARAM;
	if (t != CUDNN_DATA_FLOAT || f != CUDNN_TENSOR_NCHW)
		return CUDNN_STATUS_NOT_SUPPORTED;
	*d = cudnnFilterStruct{ true, k, c, h, w };
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t *d)
{
	*d = new cudnnConvolutionStruct();
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t d)
{
	delete d;
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t d, int ph, int pw,
					      int u, int v, int dh, int dw,
					      cudnnConvolutionMode_t mode, cudnnDataType_t t)
{
	if (ph < 0 || pw < 0 || u < 1 || v < 1 || dh < 1 || dw < 1 ||
	    (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION))
		return CUDNN_STATUS_BAD_PARAM;
	if (t != CUDNN_DATA_FLOAT)
		return CUDNN_STATUS_NOT_SUPPORTED;
	*d = cudnnConvolutionStruct{ true, mode == CUDNN_CONVOLUTION, ph, pw, u, v, dh, dw };
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t d, cudnnMathType_t m)
{
	if (m != CUDNN_DEFAULT_MATH && m != CUDNN_TENSOR_OP_MATH &&
	    m != CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION && m != CUDNN_FMA_MATH)
		return CUDNN_STATUS_BAD_PARAM;
	(void)d;
	return CUDNN_STATUS_SUCCESS;
}

} /* extern "C" */

/* x, w, y describe one convolution: channels, batch and output size agree */
static cudnnStatus_t agree(const cudnnTensorStruct *x, const cudnnFilterStruct *w,
			   const cudnnConvolutionStruct *c, const cudnnTensorStruct *y)
{
	if (!x->set || !w->set || !c->set || !y->set)
		return CUDNN_STATUS_BAD_PARAM;
	int oh = (x->h + 2 * c->ph - c->dh * (w->h - 1) - 1) / c->u + 1;
	int ow = (x->w + 2 * c->pw - c->dw * (w->w - 1) - 1) / c->v + 1;
	if (x->c != w->c || y->c != w->k || x->n != y->n || y->h != oh || y->w != ow || oh < 1 ||
	    ow < 1)
		return CUDNN_STATUS_BAD_PARAM;
	return CUDNN_STATUS_SUCCESS;
}

static size_t span(const cudnnTensorStruct *t)
{
	return ((size_t)(t->n - 1) * t->ns + (size_t)(t->c - 1) * t->cs +
		(size_t)(t->h - 1) * t->hs + (size_t)(t->w - 1) * t->ws + 1) *
	       sizeof(float);
}

static size_t filter_bytes(const cudnnFilterStruct *w)
{
	return (size_t)w->k * w->c * w->h * w->w * sizeof(float);
}

/* element (n, c, y, x) of a tensor, (k, c, r, s) of a filter */
template <class T> static T &at(const cudnnTensorStruct *t, T *p, int n, int c, int y, int x)
{
	return p[(size_t)n * t->ns + (size_t)c * t->cs + (size_t)y * t->hs + (size_t)x * t->ws];
}
template <class T> static T &wat(const cudnnFilterStruct *f, T *p, int k, int c, int r, int s)
{
	return p[(((size_t)k * f->c + c) * f->h + r) * f->w + s];
}

/* workspace sizes: nonzero for two of them, so that nn_cuda.cu's workspace
 * is exercised; the numbers mean nothing beyond that */
static size_t fwd_ws(cudnnConvolutionFwdAlgo_t a, const cudnnFilterStruct *w)
{
	return a == CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM ?
		       (size_t)w->c * w->h * w->w * 2 * sizeof(int) :
		       0;
}
static size_t filter_ws(const cudnnTensorStruct *x) { return (size_t)x->n * 64; }

static cudnnStatus_t workspace(const char *call, void *ws, size_t have, size_t need)
{
	if (have < need)
		return CUDNN_STATUS_BAD_PARAM;
	if (need)
		check_device(call, "workspace", ws, need);
	return CUDNN_STATUS_SUCCESS;
}

/* the output positions o in [*lo, *hi) of n that read input position
 * o·stride − pad + off inside [0, size) */
static void range(int n, int stride, int pad, int off, int size, int *lo, int *hi)
{
	int a = 0, b = n;
	while (a < n && a * stride - pad + off < 0)
		a++;
	while (b > a && (b - 1) * stride - pad + off >= size)
		b--;
	*lo = a, *hi = b;
}

/* f(oy, ox, iy, ix) for every output position (oy, ox) of y whose filter
 * tap (r, q) reads input position (iy, ix) of x, inside x */
template <class F>
static void each_tap(const cudnnConvolutionStruct *cd, const cudnnTensorStruct *x,
		     const cudnnTensorStruct *y, int r, int q, F f)
{
	int y0, y1, x0, x1;
	range(y->h, cd->u, cd->ph, r * cd->dh, x->h, &y0, &y1);
	range(y->w, cd->v, cd->pw, q * cd->dw, x->w, &x0, &x1);
	for (int oy = y0; oy < y1; oy++)
		for (int ox = x0; ox < x1; ox++)
			f(oy, ox, oy * cd->u - cd->ph + r * cd->dh, ox * cd->v - cd->pw + q * cd->dw);
}

/* t = α·acc + β·t over one (n, c) plane; t not read when β = 0 */
static void store(const cudnnTensorStruct *t, float *p, int n, int c, const float *acc, float al,
		  float be)
{
	for (int y = 0; y < t->h; y++)
		for (int x = 0; x < t->w; x++) {
			float &o = at(t, p, n, c, y, x);
			o = al * acc[y * t->w + x] + (be == 0 ? 0 : be * o);
		}
}

/* the filter's element for tap (k, c, r, q): flipped for true convolution */
template <class T>
static T &tap(const cudnnConvolutionStruct *cd, const cudnnFilterStruct *f, T *p, int k, int c,
	      int r, int q)
{
	return wat(f, p, k, c, cd->flip ? f->h - 1 - r : r, cd->flip ? f->w - 1 - q : q);
}

extern "C" {

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t, cudnnTensorDescriptor_t x,
						      cudnnFilterDescriptor_t w,
						      cudnnConvolutionDescriptor_t c,
						      cudnnTensorDescriptor_t y,
						      cudnnConvolutionFwdAlgo_t a, size_t *sz)
{
	cudnnStatus_t st = agree(x, w, c, y);
	if (st)
		return st;
	if (a != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM &&
	    a != CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM)
		return CUDNN_STATUS_NOT_SUPPORTED;
	*sz = fwd_ws(a, w);
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t,
							   cudnnFilterDescriptor_t w,
							   cudnnTensorDescriptor_t dy,
							   cudnnConvolutionDescriptor_t c,
							   cudnnTensorDescriptor_t dx,
							   cudnnConvolutionBwdDataAlgo_t a,
							   size_t *sz)
{
	cudnnStatus_t st = agree(dx, w, c, dy);
	if (st)
		return st;
	if (a != CUDNN_CONVOLUTION_BWD_DATA_ALGO_1)
		return CUDNN_STATUS_NOT_SUPPORTED;
	*sz = 0;
	return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t,
							     cudnnTensorDescriptor_t x,
							     cudnnTensorDescriptor_t dy,
							     cudnnConvolutionDescriptor_t c,
							     cudnnFilterDescriptor_t dw,
							     cudnnConvolutionBwdFilterAlgo_t a,
							     size_t *sz)
{
	cudnnStatus_t st = agree(x, dw, c, dy);
	if (st)
		return st;
	if (a != CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1)
		return CUDNN_STATUS_NOT_SUPPORTED;
	*sz = filter_ws(x);
	return CUDNN_STATUS_SUCCESS;
}

/* y = α·(x ⋆ w) + β·y */
cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t, const void *alpha, cudnnTensorDescriptor_t xd,
				      const void *xv, cudnnFilterDescriptor_t wd, const void *wv,
				      cudnnConvolutionDescriptor_t cd, cudnnConvolutionFwdAlgo_t a,
				      void *ws, size_t wsz, const void *beta,
				      cudnnTensorDescriptor_t yd, void *yv)
{
	size_t need;
	cudnnStatus_t st = cudnnGetConvolutionForwardWorkspaceSize(NULL, xd, wd, cd, yd, a, &need);
	if (st || (st = workspace("cudnnConvolutionForward", ws, wsz, need)))
		return st;
	check_device("cudnnConvolutionForward", "x", xv, span(xd));
	check_device("cudnnConvolutionForward", "w", wv, filter_bytes(wd));
	check_device("cudnnConvolutionForward", "y", yv, span(yd));
	const float *x = (const float *)xv, *w = (const float *)wv;
	std::vector<float> acc((size_t)yd->h * yd->w);
	for (int n = 0; n < yd->n; n++)
		for (int k = 0; k < yd->c; k++) {
			std::fill(acc.begin(), acc.end(), 0.f);
			for (int c = 0; c < xd->c; c++)
				for (int r = 0; r < wd->h; r++)
					for (int q = 0; q < wd->w; q++) {
						float wk = tap(cd, wd, w, k, c, r, q);
						each_tap(cd, xd, yd, r, q, [&](int oy, int ox, int iy, int ix) {
							acc[oy * yd->w + ox] += wk * at(xd, x, n, c, iy, ix);
						});
					}
			store(yd, (float *)yv, n, k, acc.data(), *(const float *)alpha,
			      *(const float *)beta);
		}
	return CUDNN_STATUS_SUCCESS;
}

/* dx = α·(the adjoint of x ↦ x ⋆ w applied to dy) + β·dx */
cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t, const void *alpha,
					   cudnnFilterDescriptor_t wd, const void *wv,
					   cudnnTensorDescriptor_t dyd, const void *dyv,
					   cudnnConvolutionDescriptor_t cd,
					   cudnnConvolutionBwdDataAlgo_t a, void *ws, size_t wsz,
					   const void *beta, cudnnTensorDescriptor_t dxd, void *dxv)
{
	size_t need;
	cudnnStatus_t st =
		cudnnGetConvolutionBackwardDataWorkspaceSize(NULL, wd, dyd, cd, dxd, a, &need);
	if (st || (st = workspace("cudnnConvolutionBackwardData", ws, wsz, need)))
		return st;
	check_device("cudnnConvolutionBackwardData", "w", wv, filter_bytes(wd));
	check_device("cudnnConvolutionBackwardData", "dy", dyv, span(dyd));
	check_device("cudnnConvolutionBackwardData", "dx", dxv, span(dxd));
	const float *w = (const float *)wv, *dy = (const float *)dyv;
	std::vector<float> acc((size_t)dxd->h * dxd->w);
	for (int n = 0; n < dxd->n; n++)
		for (int c = 0; c < dxd->c; c++) {
			std::fill(acc.begin(), acc.end(), 0.f);
			for (int k = 0; k < dyd->c; k++)
				for (int r = 0; r < wd->h; r++)
					for (int q = 0; q < wd->w; q++) {
						float wk = tap(cd, wd, w, k, c, r, q);
						each_tap(cd, dxd, dyd, r, q, [&](int oy, int ox, int iy, int ix) {
							acc[iy * dxd->w + ix] += wk * at(dyd, dy, n, k, oy, ox);
						});
					}
			store(dxd, (float *)dxv, n, c, acc.data(), *(const float *)alpha,
			      *(const float *)beta);
		}
	return CUDNN_STATUS_SUCCESS;
}

/* dw = α·Σ over the batch and output positions of x · dy + β·dw */
cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t, const void *alpha,
					     cudnnTensorDescriptor_t xd, const void *xv,
					     cudnnTensorDescriptor_t dyd, const void *dyv,
					     cudnnConvolutionDescriptor_t cd,
					     cudnnConvolutionBwdFilterAlgo_t a, void *ws, size_t wsz,
					     const void *beta, cudnnFilterDescriptor_t dwd, void *dwv)
{
	size_t need;
	cudnnStatus_t st =
		cudnnGetConvolutionBackwardFilterWorkspaceSize(NULL, xd, dyd, cd, dwd, a, &need);
	if (st || (st = workspace("cudnnConvolutionBackwardFilter", ws, wsz, need)))
		return st;
	check_device("cudnnConvolutionBackwardFilter", "x", xv, span(xd));
	check_device("cudnnConvolutionBackwardFilter", "dy", dyv, span(dyd));
	check_device("cudnnConvolutionBackwardFilter", "dw", dwv, filter_bytes(dwd));
	const float *x = (const float *)xv, *dy = (const float *)dyv;
	float al = *(const float *)alpha, be = *(const float *)beta;
	for (int k = 0; k < dwd->k; k++)
		for (int c = 0; c < dwd->c; c++)
			for (int r = 0; r < dwd->h; r++)
				for (int q = 0; q < dwd->w; q++) {
					float s = 0;
					for (int n = 0; n < xd->n; n++)
						each_tap(cd, xd, dyd, r, q, [&](int oy, int ox, int iy, int ix) {
							s += at(xd, x, n, c, iy, ix) * at(dyd, dy, n, k, oy, ox);
						});
					float &o = tap(cd, dwd, (float *)dwv, k, c, r, q);
					o = al * s + (be == 0 ? 0 : be * o);
				}
	return CUDNN_STATUS_SUCCESS;
}

} /* extern "C" */
