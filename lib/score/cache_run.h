/*
 * cache_run.h — a cache (cache.h) as inf-score runs it: loaded with the
 * training and validation sets as its network saw them, the run's network,
 * augmentation and skipped ids checked against its header, and the u-walk
 * over its traced steps (influence.h). Apart from cache.c so that the
 * cache's reader, which its fuzz harness links alone, does not bring the
 * engine with it.
 */
#ifndef CACHE_RUN_H
#define CACHE_RUN_H

#include "../nn/data.h"
#include "../nn/nn.h"
#include "../stream/idset.h"
#include "../stream/scores.h"
#include "cache.h"
#include "influence.h"

/* the cache at path (NULL or "-": stdin; name for messages) with the
 * training set (train_path) and the validation set (val_path) as its
 * network saw them: cache_open, the data, cache_read. Exits with a
 * message on failure. */
void cache_run_load(cache *c, data *train, data *val, const char *path, const char *name,
		    const char *train_path, const char *val_path);
/* the network, augmentation and skipped ids (skip: idset_free) of the run
 * c's header describes; exits with a message naming the cache when the
 * network is not the one the cache was made of, or for a --skip-from run */
void cache_run_setup(nn_net *net, augment *aug, idset *skip, const cache *c);
/* the u-walk of inf-score's sgd and sgd-last methods (influence_walk_ex)
 * over c's traced steps: θ_t from c's spool or checkpoints (each), or θ_T
 * (thT, an engine vector) at every step; the stability probed first into
 * st (NULL: not probed), and the flow sub-steps taken from the probe when
 * flow_steps is 0. Returns the seconds the walk itself took. */
double cache_run_walk(double *score, real *u, const influence *in, const cache *c,
		      const real *thT, int each, int curv, int ref, int flow_steps,
		      scores_stability *st);

#endif
