/*
 * progress.h — progress of a long loop on stderr, for every program that
 * can run for more than a few seconds (cnn-train, inf-score, grad-outlier,
 * theta-cache, the counterfactual).
 *
 * On a terminal: one line, rewritten in place at most 4 times a second,
 * with the count, the rate and the time left; erased when the loop ends.
 * Otherwise (a log file, a pipe, make): a plain line "prog: what: 30/100
 * steps (30%), 12.5/s, 6 s left" every 10 seconds, the first after 10
 * seconds, so short runs print nothing. With quiet (-q): nothing.
 * CLEANSE_PROGRESS_INTERVAL=S sets the interval of the plain lines (0:
 * one per update, for tests that must see them without waiting).
 *
 *   progress pg;
 *   progress_begin(&pg, "sgd-last", T, "steps", quiet);
 *   for (...) { ...; progress_set(&pg, done, NULL); }
 *   progress_end(&pg);
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct progress {
	const char *what, *unit;        /* static strings, the caller's */
	uint64_t total, done;           /* total 0: unknown */
	double t0, last;                /* start, last line (seconds) */
	double interval;                /* seconds between lines */
	int mode;                       /* PROGRESS_OFF, _TTY, _PLAIN */
	int shown;                      /* a terminal line is on screen */
} progress;

enum { PROGRESS_OFF, PROGRESS_TTY, PROGRESS_PLAIN };

void progress_begin(progress *p, const char *what, uint64_t total, const char *unit,
		    int quiet);
/* done of total are finished; extra (may be NULL) is appended, e.g. "loss 0.31" */
void progress_set(progress *p, uint64_t done, const char *extra);
/* erase the terminal line */
void progress_end(progress *p);

#ifdef __cplusplus
}
#endif

/* seconds on the monotonic clock */
double progress_now(void);

#endif
