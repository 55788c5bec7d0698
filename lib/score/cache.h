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
#include "../nn/nn.h"
#include "../stream/idset.h"
#include "../stream/scores.h"
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

/* the cache at path (NULL or "-": stdin; name for messages) with the
 * training set (train_path) and the validation set (val_path) as its
 * network saw them: cache_open, the data, cache_read. Exits with a
 * message on failure. */
void cache_load(cache *c, data *train, data *val, const char *path, const char *name,
		const char *train_path, const char *val_path);
/* the network, augmentation and skipped ids (skip: idset_free) of the run
 * c's header describes; exits with a message naming the cache when the
 * network is not the one the cache was made of, or for a --skip-from run */
void cache_setup(nn_net *net, augment *aug, idset *skip, const cache *c);
/* the u-walk of inf-score's sgd and sgd-last methods (influence_walk_ex)
 * over c's traced steps: θ_t from c's spool or checkpoints (each), or θ_T
 * (thT, an engine vector) at every step; the stability probed first into
 * st (NULL: not probed), and the flow sub-steps taken from the probe when
 * flow_steps is 0. Returns the seconds the walk itself took. */
double cache_walk(double *score, real *u, const influence *in, const cache *c,
		  const real *thT, int each, int curv, int ref, int flow_steps,
		  scores_stability *st);

#endif
