/*
 * dyn_score.h — dyn-score's scores of training examples from the training
 * dynamics cnn-train --dynamics records (stream/dynamics.h,
 * formats/dynamics.md), with no second model and no validation set; the
 * most negative is the most suspect, as in every scores stream:
 *
 *   aum         the area under the margin (Pleiss et al., NeurIPS 2020):
 *               the mean over the example's presentations of its margin
 *               z_y − max_{k≠y} z_k; with fake examples in the run (the
 *               fake class of --aum-fake), the real examples below the
 *               given percentile of the fake examples' AUM are flagged
 *   forgetting  minus the forgetting events (Toneva et al., ICLR 2019):
 *               presentations at which an example classified right at its
 *               previous presentation is classified wrong; an example never
 *               classified right scores minus the most presentations of
 *               any, below every other
 *   mean-loss   minus the mean of its training losses
 *
 *   dyn_tally t;  dyn_tally_read(&t, &reader, name);
 *   dyn_scores r; dyn_score_run(&r, &t, DYN_AUM, 99);
 *   ... t.ex[i], r.score[i] for the examples with t.ex[i].y != t.fake ...
 *   dyn_scores_free(&r); dyn_tally_free(&t);
 */
#ifndef DYN_SCORE_H
#define DYN_SCORE_H

#include <stddef.h>
#include <stdint.h>

#include "../stream/dynamics.h"

enum { DYN_AUM, DYN_FORGETTING, DYN_MEAN_LOSS };
/* "aum", "forgetting", "mean-loss" → DYN_*, or -1; and back */
int dyn_score_parse(const char *name);
const char *dyn_score_name(int method);

/* what the presentations of one example add up to */
typedef struct dyn_example {
	uint64_t id;
	uint32_t y;             /* the label trained on (the fake class for a fake one) */
	uint64_t seen;          /* presentations */
	double margin, loss;    /* sums, in stream order */
	uint64_t forgot;        /* right at the previous presentation, wrong now */
	int last_hit;           /* -1 before the first */
	int learned;            /* right at least once */
} dyn_example;

typedef struct dyn_tally {
	size_t n;               /* examples seen, fake ones included */
	dyn_example *ex;        /* (n) in the order first seen */
	uint64_t steps;         /* step records */
	uint32_t fake;          /* the fake class, UINT32_MAX when the run has none */
} dyn_tally;

/* every step of the stream dr (open; name for messages) summed up per
 * example; exits with "NAME: step S: example id N trained as A, earlier as
 * B" when an example's label changes, and "NAME: N examples seen, the
 * header says M trained" when there are more than the header's train_n */
void dyn_tally_read(dyn_tally *t, dyn_reader *dr, const char *name);
void dyn_tally_free(dyn_tally *t);

typedef struct dyn_scores {
	double *score;          /* (n of the tally) each real example's score */
	size_t nreal, nfake;
	uint64_t never;         /* forgetting: real examples never classified right */
	int flags;              /* aum with fake examples: flag below threshold */
	double threshold;       /* the pct-th percentile of the fake examples' AUM */
	size_t flagged;         /* real examples scoring below it */
} dyn_scores;

/* the scores of method (DYN_*) over t; pct (0 to 100) the percentile of
 * the fake examples' AUM that sets aum's threshold, as numpy.percentile
 * computes it by default (linear) */
void dyn_score_run(dyn_scores *r, const dyn_tally *t, int method, double pct);
void dyn_scores_free(dyn_scores *r);

#endif
