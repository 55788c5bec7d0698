/*
 * train.h — cnn-train's run: SGD (sgd.h) over the epochs of a trace
 * header's schedule, each epoch's batches in a seeded order, writing the
 * trace (formats/trace.md) as it goes: the traced epochs' snapshots and
 * steps, each epoch's metrics, and θ_T. Deterministic: the same data,
 * header and seed give the same bytes on any thread count. With
 * train_dynamics, each step's forward pass as it saw its batch goes to a
 * dynamics stream (stream/dynamics.h) as well, and the trace is the same
 * bytes.
 *
 *   train_data(&d, path, name, th.net);   the training set
 *   train_header(&th, &net, &d);          the header's network and data keys
 *   train_init(&t, &th, &net, &d, ...);   θ initialised on an engine
 *   ... trace_writer_open(&tw, f, name, &th) ...
 *   [w = train_dynamics(&t, f2, name2, K, fake, seed);]
 *   for (e = 0; e < th.epochs; e++) train_epoch(&t, &tw, e, &st);
 *   train_final(&t, &tw);                 θ_T
 *   [rec_writer_close(w);]
 *   train_free(&t);
 */
#ifndef TRAIN_H
#define TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "../stream/dynamics.h"
#include "../stream/ids.h"
#include "../stream/idset.h"
#include "../stream/trace.h"
#include "data.h"
#include "engine.h"
#include "nn.h"
#include "sgd.h"

typedef struct trainer {
	const trace_header *th;
	const nn_net *net;
	const data *d;
	const idset *skip;      /* the examples left out from th->skip_from on */
	int every;              /* a snapshot every `every` steps of a traced epoch (0: none) */
	int quiet;              /* no progress on stderr */
	engine *eng;
	real *theta, *state;    /* engine vectors */
	real *hbuf;             /* nparams + nstate host values */
	sgd sg;
	uint32_t *perm;         /* (n) the epoch's order */
	size_t *bidx;           /* (batch) a step's rows */
	uint64_t *sids;         /* (batch) a traced step's ids */
	long step;              /* steps taken */
	int epoch;              /* the epoch train_epoch is in */
	/* train_dynamics: the stream, a batch's worth of its record and one
	 * example's logits (outputs); dyn NULL: none */
	rec_writer *dyn;
	dyn_step dst;
	float *z;
} trainer;

/* what one epoch did */
typedef struct train_stats {
	double loss, acc;       /* the kept examples' mean loss and accuracy */
	size_t seen;            /* examples kept */
	double secs;            /* wall seconds */
} train_stats;

/* the training set at path (NULL or "-": stdin; name for messages), each
 * example padded to the input of the network spec `net` (nn_input_shape);
 * exits with "NAME: no training examples" when it has none */
void train_data(data *d, const char *path, const char *name, const char *net);
/* --aum-fake: n examples of d, drawn by seed, trained as a fake class of
 * their own, K = d->classes (Pleiss et al. 2020: their margins set AUM's
 * threshold), and d->classes K + 1; the digest stays the dataset's. Exits
 * with a usage message naming `name` unless n is below d's count, and
 * with "NAME: K classes: no room for a fake one" at the most classes. */
void train_aum_fake(data *d, uint64_t n, uint64_t seed, const char *name);
/* th's network and data keys (input, data_shape, classes, nparams, nstate,
 * train_digest) from net and d; train_n, which the schedule needs before
 * the network is made, is the caller's */
void train_header(trace_header *th, const nn_net *net, const data *d);
/* --skip: the ids at path (an ids stream or text) into ids (ids_free) and
 * skip (idset_free, initialised here; path NULL: both empty); exits with
 * "--skip: id N is not in the training set" for one that is not in d */
void train_skip(id_list *ids, idset *skip, const char *path, const data *d);
/* a run of th over d on a new engine (device: DEV_*), θ and the state
 * initialised from th->seed; skip (may be NULL) left out from
 * th->skip_from on. th, net, d and skip outlive t. */
void train_init(trainer *t, const trace_header *th, const nn_net *net, const data *d,
		const augment *aug, const idset *skip, int every, int device, int quiet);
/* --dynamics: a dynamics stream on f (the caller's; name for messages)
 * whose header says t's run (K the dataset's classes; aum_fake > 0: that
 * many examples of the fake class K, drawn by aum_seed), then from the
 * next step on one record a step: the margins, losses and hits of its
 * batch from the step's own forward pass (sgd's seen hook: no second
 * pass). Returns the writer, the caller's to rec_writer_close after the
 * last epoch. */
rec_writer *train_dynamics(trainer *t, FILE *f, const char *name, int K, uint64_t aum_fake,
			   uint64_t aum_seed);
/* epoch e into tw and st; exits with "training diverged at epoch E step S
 * (loss not finite); lower --lr" when the loss is not finite */
void train_epoch(trainer *t, trace_writer *tw, int e, train_stats *st);
/* θ_T into tw */
void train_final(trainer *t, trace_writer *tw);
void train_free(trainer *t);

#endif
