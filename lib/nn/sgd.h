/*
 * sgd.h — one SGD step, the only implementation of it: cnn-train trains
 * with it, and every replay (theta-cache and inf-score regenerating θ_t
 * from a checkpoint, the counterfactual without one example) runs the very
 * same code, so a replay reproduces training bit for bit.
 *
 * A step takes the examples of a batch (indices into the data), leaves out
 * the skipped ones, augments each from (seed, epoch, id), and applies
 *   θ ← θ − η (∇L + λθ)  (or with momentum v ← μv + ∇L + λθ; θ ← θ − ηv)
 * where L is the sum of the losses of the examples kept, divided by the
 * size of the whole batch (Hara et al.'s counterfactual keeps |S_t|).
 */
#ifndef SGD_H
#define SGD_H

#include "../stream/idset.h"
#include "data.h"
#include "engine.h"
#include "nn.h"

typedef struct sgd {
	const nn_net *net;
	const data *d;
	engine *eng;            /* where it computes; θ, state are its vectors */
	augment aug_opt;
	uint64_t seed;
	double weight_decay, momentum;
	const idset *skip;      /* may be NULL */
	real *grad, *vel;       /* engine vectors */
	size_t *row;            /* the batch of the last sgd_batch: rows of d */
	aug_draw *aug;          /* and their augmentation */
	batch b;                /* the two as the engine takes them */
	int batch;
	long nstep;             /* sgd_step calls since sgd_reset: the tally's tags */
	/* called by sgd_step after the forward pass, before the backward (NULL:
	 * not called): the batch is b, its rows row, and the engine's last
	 * forward (engine_logits, engine_losses) the step's own, so what the
	 * step saw costs no second pass (cnn-train --dynamics) */
	void (*seen)(void *ctx, const struct sgd *s);
	void *seen_ctx;
} sgd;

void sgd_init(sgd *s, engine *eng, const nn_net *net, const data *d, int batch,
	      const augment *aug, uint64_t seed, double weight_decay, double momentum,
	      const idset *skip);
void sgd_free(sgd *s);

/* the batch of a step as the network sees it: the kept examples of
 * idx[0..n) (not skipped, not `also`), with their augmentation, into s->b
 * (rows in s->row). Returns how many were kept. */
int sgd_batch(sgd *s, const size_t *idx, int n, int epoch, size_t also);

/* one step over the n examples idx[0..n) (theta, state: engine vectors);
 * also leaves out example `also` (an index, or SIZE_MAX for none). Returns
 * the number kept. The kept examples' losses and hits go to the engine's
 * tally, and nothing waits for a device: see sgd_take. */
int sgd_step(sgd *s, real *theta, real *state, const size_t *idx, int n, int epoch,
	     double lr, size_t also);

/* the tally since sgd_reset (or sgd_init): the kept examples' loss sum and
 * hits into *loss_sum, *correct (may be NULL); returns the number
 * (counting sgd_step calls since sgd_reset, from 0) of the first step
 * whose loss was not finite, or -1. A step whose loss is not finite still updates θ (with
 * NaN): callers check here, every few steps and at the end, and stop. */
long sgd_read(sgd *s, double *loss_sum, size_t *correct);
void sgd_reset(sgd *s);

#endif
