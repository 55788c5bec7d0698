/*
 * cpu_dnnl.h — the CPU backend's convolutions on oneDNN (cpu_dnnl.c):
 * the three convolution entries of backend.h for cpu.c, in
 * float, with the same arguments and the same meaning. A build without
 * oneDNN (HAVE_DNNL unset) compiles none of it and cpu.c lowers
 * every convolution to im2col + SGEMM, as does the double build of the
 * tests (NN_F64).
 */
#ifndef NN_DNNL_H
#define NN_DNNL_H

#include "net.h"

typedef struct nn_dnnl nn_dnnl;

/* the convolutions of net at batches up to max_batch (the same bits at any
 * thread count: cpu_dnnl.c); NULL when net has none. Caller frees with
 * nn_dnnl_free. */
nn_dnnl *nn_dnnl_new(const nn_net *net, int max_batch);
void nn_dnnl_free(nn_dnnl *d);
/* "oneDNN 2.6.3 (jit:avx512_core)": valid while d is */
const char *nn_dnnl_describe(nn_dnnl *d);

/* out = conv(in, w) + beta·out (beta 0 or 1); what: NN_IN_* (backend.h) */
void nn_dnnl_conv_forward(nn_dnnl *d, int i, int B, float *out, const float *in,
			  const float *w, float beta, int what);
/* dw += ∂⟨dout, conv(in, ·)⟩/∂w */
void nn_dnnl_conv_backward_filter(nn_dnnl *d, int i, int B, float *dw, const float *in,
				  const float *dout, int what);
/* din = convᵀ(w, dout) [+ convᵀ(w2, dout2) when w2 is not NULL] */
void nn_dnnl_conv_backward_data(nn_dnnl *d, int i, int B, float *din, const float *w,
				const float *dout, const float *w2, const float *dout2);

#endif
