/*
 * nn.h — the CPU reference network: layers, a flat parameter vector, and
 * exact first and second derivatives at any θ (the engine behind cnn-train,
 * cnn-eval and inf-score; the GPU path must match it).
 *
 * Networks come from a spec: a preset name or a comma-separated layer list
 *   conv6        the papers' CNN: 3 × [conv3 pad1 → bn → relu → conv3 pad1 →
 *                relu → maxpool2], 32/64/128 channels, affine → classes; 32×32
 *   hara-mnist   conv5 20 → relu → pool → conv5 20 → relu → pool → affine
 *   linear       softmax regression
 *   mlp:H        affine H → relu → affine
 *   layer list   conv:COUT:K:PAD  bn  relu  pool  affine:OUT  (the last affine
 *                may be written "affine" and gets the number of classes)
 *
 * Activations are (C, B, H, W) ("CNHW"): a convolution over the whole batch
 * is one im2col and one GEMM. θ is one flat vector; each layer's weights and
 * bias are views into it (offsets below). Batch-norm running statistics are
 * a second flat vector, the "state", not trained.
 *
 * Derivatives (all of the batch-mean loss L = (1/denom) Σ_j ℓ_j):
 *   nn_forward      L and per-sample ℓ_j; batch-norm with batch statistics
 *                   (NN_TRAIN) or running statistics (NN_EVAL)
 *   nn_backward     ∇L
 *   nn_rforward     Pearlmutter R-pass along v: per-sample ⟨v, ∇ℓ_j⟩ in one
 *                   pass, without per-sample gradients. In NN_TRAIN mode ℓ_j
 *                   depends on θ through the batch statistics too, and that
 *                   dependence is differentiated: the per-sample terms sum to
 *                   denom·⟨v, ∇L⟩ exactly, as in the step SGD took.
 *   nn_rbackward    H v, the exact Hessian-vector product of L (after
 *                   nn_forward, nn_backward, nn_rforward on the same v)
 *
 * Compiled with -DNN_F64 the same code runs in double (the finite-difference
 * oracle in tests/unit/test-grad.c).
 */
#ifndef NN_H
#define NN_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef NN_F64
typedef double real;
#else
typedef float real;
#endif

enum { NN_CONV, NN_BN, NN_RELU, NN_POOL, NN_AFFINE };
enum { NN_TRAIN, NN_EVAL };

#define NN_BN_EPS 1e-5
#define NN_BN_MOMENTUM 0.1      /* running = (1-m)·running + m·batch */

typedef struct nn_layer {
	int type;
	int k, pad, out;                /* conv: kernel, padding; conv/affine: outputs */
	int ic, ih, iw;                 /* input shape (per example) */
	int oc, oh, ow;                 /* output shape */
	size_t w, b;                    /* offsets in θ of weight and bias (bn: γ, β) */
	size_t nw, nb;
	size_t s;                       /* bn: offset in state of running mean, var */
} nn_layer;

typedef struct nn_net {
	char *spec;
	int nl;
	nn_layer *l;
	int c, h, w;                    /* input shape */
	int classes;
	size_t nparams, nstate;
} nn_net;

/* build from a spec for inputs of shape (c, h, w); 0 ok, -1 with a message
 * in err (size errlen) */
int nn_init(nn_net *net, const char *spec, int c, int h, int w, int classes,
	    char *err, size_t errlen);
void nn_free(nn_net *net);
/* the input shape a preset wants for data of shape (c,h,w): conv6 takes
 * 32×32 (smaller images are zero-padded, centred) */
void nn_input_shape(const char *spec, int *c, int *h, int *w);
/* seeded initialisation: He-normal weights, zero biases, γ=1, β=0, running
 * mean 0, var 1 */
void nn_init_params(const nn_net *net, real *theta, real *state, uint64_t seed);
/* a one-line description of the layers and parameter count */
void nn_describe(const nn_net *net, char *buf, size_t n);

typedef struct nn_ws nn_ws;

nn_ws *nn_ws_new(const nn_net *net, int max_batch);
void nn_ws_free(nn_ws *ws);

/* x: B examples in (B, C, H, W) order; y: labels; denom: the divisor of the
 * batch loss (B, or the original |S_t| when samples are left out). In
 * NN_TRAIN mode with state != NULL the running statistics are updated;
 * NN_EVAL reads them (state must not be NULL).
 * Returns L. */
double nn_forward(const nn_net *net, nn_ws *ws, const real *theta, real *state,
		  const real *x, const int *y, int B, double denom, int mode);
/* NN_SHARED: a function compiled for the CPU here and for the GPU in
 * kernels/nn_cuda.cu, so that both compute it the same way */
#ifdef __CUDACC__
#define NN_SHARED static inline __host__ __device__
#else
#define NN_SHARED static inline
#endif

/* the predicted class: the index of the largest of p[0..K), the first on
 * ties */
NN_SHARED int nn_argmax(const real *p, int K)
{
	int best = 0;
	for (int k = 1; k < K; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

/* softmax cross-entropy of sample b of the logits z (K, B): its
 * probabilities into prob (K, B) and pbk (B, K); returns its loss */
NN_SHARED real nn_softmax_ce(const real *z, int K, int B, int b, int y, real *prob, real *pbk)
{
	real m = z[b];
	for (int k = 1; k < K; k++)
		m = z[(size_t)k * B + b] > m ? z[(size_t)k * B + b] : m;
	double s = 0;
	for (int k = 0; k < K; k++)
		s += exp((double)(z[(size_t)k * B + b] - m));
	for (int k = 0; k < K; k++) {
		real p = (real)(exp((double)(z[(size_t)k * B + b] - m)) / s);
		prob[(size_t)k * B + b] = p;
		pbk[(size_t)b * K + k] = p;
	}
	return (real)(log(s) + m - z[(size_t)y * B + b]);
}

/* per-sample losses ℓ_j, probabilities (B × classes, row-major) */
const real *nn_losses(const nn_ws *ws);
const real *nn_probs(const nn_ws *ws);
/* grad = ∇L (overwritten) */
void nn_backward(const nn_net *net, nn_ws *ws, const real *theta, real *grad);
/* dots[j] = ⟨v, ∇ℓ_j⟩ for the batch of the last nn_forward (NN_TRAIN) */
void nn_rforward(const nn_net *net, nn_ws *ws, const real *theta,
		 const real *v, real *dots);
/* hv = H v of L; needs nn_forward, nn_backward and nn_rforward(v) first */
void nn_rbackward(const nn_net *net, nn_ws *ws, const real *theta,
		  const real *v, real *hv);
/* per-sample gradients of the last affine layer only: g (B × (nw+nb)),
 * row j = ∇ of ℓ_j w.r.t. that layer's weights then bias */
void nn_last_layer_grads(const nn_net *net, const nn_ws *ws, real *g);

#endif
