/*
 * data.h — a dataset in memory as the network sees it: float pixels
 * (u8 / 255), zero-padded and centred to the network's input shape, with
 * labels and ids; the training set's digest; and the seeded augmentation
 * (random crop with padding, horizontal flip) drawn from a counter-based
 * RNG keyed on (seed, epoch, id), so any augmented image can be regenerated
 * from its key alone.
 */
#ifndef DATA_H
#define DATA_H

#include <stdint.h>

#include "../stream/ds.h"
#include "../stream/trace.h"
#include "nn.h"

typedef struct data {
	size_t n;
	int c, h, w;            /* network input shape */
	int data_shape[3];      /* the dataset's own shape */
	int classes;
	size_t dim;             /* c·h·w */
	real *x;                /* n × dim */
	int *y;
	uint64_t *id;
	uint32_t digest;
} data;

/* load a dataset stream for a network input of (c, h, w); exits with a
 * message if the examples do not fit */
void data_load(data *d, FILE *f, const char *name, int c, int h, int w);
/* the same from a set already in memory (not modified) */
void data_from_set(data *d, const ds_set *s, const char *name, int c, int h, int w);
void data_free(data *d);
/* load path ("-": stdin) as the network of trace header th sees it, and
 * exit with "name: <what>examples [..] with K classes; the network was
 * trained on [..] with K" if its shape or classes differ */
void data_load_for(data *d, const char *path, const trace_header *th, const char *what);
/* exit with "name: not the training set of run (...)" unless d is the
 * training set th was trained on (its count and digest) */
void data_check_trained(const data *d, const trace_header *th, const char *name,
			const char *run);
/* net as trace header th names it; exits with "run: <why>" if the spec is
 * bad or its parameter and state counts are not the stream's */
void data_net_init(nn_net *net, const trace_header *th, const char *run);

typedef struct augment {
	int crop;               /* padding of the random crop, 0 = none */
	int flip;
} augment;

/* parse "none", "crop:P", "flip", "crop:P,flip"; 0 ok, -1 bad */
int augment_parse(augment *a, const char *s);
/* how example i of d is seen in epoch e: shifted by (dy, dx), then
 * mirrored if flip; one draw per (seed, epoch, id) */
typedef struct aug_draw {
	signed char dy, dx, flip;
} aug_draw;
aug_draw augment_draw(const augment *a, const data *d, size_t i, uint64_t seed, int epoch);
/* out = example i as dr says (the GPU's gather kernel computes the same) */
void augment_copy(const data *d, size_t i, aug_draw dr, real *out);
/* out = example i of d as seen in epoch e (a copy when no augmentation) */
void augment_apply(const augment *a, const data *d, size_t i, uint64_t seed,
		   int epoch, real *out);

#endif
