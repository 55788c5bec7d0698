/*
 * ids.h — lists of example ids (formats/ids.md): read from an ids stream
 * or from plain text (one decimal id per line, '#' comments), told apart by
 * the zstd magic; and written as an ids stream.
 */
#ifndef IDS_H
#define IDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "rec.h"

typedef struct id_list {
	uint64_t *v;            /* in input order, duplicates dropped */
	size_t n, cap;
	/* from an ids stream's records, parallel to v, NULL when no record
	 * had the key: the score that selected the id (NAN where absent) and
	 * the label before a flip (UINT32_MAX where absent) */
	double *score;
	uint32_t *from;
	/* where the ids came from (formats/ids.md), when the stream says */
	int has_train;          /* train_n and train_digest are known */
	uint64_t train_n;
	uint32_t train_digest;
	char *method, *scores;  /* NULL when not given */
} id_list;

/* what an ids stream records of its origin (any field may be 0/NULL) */
typedef struct ids_source {
	int has_train;
	uint64_t train_n;
	uint32_t train_digest;
	const char *method;     /* the scoring method */
	const char *scores;     /* the scores stream they were cut from */
} ids_source;

/* read all ids from f; exits with a message naming `name` on bad input */
void ids_read(id_list *l, FILE *f, const char *name);
void ids_free(id_list *l);
/* a flag per example of id[0..n) (calloc'd: the caller frees), set for the
 * ids at path (an ids stream or text); exits with "PATH: id N is not in
 * the training set" for one that is not among them */
unsigned char *ids_flags(const char *path, const uint64_t *id, size_t n);

/* an ids stream writer: what = "remove", "flipped", ... */
rec_writer *ids_writer_open(FILE *f, const char *name, const char *what);
/* the same, the header also saying where the ids came from (src may be NULL) */
rec_writer *ids_writer_open_from(FILE *f, const char *name, const char *what,
				 const ids_source *src);

#endif
