/*
 * scores.h — scores streams (formats/scores.md): write one (inf-score), load
 * one into memory with every record checked, and order examples most
 * negative first.
 */
#ifndef SCORES_H
#define SCORES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct score_set {
	size_t n;
	uint64_t *id;
	uint32_t *y;
	double *score;
	char *method;
	uint32_t train_digest;
	uint64_t train_n;       /* the header's train_n: the training set's size */
	/* the optional per-record keys (formats/scores.md): flag, 0 or 1
	 * (has_flag: some record has the key), and suggest, the suggested
	 * label (-1 where absent) */
	unsigned char *flag;
	int has_flag;
	int32_t *suggest;
	int64_t flagged;        /* the header's flagged count, -1 when absent */
} score_set;

/* exits with a message naming `name` on bad input (NaN scores, duplicate
 * ids, a flag that is not a bool, a suggested label out of range) */
void scores_load(score_set *s, FILE *f, const char *name);
void scores_free(score_set *s);
/* one more header key: a number, u64 or f64 */
typedef struct scores_kv {
	const char *key;
	int f64;                /* 1: f, 0: u */
	uint64_t u;
	double f;
} scores_kv;

/* how stable a u-walk was (formats/scores.md, header key "stability") */
typedef struct scores_stability {
	double lambda;          /* top eigenvalue (largest |λ|, sign kept) of the
				 * probed traced batches' Hessians at θ_T */
	double lambda_t;        /* sgd: the largest at θ_t of the probed steps */
	double eta_lambda;      /* a·max|λ| over what was probed, a the walk's
				 * step: η (--ref-u-scale: η/|S|) */
	int probes, hvps;       /* batches probed, HVPs spent on them */
	double u_growth;        /* ‖u‖ at the end of the walk / at its start */
	double u_step_max;      /* the largest growth of ‖u‖ over one step */
	int flow_steps;         /* sub-steps per step (1: the papers' update) */
} scores_stability;

/* what a scores header says besides n */
typedef struct scores_meta {
	const char *method, *net;
	uint64_t train_n;
	uint32_t train_digest;
	/* inf-score's; a writer without a validation set (grad-outlier) sets
	 * no_val and leaves val_n, val_loss and ref_u_scale out of the header */
	uint64_t val_n;
	double val_loss;
	int ref_u_scale;
	const scores_stability *stability;      /* NULL: not a u-walk */
	int no_val;
	/* nkv more keys, packed after the others (kv may be NULL when 0) */
	size_t nkv;
	const scores_kv *kv;
} scores_meta;

/* write the scores of examples 0..n) with want[i] (want NULL: all), in that
 * order, to f (the caller's; name for messages): a header saying m, then
 * {id, y, score} records; returns how many. Exits with a message if a
 * score is not finite. */
size_t scores_write(FILE *f, const char *name, const scores_meta *m, size_t n,
		  const uint64_t *id, const int *y, const double *score,
		  const unsigned char *want);
/* ord[0..n) = 0..n-1 sorted by ascending score, ties by ascending id */
void scores_order(size_t *ord, size_t n, const double *score, const uint64_t *id);
/* the k-th most negative of score[0..n) (1 ≤ k ≤ n), in scores_order's
 * order: the threshold of flagging the k most negative */
double scores_kth(const double *score, const uint64_t *id, size_t n, uint64_t k);

#endif
