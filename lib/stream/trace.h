/*
 * trace.h — training traces (formats/trace.md) and the caches made of them
 * (formats/cache.md): the header as a struct, and every body record — step,
 * theta (with the every-step cache's XOR codec) and metric — written by
 * trace_writer and read back, every field checked, by trace_reader. This is
 * the only code that packs or parses those records: cnn-train writes traces,
 * theta-cache reads traces and writes caches, cnn-eval reads traces and
 * inf-score (through lib/score/cache.c) reads caches.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdint.h>

#include "../../formats/formats.h"
#include "rec.h"

typedef struct trace_header {
	char *net;
	int input[3], data_shape[3];
	int classes;
	uint64_t nparams, nstate;
	double lr, lr_decay, momentum, weight_decay;
	int batch, epochs;
	uint64_t seed;
	char *augment;
	uint64_t train_n;
	uint32_t train_digest;
	int *trace_epochs;
	int ntrace;
	char *snapshots;
	uint64_t *skip;
	size_t nskip;
	int skip_from;          /* skip applies from this epoch on (0: every epoch) */
	int schedule;           /* TRACE_SCHED_*: how η changes over the steps */
	double lr_min;          /* linear and cosine decay to this floor */
	long warmup;            /* steps of linear warm-up */
	int drop_last;          /* each epoch drops its partial last batch */
} trace_header;

/* learning-rate schedules (formats/trace.md): constant, the per-epoch
 * `lr_decay` of step, or a decay to lr_min over all the steps after the
 * warm-up, linear or by a half cosine */
enum { TRACE_SCHED_CONST, TRACE_SCHED_STEP, TRACE_SCHED_LINEAR, TRACE_SCHED_COSINE };
/* TRACE_SCHED_* of a name, or -1 */
int trace_schedule_parse(const char *name);
const char *trace_schedule_name(int schedule);
/* the steps of an epoch: ⌈train_n / batch⌉, or ⌊train_n / batch⌋ with
 * drop_last (at least 1: cnn-train refuses fewer examples than a batch) */
uint64_t trace_steps_per_epoch(const trace_header *h);
/* η_s of step s (0-based over the whole run) as cnn-train computes it: the
 * schedule's value, times (s+1)/warmup during the warm-up */
double trace_lr_at(const trace_header *h, long s);

/* parse r's header; exits with a message naming `name` if anything is off
 * (trace_reader_open calls it; the header is written by trace_writer_open) */
void trace_header_read(trace_header *h, const rec_reader *r, const char *name);
void trace_header_free(trace_header *h);
/* 1 if epoch e is traced */
int trace_has_epoch(const trace_header *h, int e);

/* ------------------------------------------------------------ records */

enum { TRACE_REC_STEP = 1, TRACE_REC_THETA, TRACE_REC_METRIC };
/* where a theta record sits: the start of a traced epoch, before a step
 * (θ_s), or after the last step (θ_T) */
enum { TRACE_AT_EPOCH, TRACE_AT_STEP, TRACE_AT_FINAL };
/* how a cache stores a theta record's parameters: raw f32, or XORed with
 * the previous XOR record's bit patterns and byte-shuffled (lossless) */
enum { TRACE_ENC_RAW, TRACE_ENC_XOR };

typedef struct trace_step {
	int epoch;
	long step;
	double lr;              /* η_s */
	int n;                  /* |S_s|: the divisor, the batch before any skip */
	uint64_t *ids;          /* (n) the batch's ids, in order */
} trace_step;

typedef struct trace_theta {
	int at;                 /* TRACE_AT_* */
	int epoch;
	long step;
	float *theta;           /* (nparams) */
	float *state;           /* (nstate) batch-norm running statistics */
} trace_theta;

typedef struct trace_metric {
	int epoch;
	double loss, acc;
} trace_metric;

/* the XOR codec's state: the bit patterns of the previous XOR record */
typedef struct trace_xor {
	unsigned char *prev;    /* (nparams × 4), zeros before the first */
	size_t nparams;
} trace_xor;

void trace_xor_init(trace_xor *x, size_t nparams);
void trace_xor_free(trace_xor *x);
/* out (nparams × 4 bytes) = theta XOR prev, byte-shuffled; prev = theta */
void trace_xor_encode(trace_xor *x, unsigned char *out, const float *theta);
/* the inverse: theta = unshuffled in XOR prev; prev = theta */
void trace_xor_decode(trace_xor *x, float *theta, const unsigned char *in);

typedef struct trace_writer {
	rec_writer *w;
	int cache;              /* theta records carry "enc" */
	size_t nparams, nstate;
	trace_xor x;
	unsigned char *enc;     /* (nparams × 4) one encoded record */
} trace_writer;

/* write the header of a trace to f (the caller's, not closed; name for
 * messages); a write error exits with a message, as rec_writer does */
void trace_writer_open(trace_writer *tw, FILE *f, const char *name, const trace_header *h);
/* the header of a cache: the trace's keys, then policy, kept, theta_bytes */
void trace_writer_open_cache(trace_writer *tw, FILE *f, const char *name,
			     const trace_header *h, const char *policy, uint64_t kept,
			     uint64_t theta_bytes);
void trace_write_step(trace_writer *tw, const trace_step *s);
/* enc (TRACE_ENC_*) is for a cache; a trace's parameters are always raw */
void trace_write_theta(trace_writer *tw, const trace_theta *t, int enc);
void trace_write_metric(trace_writer *tw, const trace_metric *m);
/* trailer, end of frame, flush; returns the compressed bytes written */
uint64_t trace_writer_close(trace_writer *tw);

typedef struct trace_reader {
	rec_reader *r;
	const char *name;
	int cache;
	trace_header h;
	char *policy;           /* a cache's */
	/* the record the last trace_reader_next returned: its pointers are
	 * the reader's, valid until the next call */
	trace_step step;
	trace_theta theta;
	trace_metric metric;
	size_t capids;
	uint64_t *sorted;       /* (capids) a step's ids, sorted: no id twice */
	uint64_t nsteps;        /* step records read so far */
	trace_xor x;
} trace_reader;

/* open a stream of kind FMT_KIND_TRACE or FMT_KIND_CACHE from f (the
 * caller's, not closed) and read its header; exits with a message naming
 * `name` on any error */
void trace_reader_open(trace_reader *tr, FILE *f, const char *name, const char *kind);
/* the next record: TRACE_REC_* with tr->step, theta or metric filled, or 0
 * at the end of the stream (trailer verified). Records of other types are
 * skipped. Exits with a message on a bad or truncated stream, a malformed
 * record, parameters of the wrong size or NaN or infinity in them. */
int trace_reader_next(trace_reader *tr);
void trace_reader_close(trace_reader *tr);

/* θ_T and the running statistics (the final theta record) of the stream of
 * kind `kind` at path ("-" or NULL: stdin), read to its end; *theta and
 * *state are allocated, *th is the caller's to free with
 * trace_header_free. on_step (NULL: none) is called with the reader on
 * each step record (tr->h, tr->step), with arg. Exits with "NAME: missing"
 * when there is no final theta record. */
void trace_read_final(const char *path, const char *kind, const char *missing,
		      void (*on_step)(const trace_reader *tr, void *arg), void *arg,
		      trace_header *th, float **theta, float **state);

#endif
