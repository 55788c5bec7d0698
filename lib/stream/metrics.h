/*
 * metrics.h — the evaluation record of cnn-eval (formats/metrics.md, what
 * "eval"): loss, accuracy, per-class accuracy, the confusion matrix, and,
 * for a network that was to forget a class, the accuracies on it and on
 * the rest and their F1.
 */
#ifndef METRICS_H
#define METRICS_H

#include <stdint.h>
#include <stdio.h>

typedef struct metrics_eval {
	const char *net, *dataset;      /* the header's */
	uint64_t n;                     /* examples */
	double loss, acc;               /* mean loss, accuracy */
	int K;                          /* classes */
	uint64_t *conf;                 /* (K, K): row the label, column the prediction */
	uint64_t cls;                   /* the class forgotten, or UINT64_MAX */
	double a_self, a_rest, f1;      /* with cls */
} metrics_eval;

/* the accuracy on the examples labelled y (0 without any) */
double metrics_class_acc(const metrics_eval *m, int y);
/* the examples labelled y */
uint64_t metrics_class_n(const metrics_eval *m, int y);
/* the header and the one record to f (the caller's; name for messages) */
void metrics_write_eval(FILE *f, const char *name, const metrics_eval *m);

#endif
