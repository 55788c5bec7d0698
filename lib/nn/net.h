/*
 * net.h — a network as a description: the layers a spec names (a preset or
 * a layer list, see nn.h), their shapes and their offsets in the flat
 * parameter vector θ and in the state, and θ's seeded initialisation. No
 * computation here: the passes over a batch are nn.h's walker, the
 * primitives they are written in a backend's (backend.h). Every backend,
 * the CUDA one in kernels/ included, reads a network through this header
 * alone.
 */
#ifndef NET_H
#define NET_H

#include <stddef.h>
#include <stdint.h>

#include "../util/util.h"
#include "maths.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { NN_CONV, NN_BN, NN_RELU, NN_POOL, NN_AFFINE, NN_GAP, NN_NTYPES };

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

/* the most outputs one conv or affine layer may have (and the most
 * padding), and the most parameters of a network or values of one layer's
 * output for one example (2^28 floats: 1 GiB): a spec asking for more is
 * refused, not tried */
#define NN_MAX_WIDTH 65536
#define NN_MAX_PARAMS (1u << 28)

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
/* "conv", "bn", ... ("softmax-ce" for i == nl) */
const char *nn_layer_name(const nn_net *net, int i);
/* the elements of the largest im2col matrix of net's convolutions at batch
 * max_batch (1 without any): what a backend's convolution scratch holds
 * (inline: the CUDA backend's objects link without lib/nn/net.c) */
static inline size_t nn_col_size(const nn_net *net, int max_batch)
{
	size_t colmax = 1;
	for (int i = 0; i < net->nl; i++) {
		const nn_layer *L = &net->l[i];
		size_t m = emul((size_t)L->ic * L->k * L->k * L->oh * L->ow, (size_t)max_batch);
		if (L->type == NN_CONV && m > colmax)
			colmax = m;
	}
	return colmax;
}

#ifdef __cplusplus
}
#endif

#endif
