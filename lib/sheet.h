/*
 * sheet.h — pictures of flagged examples for ds-sheet: a contact sheet (one
 * PNG, a grid of captioned examples) and a self-contained HTML report
 * (inlined images in a sortable table, counts per class, known flips).
 */
#ifndef SHEET_H
#define SHEET_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ds.h"

/* one example shown */
typedef struct sheet_item {
	uint64_t id;
	size_t at;              /* index into the dataset */
	double score;           /* NAN: unknown */
	int pred;               /* -1: unknown */
	double ppred;           /* probability of pred */
	int flip;               /* -1: not a known flip; else the label before (or -2: unknown) */
	int suggest;            /* -1: none; else the label the scores suggest (label-issues) */
} sheet_item;

/* the k examples it[] of d as a grid of `cols` columns, each pixel a
 * scale x scale block, under a title line; have_pred / have_flip: captions
 * carry the prediction / the label before a known flip; a suggested label
 * where an item has one. Exits on failure. */
void sheet_write_png(FILE *f, const char *name, const ds_set *d, const sheet_item *it,
		     size_t k, int cols, int scale, const char *title, int have_pred,
		     int have_flip);
/* the same as one HTML page; nflips: how many known flips there are */
void sheet_write_html(FILE *f, const ds_set *d, const sheet_item *it, size_t k, int scale,
		      const char *title, int have_pred, int have_flip, size_t nflips);

#endif
