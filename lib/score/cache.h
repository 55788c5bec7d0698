/*
 * cache.h — a cache stream (formats/cache.md) loaded for inf-score: the
 * traced steps as rows of the training set, θ_T, and the snapshots at
 * traced steps — every one spooled to a temporary file (every-step, read
 * back in reverse by lib/score/influence.c) or a few checkpoints in memory (from
 * which lib/score/influence.c replays the rest). The records are read by
 * lib/stream/trace.c's reader.
 *
 *   cache_open(&c, f, name);     the header: c.tr.h
 *   ... load the data as c.tr.h says ...
 *   cache_read(&c, &train);      the records; f may be closed after
 *   cache_free(&c);
 */
#ifndef CACHE_H
#define CACHE_H

#include <stdio.h>

#include "../nn/data.h"
#include "../stream/trace.h"
#include "influence.h"

typedef struct cache {
	trace_reader tr;        /* tr.h: the header; tr.policy: the policy */
	infl_step *steps;       /* (nsteps) the traced steps, in order */
	size_t nsteps, capsteps;
	float *theta_T, *state_T;
	float *start_theta, *start_state;       /* the first snapshot; NULL if none */
	size_t nsnap;           /* snapshots before θ_T */
	long *snap_step;        /* (nsnap) the step each is before */
	float **snap_theta;     /* (nsnap) checkpoints (NULL for every-step) */
	FILE *spool;            /* every-step: θ of snapshot k at k·nparams floats */
} cache;

/* open the cache stream in f (the caller's; keep it open until cache_read
 * returns) and read its header; exits with a message naming `name` */
void cache_open(cache *c, FILE *f, const char *name);
/* read the records, mapping the steps' ids to rows of train (the data the
 * cache was made from, or exit); exits on a cache without traced steps,
 * final parameters, or (every-step) one snapshot per step */
void cache_read(cache *c, const data *train);
void cache_free(cache *c);

#endif
