/*
 * nn.h — the network: layers, a flat parameter vector, and exact first and
 * second derivatives at any θ, on any backend (the engine behind cnn-train,
 * cnn-eval and inf-score).
 *
 * Networks come from a spec: a preset name or a comma-separated layer list
 *   conv6        the papers' CNN: 3 × [conv3 pad1 → bn → relu → conv3 pad1 →
 *                relu → maxpool2], 32/64/128 channels, affine → classes; 32×32
 *   hara-mnist   conv5 20 → relu → pool → conv5 20 → relu → pool → affine
 *   linear       softmax regression
 *   mlp:H        affine H → relu → affine
 *   layer list   conv:COUT:K:PAD  bn  relu  pool  gap  affine:OUT  (the last
 *                affine may be written "affine" and gets the number of
 *                classes; gap is global average pooling over H×W)
 *
 * Activations are (C, B, H, W) ("CNHW"): a convolution over the whole batch
 * is one im2col and one GEMM. θ is one flat vector; each layer's weights and
 * bias are views into it (offsets below). Batch-norm running statistics are
 * a second flat vector, the "state", not trained.
 *
 * Layer-major: lib/nn/nn.c holds one walker and, per layer type, one op group
 * of four passes (conv_forward, conv_backward, conv_rforward,
 * conv_rbackward; the same for bn, relu, pool, gap, affine, and the softmax
 * cross-entropy at the end), written once over the primitives of a backend
 * (lib/nn/backend.h): the CPU (lib/nn/cpu.c, the reference) or CUDA
 * (kernels/nn_cuda.cu). A workspace belongs to one backend; its buffers are
 * that backend's memory.
 *
 * Derivatives (all of the batch-mean loss L = (1/denom) Σ_j ℓ_j):
 *   nn_forward      per-sample ℓ_j; batch-norm with batch statistics
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
 * Compiled with -DNN_F64 the CPU backend runs in double (the
 * finite-difference oracle in tests/unit/test-grad.c).
 */
#ifndef NN_H
#define NN_H

#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"
#include "backend.h"
#include "net.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { NN_TRAIN, NN_EVAL };

typedef struct nn_ws nn_ws;

/* a workspace on backend bk (bk outlives it), or on a CPU backend of its
 * own (nn_ws_new) */
nn_ws *nn_ws_new_on(const nn_net *net, const nn_backend *bk, int max_batch);
nn_ws *nn_ws_new(const nn_net *net, int max_batch);
void nn_ws_free(nn_ws *ws);
const nn_backend *nn_ws_backend(const nn_ws *ws);

/* where a batch goes: the input (C, B, H, W) and labels, backend memory, for
 * a backend that gathers batches itself (then nn_forward with x = NULL) */
real *nn_ws_input(nn_ws *ws, int **y);

/* x: B examples in (B, C, H, W) order on the host, y: labels (x NULL: the
 * batch is already in nn_ws_input's buffers); denom: the divisor of the
 * batch loss (B, or the original |S_t| when samples are left out). In
 * NN_TRAIN mode with state != NULL the running statistics are updated;
 * NN_EVAL reads them (state must not be NULL). */
void nn_forward(nn_ws *ws, const real *theta, real *state, const real *x, const int *y,
		int B, double denom, int mode);
/* grad = ∇L (overwritten); grad NULL: only the gradients of the
 * activations, all nn_rbackward needs (a convolution's weight gradient is a
 * third of its backward and forward work) */
void nn_backward(nn_ws *ws, const real *theta, real *grad);
/* dots (host, may be NULL) = ⟨v, ∇ℓ_j⟩ for the batch of the last
 * nn_forward: in NN_TRAIN through the batch statistics, in NN_EVAL with
 * the running ones held constant (each example on its own) */
void nn_rforward(nn_ws *ws, const real *theta, const real *v, real *dots);
/* hv = H v of L; needs nn_forward (NN_TRAIN), nn_backward and nn_rforward(v)
 * first */
void nn_rbackward(nn_ws *ws, const real *theta, const real *v, real *hv);
/* gv = G v, the generalised Gauss-Newton product Jᵀ H_z J v / denom of L
 * (J: the logits' Jacobian, through the batch statistics in NN_TRAIN;
 * H_z: the softmax cross-entropy's Hessian) — positive semi-definite, and
 * H itself where the network is linear in θ. Needs nn_rforward(v) first;
 * overwrites the gradients nn_backward left (nn_rbackward needs them) */
void nn_gnvp(nn_ws *ws, const real *theta, real *gv);

/* the last forward's per-sample losses (B) and probabilities (B, K), and its
 * batch size and divisor; backend memory */
const real *nn_losses(const nn_ws *ws);
const real *nn_probs(const nn_ws *ws);
const int *nn_labels(const nn_ws *ws);
int nn_batch(const nn_ws *ws);
double nn_denom(const nn_ws *ws);
/* the last forward's input to the last affine layer, as features (F, B),
 * F = that layer's C·H·W (*F set), and its logits (K, B); backend memory */
const real *nn_features(const nn_ws *ws, int *F);
const real *nn_logits(const nn_ws *ws);
/* L of the last forward (host backends) */
double nn_loss(const nn_ws *ws);
/* per-sample gradients of the last affine layer only (host backends): g
 * (B × (nw+nb)), row j = ∇ of ℓ_j w.r.t. that layer's weights then bias */
void nn_last_layer_grads(const nn_ws *ws, real *g);

/* ------------------------------------------------ one layer at a time */
/* The layer-by-layer parity tests run one pass of one layer on buffers they
 * set. Pass NN_PASS_* of layer i (i == nl: the softmax cross-entropy) after
 * a whole nn_forward (and the passes before it) set the batch; out is grad
 * (backward) or hv (rbackward). */
enum { NN_PASS_FORWARD, NN_PASS_BACKWARD, NN_PASS_RFORWARD, NN_PASS_RBACKWARD };
void nn_layer_pass(nn_ws *ws, int i, int pass, const real *theta, real *state,
		   const real *v, real *out);
/* the activation (a), gradient (d), R{activation} (ra) and R{gradient} (rd)
 * at the input of layer i (i == nl: the logits), and its element count */
enum { NN_BUF_A, NN_BUF_D, NN_BUF_RA, NN_BUF_RD };
real *nn_ws_buf(nn_ws *ws, int which, int i, size_t *n);

#ifdef __cplusplus
}
#endif

#endif
