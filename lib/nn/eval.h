/*
 * eval.h — cnn-eval's pass: a network at its final parameters over a
 * dataset in evaluation mode (batch-norm on its running statistics),
 * batched, on an engine: the loss, the accuracy and the confusion matrix
 * (stream/metrics.h), and a prediction per example (stream/predictions.h).
 */
#ifndef EVAL_H
#define EVAL_H

#include "../stream/metrics.h"
#include "../stream/rec.h"
#include "data.h"
#include "engine.h"
#include "nn.h"

/* the batch of the pass: the engine is made for it */
#define EVAL_BATCH 256

/* m's n, loss, acc, K and conf (allocated; the caller frees m->conf) for
 * net at theta, state (host vectors) over d on eng (made for EVAL_BATCH);
 * pw (may be NULL) gets one predictions record per example */
void eval_run(metrics_eval *m, engine *eng, const nn_net *net, const data *d, const real *theta,
	      const real *state, rec_writer *pw);
/* m's cls, a_self, a_rest and f1 for a network that was to forget class
 * cls: 0, or -1 when the data lack examples of the class or of others */
int eval_forget(metrics_eval *m, uint64_t cls);

#endif
