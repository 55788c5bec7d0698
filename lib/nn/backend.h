/*
 * backend.h — the primitives the network's layers are written in, as one
 * table that each place the network can compute fills in: the CPU
 * (lib/nn/cpu.c, the reference) and CUDA (kernels/nn_cuda.cu: cuDNN, cuBLAS
 * and our kernels). The walker and the layers' four passes (lib/nn/nn.c) are
 * written once over this table; a layer whose maths is not a composition of
 * the generic primitives (batch-norm, pooling) has its own entries here, so
 * a layer is one op group per backend and nothing more. Below the table,
 * the constructors of both backends: the engine (engine.c) picks one
 * through them, so lib/ never includes kernels/.
 *
 * Conventions (llm.c's): outputs first, then inputs, then weights; d- and
 * r- prefixes for gradients and R-pass (directional) derivatives; entries
 * named *_backward accumulate into parameter gradients (+=) and overwrite
 * input gradients. All pointers are backend memory ("engine vectors"),
 * except where a comment says host. Activations are (C, B, H, W).
 *
 * Every entry gets the backend's own context first. None may fail softly:
 * an error ends the program through die() (lib/util/util.h).
 */
#ifndef BACKEND_H
#define BACKEND_H

#include <stddef.h>

#include "maths.h"
#include "net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* a convolution's input, as the walker (lib/nn/nn.c) knows it: the layer's
 * forward activations of a new batch (NN_IN_NEW); the same activations,
 * unchanged since that forward (NN_IN_SAME: the backward and R-passes of the
 * batch); anything else (NN_IN_OTHER: R{activations}) */
enum { NN_IN_NEW, NN_IN_SAME, NN_IN_OTHER };

/* a batch-norm layer's saved values for one batch (each C, or one per
 * activation where noted) */
typedef struct nn_bn_buf {
	real *xhat, *rxhat;             /* (C, B, H, W) */
	real *mean, *istd, *rmean, *ristd;
} nn_bn_buf;

typedef struct nn_backend {
	const char *name;
	void *ctx;
	int host;                       /* 1: its memory is host memory */

	/* ------------------------------------------------------- memory */
	void *(*alloc)(void *ctx, size_t bytes);        /* zeroed */
	void (*release)(void *ctx, void *p);
	void (*zero)(void *ctx, real *p, size_t n);
	void (*put)(void *ctx, real *dst, const real *host, size_t n);
	void (*get)(void *ctx, real *host, const real *src, size_t n);
	/* a host batch x (B, C, H, W) and labels y into a0 (C, B, H, W) and ya */
	void (*input)(void *ctx, real *a0, int *ya, const real *x, const int *y, int B, int C,
		      size_t P);

	/* -------------------------------------------------- dense maths */
	/* C (M×N) = alpha·op(A)·op(B) + beta·C, row-major */
	void (*gemm)(void *ctx, int ta, int tb, int M, int N, int K, real alpha, const real *A,
		     const real *B, real beta, real *C);
	/* out[o, :] += bias[o] for o < O, rows of n */
	void (*add_bias)(void *ctx, real *out, const real *bias, int O, size_t n);
	/* db[o] += Σ_j d[o, j] */
	void (*row_sums)(void *ctx, real *db, const real *d, int O, size_t n);
	/* (C, B, P) → (C·P, B) and back */
	void (*to_features)(void *ctx, real *xt, const real *in, int C, int B, int P);
	void (*from_features)(void *ctx, real *in, const real *xt, int C, int B, int P);

	/* -------------------------------- convolution i of the network */
	/* what the input in is (NN_IN_*, below): a backend that lowers a
	 * convolution to a matrix product may keep the forward input's lowered
	 * copy between the passes; others ignore it */
	/* out = conv(in, w) + beta·out */
	void (*conv_forward)(void *ctx, int i, int B, real *out, const real *in, const real *w,
			     real beta, int what);
	/* dw += ∂⟨dout, conv(in, ·)⟩/∂w */
	void (*conv_backward_filter)(void *ctx, int i, int B, real *dw, const real *in,
				     const real *dout, int what);
	/* din = convᵀ(w, dout) [+ convᵀ(w2, dout2) when w2 is not NULL] */
	void (*conv_backward_data)(void *ctx, int i, int B, real *din, const real *w,
				   const real *dout, const real *w2, const real *dout2);

	/* --------------------------------------------------- element-wise */
	void (*relu)(void *ctx, real *out, const real *in, size_t n);
	/* out = ref > 0 ? d : 0 (ReLU backward and both R-passes) */
	void (*relu_mask)(void *ctx, real *out, const real *ref, const real *d, size_t n);

	/* ------------------------------------------------ pooling layers */
	/* 2×2 max-pool with its argmax (indices into in) */
	void (*pool_forward)(void *ctx, const struct nn_layer *L, int B, real *out, int *arg,
			     const real *in);
	/* din = the gradient routed back through arg (overwritten) */
	void (*pool_backward)(void *ctx, const struct nn_layer *L, int B, real *din,
			      const int *arg, const real *dout);
	/* out[j] = in[arg[j]] */
	void (*gather)(void *ctx, real *out, const real *in, const int *arg, size_t n);
	/* global average pooling over (H, W) and its adjoint (overwritten) */
	void (*gap_forward)(void *ctx, const struct nn_layer *L, int B, real *out,
			    const real *in);
	void (*gap_backward)(void *ctx, const struct nn_layer *L, int B, real *din,
			     const real *dout);

	/* ------------------------------------------------------ batch-norm */
	/* training (state: this layer's running mean then variance, updated
	 * when not NULL) or evaluation (reads state) */
	void (*bn_forward)(void *ctx, const struct nn_layer *L, int B, int eval, nn_bn_buf *s,
			   real *out, const real *in, const real *gamma, const real *beta,
			   real *state);
	/* dgamma, dbeta += ; din (may be NULL) overwritten */
	void (*bn_backward)(void *ctx, const struct nn_layer *L, int B, int eval,
			    const nn_bn_buf *s, real *din, real *dgamma, real *dbeta,
			    const real *dout, const real *gamma);
	/* R{out} along (vg, vb) and R{in} (rin NULL: zero); eval: the running
	 * statistics of an evaluation forward are constants, so R{mean} and
	 * R{istd} are 0 */
	void (*bn_rforward)(void *ctx, const struct nn_layer *L, int B, int eval, nn_bn_buf *s,
			    real *rout, const real *in, const real *rin, const real *gamma,
			    const real *vg, const real *vb);
	/* hg, hb += the layer's part of H v; rdin (may be NULL) overwritten */
	void (*bn_rbackward)(void *ctx, const struct nn_layer *L, int B, const nn_bn_buf *s,
			     real *rdin, real *hg, real *hb, const real *dout, const real *rdout,
			     const real *gamma, const real *vg);

	/* ---------------------------------------- softmax cross-entropy */
	void (*ce_forward)(void *ctx, real *loss, real *prob, real *pbk, const real *z,
			   const int *y, int K, int B);
	void (*ce_backward)(void *ctx, real *dz, const real *prob, const int *y, int K, int B,
			    double denom);
	void (*ce_rforward)(void *ctx, real *rloss, real *rprob, real *rdz, const real *prob,
			    const real *rz, const int *y, int K, int B, double denom);

	/* ---------------------------------------------- training updates */
	void (*sgd)(void *ctx, real *theta, const real *grad, real *vel, size_t n, double lr,
		    double wd, double mom);
	void (*u_update)(void *ctx, real *u, const real *hv, size_t n, double a, double wd);
	void (*add)(void *ctx, real *y, const real *x, size_t n);
	/* y ← a·x + b·y */
	void (*axpby)(void *ctx, real *y, double a, const real *x, double b, size_t n);
	/* Σ x_i y_i, summed in double in a fixed order (host result) */
	double (*dot)(void *ctx, const real *x, const real *y, size_t n);
	/* the running tally (maths.h) of the last forward's losses (B) and
	 * probabilities (B, K), kept where the network computes */
	void (*tally)(void *ctx, const real *loss, const real *pbk, const int *y, int B, int K,
		      double denom, long tag);
	/* into host t; reset */
	void (*tally_read)(void *ctx, nn_tally *t);
	void (*tally_reset)(void *ctx);
} nn_backend;

/* ============================================================ the backends
 * The two that fill the table in, declared here so that nothing above the
 * network (the engine, lib/nn/engine.c, picks one) includes kernels/: the
 * CPU's and CUDA's constructors both live in this room's interface, and
 * kernels/ includes lib/nn/, never the other way. */

/* the CPU backend (lib/nn/cpu.c) for net at batches up to max_batch */
nn_backend *nn_cpu_new(const nn_net *net, int max_batch);
void nn_cpu_free(nn_backend *bk);
/* how a CPU backend computes convolutions: "oneDNN 2.6.3 avx512", "im2col +
 * OpenBLAS" (a build without oneDNN) or "no convolutions"; valid while bk
 * is */
const char *nn_cpu_conv(const nn_backend *bk);

/* The CUDA backend (kernels/nn_cuda.cu, built when HAVE_CUDA): the same
 * primitives as the CPU's in float on a CUDA device, with the same
 * (C, B, H, W) layout, the same element maths (maths.h) and reductions in a
 * fixed order of their own, so that it matches the CPU to float round-off
 * (tests/parity, layer by layer). Convolutions go to cuDNN (deterministic
 * FMA algorithms, opened at run time) or, where it is missing or declines
 * a layer, to im2col + cuBLAS; other matrix products to cuBLAS; every
 * other primitive is a kernel of ours. None uses atomics, so results do
 * not vary from run to run. Errors end the program through die(). */
typedef struct nn_cuda nn_cuda;

/* number of CUDA devices (0 without a driver or a device) */
int nn_cuda_devices(void);
/* a one-line description of device 0 into buf */
void nn_cuda_describe(char *buf, size_t n);

/* needs no device: 1 if cuDNN opens and accepts the descriptors of every
 * convolution of net at batch B (why gets its version), else 0 (why says why) */
int nn_cuda_dnn_probe(const nn_net *net, int B, char *why, size_t n);

/* the backend for net at batches up to max_batch (its table lives as long
 * as g; workspaces on it: nn_ws_new_on) */
nn_cuda *nn_cuda_new(const nn_net *net, int max_batch);
nn_backend *nn_cuda_backend(nn_cuda *g);
/* how it convolves: "cuDNN x.y.z", or "im2col + cuBLAS (why)" */
const char *nn_cuda_conv(const nn_cuda *g);
void nn_cuda_free(nn_cuda *g);

/* a dataset copied to the device once: n examples of dim floats, labels;
 * NULL if it does not fit */
typedef struct nn_cuda_data nn_cuda_data;
nn_cuda_data *nn_cuda_data_new(const float *x, const int *y, size_t n, size_t dim);
void nn_cuda_data_free(nn_cuda_data *d);
/* a batch of B gathered from d into a0 (C, B, H, W) and labels ya (device:
 * nn_ws_input): example j is row row[j] of d, shifted by (dy[j], dx[j]) and
 * mirrored if flip[j] (dy, dx, flip NULL: as stored), as lib/nn/data.c's
 * augment_copy does (lib/nn/maths.h: nn_aug_src) */
void nn_cuda_gather(nn_cuda *g, float *a0, int *ya, const nn_cuda_data *d, const int *row,
		    const signed char *dy, const signed char *dx, const signed char *flip,
		    int B);

#ifdef __cplusplus
}
#endif

#endif
