/*
 * predictions.h — predictions streams (formats/predictions.md): what a
 * network predicts for each example, written by cnn-eval --predictions,
 * read record by record by ds-sheet and whole, every record checked, by
 * label-issues (confident learning); and the sample kind a stream records:
 * whether the network that predicted an example had trained on it.
 *
 *   w = predictions_writer_open(f, name, &hdr);
 *   predictions_write(w, id, y, pred, loss, p, K);   ... one per example
 *   rec_writer_close(w);
 *
 *   predictions_reader pr;                          ds-sheet: a few fields
 *   predictions_open(&pr, path);
 *   while (predictions_next(&pr, &id, &pred, &ppred)) ...
 *   predictions_close(&pr);
 *
 *   predictions_set ps;                             label-issues: all of it
 *   predictions_load(&ps, f, name);  ...  predictions_free(&ps);
 *
 * cnn-eval writes one part per evaluation; `cat` of the K held-out folds'
 * predictions of a cross-validation is one stream of K parts, which
 * predictions_load takes whole: every record checked (an id once over all
 * the parts, its label below `classes`, its probabilities finite, in
 * [0, 1] and summing to 1), the parts' `classes` equal (binding) and their
 * sample kinds joined into one.
 */
#ifndef PREDICTIONS_H
#define PREDICTIONS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "idset.h"
#include "rec.h"
#include "trace.h"

/* ------------------------------------------------------------ sample kind */

/* the header key `sample` */
enum { PREDICTIONS_UNKNOWN, PREDICTIONS_IN, PREDICTIONS_OUT, PREDICTIONS_MIXED };
/* "unknown", "in", "out", "mixed" */
const char *predictions_sample_name(int sample);
/* PREDICTIONS_* of a name of n bytes, or -1 */
int predictions_sample_parse(const char *s, size_t n);
/* the kind of the union of two sets of predictions: the same kind stays,
 * unknown with anything is unknown, any other two are mixed */
int predictions_sample_join(int a, int b);

/* The sample kind of predicting the n examples ids id[0..n) (digest: the
 * dataset's train_digest-style digest) with the network of trace header
 * th. trained: ids the network trained on; complete: 1 when that is every
 * example it trained on. *hits (may be NULL) gets how many of the n are in
 * trained. in: the dataset is the training set (count and digest), or
 * every example is in trained; else, with complete: out when none is,
 * mixed when some are; else unknown. */
int predictions_sample_of(const trace_header *th, const idset *trained, int complete,
			  const uint64_t *id, size_t n, uint32_t digest, uint64_t *hits);
/* cnn-eval's: predictions_sample_of with trained and complete as
 * predictions_trace_final found them, or, when train_path is given (not
 * NULL), with the ids of that dataset, exactly (predictions_train_ids:
 * trained is emptied and refilled; exits unless it is th's training set) */
int predictions_sample(const trace_header *th, idset *trained, int complete,
		       const char *train_path, const uint64_t *id, size_t n, uint32_t digest);

/* θ_T and the running statistics of the trace at path ("-" or NULL:
 * stdin), as trace_read_final reads them (*theta, *state allocated; *th
 * the caller's, trace_header_free), and the examples it trained on as far
 * as its step records say: their ids into `trained` (the caller's,
 * initialised), less the --skip ids left out from epoch 0. Returns 1 when
 * they are every training example (the traced epochs named train_n ids,
 * the skipped ones counted). Exits with "NAME: no final parameters in the
 * trace" when there is no final theta record. */
int predictions_trace_final(const char *path, trace_header *th, float **theta, float **state,
			    idset *trained);
/* the ids of the dataset at path ("-": stdin) into `trained`; exits with a
 * message unless it is the training set of th (count and digest) */
void predictions_train_ids(idset *trained, const char *path, const trace_header *th);

/* ------------------------------------------------------------------ writer */

/* what a predictions header says (formats/predictions.md), in this order */
typedef struct predictions_header {
	int K;                  /* classes */
	int sample;             /* PREDICTIONS_* */
	const char *net;
	uint64_t train_n;       /* the trace's training set */
	uint32_t train_digest;
	uint64_t data_n;        /* the dataset evaluated */
	uint32_t data_digest;
} predictions_header;

/* a predictions stream on f (the caller's; name for messages), header h
 * written; close with rec_writer_close */
rec_writer *predictions_writer_open(FILE *f, const char *name, const predictions_header *h);
/* one example's record: p its K probabilities */
void predictions_write(rec_writer *w, uint64_t id, int y, int pred, double loss, const float *p,
		       int K);

/* ---------------------------------------------------- reader, a record a time */

typedef struct predictions_reader {
	FILE *f;
	rec_reader *r;
	const char *path;
} predictions_reader;

/* path's stream (formats/predictions.md), its header checked; exits with a
 * message on failure */
void predictions_open(predictions_reader *pr, const char *path);
/* the next record's id, predicted class and that class's probability: 1,
 * or 0 at the end; exits with "PATH: record N: want id, pred and p" on a
 * record without them */
int predictions_next(predictions_reader *pr, uint64_t *id, uint64_t *pred, float *ppred);
void predictions_close(predictions_reader *pr);

/* ------------------------------------------------- reader, the whole stream */

/* |Σ_k p_k − 1| above this (the sum in double of the f32 values) is not
 * a probability vector: softmax in f32 over K ≤ 1000 classes errs by
 * under 1e-4 */
#define PREDICTIONS_SUM_TOL 1e-3

typedef struct predictions_set {
	size_t n;
	int K;                  /* classes */
	uint64_t *id;           /* (n) in stream order, parts one after the other */
	uint32_t *y;            /* (n) */
	float *p;               /* (n, K) */
	int sample;             /* PREDICTIONS_*, joined over the parts */
	uint64_t parts;
	/* the first part's keys, when it has them (has_* 0 otherwise) */
	char *net;              /* NULL when absent */
	int has_data;           /* data_n, data_digest: the dataset evaluated */
	uint64_t data_n;
	uint32_t data_digest;
} predictions_set;

/* read a whole predictions stream (every part) from f (the caller's, not
 * closed); exits with a message naming `name` on bad input. Free with
 * predictions_free. */
void predictions_load(predictions_set *s, FILE *f, const char *name);
void predictions_free(predictions_set *s);

#endif
