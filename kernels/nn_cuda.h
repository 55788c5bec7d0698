/*
 * nn_cuda.h — the GPU twin of lib/nn.h: the same layers and the same four
 * passes (forward, backward, R-forward, R-backward) in float on a CUDA
 * device, with the same (C, B, H, W) layout and the same order of every
 * reduction as the CPU reference, which it must match (tests/parity).
 * Convolutions go to cuDNN (deterministic FMA algorithms, opened at run
 * time) or, where it is missing or declines a layer, to im2col + cuBLAS;
 * other matrix products to cuBLAS; every other pass is a kernel of ours.
 * None uses atomics, so results do not vary from run to run.
 *
 * Vectors of nparams (θ, v, gradients, H v) live on the device; inputs,
 * labels, per-sample outputs and the loss cross to and from the host.
 */
#ifndef NN_CUDA_H
#define NN_CUDA_H

#include "../lib/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nn_cuda nn_cuda;

/* number of CUDA devices (0 without a driver or a device) */
int nn_cuda_devices(void);
/* a one-line description of device 0 into buf */
void nn_cuda_describe(char *buf, size_t n);

/* needs no device: 1 if cuDNN opens and accepts the descriptors of every
 * convolution of net at batch B (why gets its version), else 0 (why says why) */
int nn_cuda_dnn_probe(const nn_net *net, int B, char *why, size_t n);

nn_cuda *nn_cuda_new(const nn_net *net, int max_batch);
/* how it convolves: "cuDNN x.y.z", or "im2col + cuBLAS (why)" */
const char *nn_cuda_conv(const nn_cuda *g);
void nn_cuda_free(nn_cuda *g);

/* device vectors */
float *nn_cuda_alloc(size_t n);
void nn_cuda_release(float *d);
void nn_cuda_upload(float *d, const float *h, size_t n);
void nn_cuda_download(float *h, const float *d, size_t n);

/* as nn_forward without its return value (nothing waits for the device);
 * x and y on the host, theta and state on the device */
void nn_cuda_forward(nn_cuda *g, const float *theta, float *state, const float *x,
		     const int *y, int B, double denom, int mode);

/* a dataset copied to the device once: n examples of dim floats, labels;
 * NULL if it does not fit */
typedef struct nn_cuda_data nn_cuda_data;
nn_cuda_data *nn_cuda_data_new(const float *x, const int *y, size_t n, size_t dim);
void nn_cuda_data_free(nn_cuda_data *d);
/* as nn_cuda_forward, the batch gathered on the device: example j is row
 * row[j] of d, shifted by (dy[j], dx[j]) and mirrored if flip[j] (dy, dx,
 * flip NULL: as stored), exactly as lib/data.c's augment_copy */
void nn_cuda_forward_rows(nn_cuda *g, const float *theta, float *state,
			  const nn_cuda_data *d, const int *row, const signed char *dy,
			  const signed char *dx, const signed char *flip, int B,
			  double denom, int mode);

/* per-sample losses and probabilities (B × classes) of the last forward to
 * the host (either may be NULL) */
void nn_cuda_losses(nn_cuda *g, float *loss, float *probs);
/* add the last forward's losses and hits to the device's tally; tag names
 * the forward in the divergence report */
void nn_cuda_tally(nn_cuda *g, long tag);
/* the tally since the last reset into *loss_sum and *correct (may be
 * NULL); returns the tag of the first forward whose loss was not finite,
 * or -1 */
long nn_cuda_tally_read(nn_cuda *g, double *loss_sum, size_t *correct);
void nn_cuda_tally_reset(nn_cuda *g);
void nn_cuda_backward(nn_cuda *g, const float *theta, float *grad);
/* dots (host, may be NULL) = ⟨v, ∇ℓ_j⟩ */
void nn_cuda_rforward(nn_cuda *g, const float *theta, const float *v, float *dots);
void nn_cuda_rbackward(nn_cuda *g, const float *theta, const float *v, float *hv);

/* θ ← θ − η(g + λθ) (momentum: v ← μv + g + λθ, θ ← θ − ηv; vel NULL without) */
void nn_cuda_sgd(float *theta, const float *grad, float *vel, size_t n, float lr,
		 float wd, float mom);
/* u ← u − a(hv + λu) */
void nn_cuda_u_update(float *u, const float *hv, size_t n, float a, float wd);
/* y ← y + x */
void nn_cuda_add(float *y, const float *x, size_t n);

#ifdef __cplusplus
}
#endif

#endif
