/*
 * ds.h — dataset streams (formats/dataset.md): the header as a struct, a
 * validating reader (labels in range, payload sizes, finite floats, unique
 * ids), a writer, and an in-memory set for the tools that need the whole
 * dataset at once (ds-split, ds-noise).
 */
#ifndef DS_H
#define DS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "idset.h"
#include "rec.h"

enum { DS_U8, DS_F32 };

typedef struct ds_header {
	uint32_t c, h, w;       /* shape of one example */
	int dtype;              /* DS_U8 or DS_F32 */
	uint32_t classes;
	char **class_names;     /* classes entries, or NULL when unknown */
	char *source;           /* may be NULL */
	uint64_t n;             /* expected count, 0 when unknown */
} ds_header;

/* bytes of one example's x */
size_t ds_example_bytes(const ds_header *h);
const char *ds_dtype_name(int dtype);
/* deep copy / free of the owned strings */
void ds_header_copy(ds_header *dst, const ds_header *src);
void ds_header_free(ds_header *h);

typedef struct ds_example {
	uint64_t id;
	uint32_t y;
	unsigned char *x;       /* ds_example_bytes(h) bytes, owned by whoever filled it */
} ds_example;

/* The digest of a training set that traces, caches, scores and ids streams
 * record as train_digest: the CRC-32 of, for each example in stream order,
 * its id (8 bytes, little-endian), its label (4 bytes, little-endian) and
 * its x. Start from crc 0 and feed each example. */
uint32_t ds_digest_update(uint32_t crc, uint64_t id, uint32_t y, const unsigned char *x,
			  size_t xbytes);

/* ------------------------------------------------------------------ reader */

typedef struct ds_reader {
	rec_reader *r;
	ds_header h;
	size_t xbytes;
	idset seen;
	char *name;
} ds_reader;

/* open and validate the header; exits with a message on any error */
void ds_reader_open(ds_reader *d, FILE *f, const char *name);
/* fill ex (ex->x must hold xbytes); 1 example, 0 end; exits on error */
int ds_reader_next(ds_reader *d, ds_example *ex);
void ds_reader_close(ds_reader *d);

/* ------------------------------------------------------------------ writer */

typedef struct ds_writer {
	rec_writer *w;
	size_t xbytes;
} ds_writer;

/* h->n may be 0 (unknown) */
void ds_writer_open(ds_writer *d, FILE *f, const char *name, const ds_header *h);
void ds_writer_put(ds_writer *d, const ds_example *ex);
void ds_writer_close(ds_writer *d);

/* --------------------------------------------------------- in-memory set */

typedef struct ds_set {
	ds_header h;
	size_t xbytes;
	size_t n, cap;
	uint64_t *id;
	uint32_t *y;
	unsigned char *x;       /* n * xbytes */
} ds_set;

/* read a whole dataset stream into memory; exits on error */
void ds_set_load(ds_set *s, FILE *f, const char *name);
void ds_set_add(ds_set *s, uint64_t id, uint32_t y, const unsigned char *x);
void ds_set_free(ds_set *s);
/* write the examples i with pick[i] == want (all when pick is NULL) to path
 * ("-" or NULL: stdout), atomically: the file waits, finished, for the
 * caller's out_commit (util.h), which puts it in place with the run's
 * other outputs; exits on error */
void ds_set_write(const ds_set *s, const char *path, int force,
		  const unsigned char *pick, int want);

#endif
