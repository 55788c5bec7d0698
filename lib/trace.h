/*
 * trace.h — training traces (formats/trace.md): the header as a struct,
 * writing it, and reading it back with every field checked.
 */
#ifndef TRACE_H
#define TRACE_H

#include <stdint.h>

#include "../formats/formats.h"
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
} trace_header;

/* write the header of a trace, or (kind "cache") the same keys plus nextra
 * more that the caller packs before rec_writer_begin */
void trace_header_write(rec_writer *w, const trace_header *h);
void trace_header_write_as(rec_writer *w, const trace_header *h, const char *kind,
			   unsigned version, size_t nextra);
/* parse r's header; exits with a message naming `name` if anything is off */
void trace_header_read(trace_header *h, const rec_reader *r, const char *name);
void trace_header_free(trace_header *h);
/* 1 if epoch e is traced */
int trace_has_epoch(const trace_header *h, int e);

#endif
