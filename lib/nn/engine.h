/*
 * engine.h — where the network computes: the CPU reference (lib/nn/nn.c) or a
 * CUDA device (kernels/nn_cuda.cu), behind one interface. This is the only
 * place that dispatches between the two; sgd.c, cnn-eval and inf-score
 * compute through it, so their streams do not depend on the device.
 *
 * Vectors of the parameters' size (θ, the running statistics, gradients,
 * directions, H v) are "engine vectors": host memory on the CPU, device
 * memory on CUDA. Move them with engine_put / engine_get. Inputs come as
 * batches of a dataset (below); per-sample results are host memory.
 *
 * --device auto picks CUDA when the build has it and a device is present,
 * else the CPU (with a note on stderr when the build has CUDA but the
 * machine has no device). --device cuda without a device is an error.
 */
#ifndef ENGINE_H
#define ENGINE_H

#include "data.h"
#include "nn.h"

enum { DEV_AUTO, DEV_CPU, DEV_CUDA };

/* util_start for the programs that compute: idle OpenMP threads wait
 * passively unless the user set OMP_WAIT_POLICY or GOMP_SPINCOUNT (the
 * program runs itself again to tell libgomp; lib/nn/engine.c) */
void engine_start(int argc, char **argv);

/* "auto", "cpu" or "cuda" → DEV_*; anything else is a usage error (exit 2) */
int engine_parse(const char *s);
/* --threads N: N CPU threads from now on (0: all cores, the default); at
 * most 256, else a usage error */
void engine_threads(const char *s);

typedef struct engine engine;

/* quiet: no note when auto falls back to the CPU */
engine *engine_new(const nn_net *net, int max_batch, int device, int quiet);
void engine_free(engine *e);
int engine_is_cuda(const engine *e);
/* the parameters of the engine's network */
size_t engine_nparams(const engine *e);
/* "cpu" or a description of the GPU */
const char *engine_name(const engine *e);

real *engine_alloc(engine *e, size_t n);        /* zeroed */
void engine_release(engine *e, real *v);
void engine_put(engine *e, real *dst, const real *host, size_t n);
void engine_get(engine *e, real *host, const real *src, size_t n);

/* a batch by reference: n examples of d, rows row[j] (row NULL: rows
 * first, first+1, ...), example j seen as aug[j] says (aug NULL: as stored) */
typedef struct batch {
	const data *d;
	int n;
	size_t first;
	const size_t *row;
	const aug_draw *aug;
} batch;

/* the forward pass over a batch (theta, state: engine vectors). On CUDA a
 * dataset is copied to the device at its first batch and every batch is
 * gathered there, and nothing waits for the device: the host runs ahead. */
void engine_forward(engine *e, const real *theta, real *state, const batch *b,
		    double denom, int mode);
/* L of the last forward (waits for the device) */
double engine_loss(engine *e);
/* per-sample losses and probabilities (B × classes) of the last forward,
 * host memory valid until the next engine_forward (on CUDA, copied from
 * the device when first asked for) */
const real *engine_losses(engine *e);
const real *engine_probs(engine *e);
/* the last forward's features — the input of the last affine layer — as
 * (B, F) rows (F into *F) and its logits as (B, classes) rows; host memory
 * valid until the next engine_forward */
const real *engine_features(engine *e, int *F);
const real *engine_logits(engine *e);
/* add the last forward's losses and hits (arg max = label) to the running
 * tally, kept where the network computes; tag names the forward */
void engine_tally(engine *e, long tag);
/* the tally since engine_tally_reset (or the start): the loss sum, summed
 * in order, and the number correct into *loss_sum and *correct (may be
 * NULL); returns the tag of the first forward whose loss was not finite,
 * or -1 (waits for the device) */
long engine_tally_read(engine *e, double *loss_sum, size_t *correct);
void engine_tally_reset(engine *e);
/* grad NULL: the activations' gradients only (nn_backward) */
void engine_backward(engine *e, const real *theta, real *grad);
void engine_rforward(engine *e, const real *theta, const real *v, real *dots);
void engine_rbackward(engine *e, const real *theta, const real *v, real *hv);
/* gv = G v, the Gauss-Newton product (nn_gnvp), after engine_rforward(v) */
void engine_gnvp(engine *e, const real *theta, real *gv);

/* θ ← θ − η(g + λθ), or with momentum v ← μv + g + λθ, θ ← θ − ηv
 * (vel NULL without momentum) */
void engine_sgd(engine *e, real *theta, const real *grad, real *vel, size_t n,
		double lr, double wd, double mom);
/* u ← u − a(hv + λu) */
void engine_u_update(engine *e, real *u, const real *hv, size_t n, double a, double wd);
/* y ← y + x */
void engine_add(engine *e, real *y, const real *x, size_t n);
/* the backend the engine computes on (its vector primitives) */
const nn_backend *engine_backend(const engine *e);
/* y ← a·x + b·y */
void engine_axpby(engine *e, real *y, double a, const real *x, double b, size_t n);
/* Σ x_i y_i in double, in a fixed order */
double engine_dot(engine *e, const real *x, const real *y, size_t n);

#endif
