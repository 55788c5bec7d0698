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

#include "data.h"
#include "engine.h"
#include "idset.h"
#include "nn.h"

typedef struct sgd {
	const nn_net *net;
	const data *d;
	engine *eng;            /* where it computes; θ, state are its vectors */
	augment aug;
	uint64_t seed;
	double weight_decay, momentum;
	const idset *skip;      /* may be NULL */
	real *grad, *vel;       /* engine vectors */
	real *xb;               /* host: the batch's inputs */
	int *yb;
	int batch;
} sgd;

void sgd_init(sgd *s, engine *eng, const nn_net *net, const data *d, int batch,
	      const augment *aug, uint64_t seed, double weight_decay, double momentum,
	      const idset *skip);
void sgd_free(sgd *s);

/* the batch of a step as the network sees it: the kept examples of
 * idx[0..n) (not skipped, not `also`), augmented, into s->xb and s->yb;
 * their indices into kept (may be NULL). Returns how many were kept. */
int sgd_batch(sgd *s, const size_t *idx, int n, int epoch, size_t also, size_t *kept);

/* one step over the n examples idx[0..n) (theta, state: engine vectors); also leaves out example `also`
 * (an index, or SIZE_MAX for none). Adds the kept examples' losses and hits
 * to *loss_sum, *correct (may be NULL). Returns the number kept, or -1 if
 * the loss was not finite. */
int sgd_step(sgd *s, real *theta, real *state, const size_t *idx, int n, int epoch,
	     double lr, size_t also, double *loss_sum, size_t *correct);

#endif
