/*
 * dynamics.h — training-dynamics streams (formats/dynamics.md): what each
 * training step's forward pass saw of each example of its batch — the
 * margin of its logits, its loss and whether it was classified right —
 * written by cnn-train --dynamics, one record per step, and read back,
 * every field checked, by dyn-score (AUM, forgetting events, mean loss).
 */
#ifndef DYNAMICS_H
#define DYNAMICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rec.h"

typedef struct dyn_header {
	char *net;
	int classes;            /* the dataset's classes K */
	int outputs;            /* the network's outputs: K, or K + 1 with a fake class */
	int fake;               /* 1: class K is the fake class of --aum-fake */
	uint64_t aum_fake;      /* examples assigned to it */
	uint64_t aum_seed;
	uint64_t train_n;
	uint32_t train_digest;  /* of the dataset as read, before the fake labels */
	int epochs, batch;
	uint64_t steps_per_epoch;
	uint64_t seed;
} dyn_header;

void dyn_header_free(dyn_header *h);

/* one step: B examples with their ids, the labels trained on (the fake
 * class for a fake example), margins z_y − max_{k≠y} z_k, losses and hits
 * (1: the arg max of the logits, the lowest on a tie, is y) */
typedef struct dyn_step {
	int epoch;
	long step;
	int n;
	uint64_t *ids;
	uint32_t *y;
	float *margin, *loss;
	unsigned char *hit;
} dyn_step;

/* the margin and hit of logits z (K of them) for label y, as a record
 * holds them: the margin in double, rounded to f32 when written; one
 * output alone: margin 0, hit */
void dyn_margin(const float *z, int K, int y, double *margin, int *hit);

/* ------------------------------------------------------------------ writer */

/* header to f (the caller's; name for messages); write errors exit */
rec_writer *dyn_writer_open(FILE *f, const char *name, const dyn_header *h);
void dyn_write_step(rec_writer *w, const dyn_step *s);

/* ------------------------------------------------------------------ reader */

typedef struct dyn_reader {
	rec_reader *r;
	const char *name;
	dyn_header h;
	dyn_step step;          /* the last record: the reader's arrays */
	size_t cap;
	long last_step;         /* -1 before the first */
	int last_epoch;
} dyn_reader;

/* open and check the header; exits with a message naming `name` on error */
void dyn_reader_open(dyn_reader *d, FILE *f, const char *name);
/* the next step into d->step: 1, or 0 at the end (trailer verified); exits
 * with a message on a bad record: arrays of different lengths, an id twice
 * in a step, a label not below outputs, a margin or loss not finite, a hit
 * not 0 or 1 or at odds with its margin, steps not increasing */
int dyn_reader_next(dyn_reader *d);
void dyn_reader_close(dyn_reader *d);

#endif
