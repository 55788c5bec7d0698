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
} id_list;

/* read all ids from f; exits with a message naming `name` on bad input */
void ids_read(id_list *l, FILE *f, const char *name);
void ids_free(id_list *l);

/* an ids stream writer: what = "remove", "flipped", ... */
rec_writer *ids_writer_open(FILE *f, const char *name, const char *what);

#endif
