/*
 * nn_cuda.h — the CUDA backend of the network (lib/backend.h): the same
 * primitives as the CPU's (lib/nn_cpu.c) in float on a CUDA device, with the
 * same (C, B, H, W) layout, the same element maths (lib/nn_maths.h) and
 * reductions in a fixed order of their own, so that it matches the CPU to
 * float round-off (tests/parity, layer by layer). Convolutions go to cuDNN
 * (deterministic FMA algorithms, opened at run time) or, where it is missing
 * or declines a layer, to im2col + cuBLAS; other matrix products to cuBLAS;
 * every other primitive is a kernel of ours. None uses atomics, so results
 * do not vary from run to run. Errors end the program through die().
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
 * mirrored if flip[j] (dy, dx, flip NULL: as stored), as lib/data.c's
 * augment_copy does (lib/nn_maths.h: nn_aug_src) */
void nn_cuda_gather(nn_cuda *g, float *a0, int *ya, const nn_cuda_data *d, const int *row,
		    const signed char *dy, const signed char *dx, const signed char *flip,
		    int B);

#ifdef __cplusplus
}
#endif

#endif
