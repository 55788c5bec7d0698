/*
 * preds.h — predictions streams (formats/predictions.md) read back, and
 * the sample kind they record: whether the network that predicted an
 * example had trained on it.
 *
 * cnn-eval writes one part per evaluation; `cat` of the K held-out folds'
 * predictions of a cross-validation is one stream of K parts, which
 * preds_load takes whole: every record checked (an id once over all the
 * parts, its label below `classes`, its probabilities finite, in [0, 1] and
 * summing to 1), the parts' `classes` equal (binding) and their sample
 * kinds joined into one.
 */
#ifndef PREDS_H
#define PREDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "idset.h"
#include "trace.h"

/* the header key `sample` */
enum { PREDS_UNKNOWN, PREDS_IN, PREDS_OUT, PREDS_MIXED };
/* "unknown", "in", "out", "mixed" */
const char *preds_sample_name(int sample);
/* PREDS_* of a name of n bytes, or -1 */
int preds_sample_parse(const char *s, size_t n);
/* the kind of the union of two sets of predictions: the same kind stays,
 * unknown with anything is unknown, any other two are mixed */
int preds_sample_join(int a, int b);

/* The sample kind of predicting the n examples ids id[0..n) (digest: the
 * dataset's train_digest-style digest) with the network of trace header
 * th. trained: ids the network trained on; complete: 1 when that is every
 * example it trained on. *hits (may be NULL) gets how many of the n are in
 * trained. in: the dataset is the training set (count and digest), or
 * every example is in trained; else, with complete: out when none is,
 * mixed when some are; else unknown. */
int preds_sample_of(const trace_header *th, const idset *trained, int complete,
		    const uint64_t *id, size_t n, uint32_t digest, uint64_t *hits);

/* θ_T and the running statistics of the trace at path ("-" or NULL:
 * stdin), as trace_read_final reads them, and the examples it trained on
 * as far as its step records say: their ids into `trained` (the caller's,
 * initialised), less the --skip ids left out from epoch 0. Returns 1 when
 * they are every training example (the traced epochs named train_n ids,
 * the skipped ones counted). Exits with "NAME: no final parameters in the
 * trace" when there is no final theta record. */
int preds_trace_final(const char *path, trace_header *th, float **theta, float **state,
		      idset *trained);
/* the ids of the dataset at path ("-": stdin) into `trained`; exits with a
 * message unless it is the training set of th (count and digest) */
void preds_train_ids(idset *trained, const char *path, const trace_header *th);

/* |Σ_k p_k − 1| above this (the sum in double of the f32 values) is not
 * a probability vector: softmax in f32 over K ≤ 1000 classes errs by
 * under 1e-4 */
#define PREDS_SUM_TOL 1e-3

typedef struct pred_set {
	size_t n;
	int K;                  /* classes */
	uint64_t *id;           /* (n) in stream order, parts one after the other */
	uint32_t *y;            /* (n) */
	float *p;               /* (n, K) */
	int sample;             /* PREDS_*, joined over the parts */
	uint64_t parts;
	/* the first part's keys, when it has them (has_* 0 otherwise) */
	char *net;              /* NULL when absent */
	int has_data;           /* data_n, data_digest: the dataset evaluated */
	uint64_t data_n;
	uint32_t data_digest;
} pred_set;

/* read a whole predictions stream (every part); exits with a message
 * naming `name` on bad input */
void preds_load(pred_set *s, FILE *f, const char *name);
void preds_free(pred_set *s);

#endif
