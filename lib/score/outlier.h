/*
 * outlier.h — grad-outlier's scores (tools/grad-outlier.c names the methods
 * and their papers): one forward pass over the training data in evaluation
 * mode, batched, on an engine, keeping per example what the method needs;
 * then the method's score (detect.h), or an isolation forest over the
 * last layer's gradient factors, or, with every layer, over the
 * per-example gradients randomly projected (one R-forward pass per row of
 * the projection, so no per-example gradient is formed).
 */
#ifndef OUTLIER_H
#define OUTLIER_H

#include <stddef.h>
#include <stdint.h>

#include "../nn/data.h"
#include "../nn/engine.h"
#include "../nn/nn.h"

/* the batch of the forward pass: the engine is made for it */
#define OUTLIER_BATCH 256

typedef struct outlier_opts {
	int method;             /* DET_* */
	int all;                /* every parameter's gradient, projected to dim */
	int dim;
	int trees, psi;         /* the isolation forest: trees, rows per tree */
	uint64_t seed;          /* the forest's and the projection's */
	int quiet;              /* no progress on stderr */
} outlier_opts;

/* score[0..d->n) (the caller's) of every example of d for net at theta,
 * state (host vectors) on eng (made for OUTLIER_BATCH); returns the sum of
 * the examples' losses. An isolation forest sets o->psi to the rows per
 * tree it used. Exits with a message on an internal inconsistency. */
double outlier_score(double *score, engine *eng, const nn_net *net, const data *d,
		     const real *theta, const real *state, outlier_opts *o);

#endif
