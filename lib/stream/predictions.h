/*
 * predictions.h — predictions streams (formats/predictions.md): what a
 * network predicts for each example, written by cnn-eval --predictions,
 * read by ds-sheet (and by anything that judges labels from predictions,
 * such as confident learning).
 *
 *   w = predictions_writer_open(f, name, K);
 *   predictions_write(w, id, y, pred, loss, p, K);   ... one per example
 *   rec_writer_close(w);
 *
 *   predictions_reader pr;
 *   predictions_open(&pr, path);
 *   while (predictions_next(&pr, &id, &pred, &ppred)) ...
 *   predictions_close(&pr);
 */
#ifndef PREDICTIONS_H
#define PREDICTIONS_H

#include <stdint.h>
#include <stdio.h>

#include "rec.h"

/* a predictions stream of K classes on f (the caller's; name for
 * messages), its header written; close with rec_writer_close */
rec_writer *predictions_writer_open(FILE *f, const char *name, int K);
/* one example's record: p its K probabilities */
void predictions_write(rec_writer *w, uint64_t id, int y, int pred, double loss, const float *p,
		       int K);

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

#endif
