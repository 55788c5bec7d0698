/*
 * scores.h — scores streams (formats/scores.md): load one into memory with
 * every record checked, and order examples most negative first.
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
} score_set;

/* exits with a message naming `name` on bad input (NaN scores, duplicate ids) */
void scores_load(score_set *s, FILE *f, const char *name);
void scores_free(score_set *s);
/* ord[0..n) = 0..n-1 sorted by ascending score, ties by ascending id */
void scores_order(size_t *ord, size_t n, const double *score, const uint64_t *id);

#endif
