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

#include "../stream/ds.h"
#include "../stream/ids.h"
#include "../stream/idset.h"
#include "../stream/scores.h"

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

/* the items of scores s, most negative first (scores_order): all of them,
 * or with flagged those the scores flag, as top-neg --flagged takes them
 * (the records with a flag set, or with no flag the header's `flagged`
 * most negative); at most kmax. *m gets how many there were to choose
 * from, *k how many the array (k ≥ 1 long, calloc'd) holds; each item its
 * id, score and the label the scores suggest where they flag it (or flag
 * nothing), -1 elsewhere. Exits with "NAME: no example is flagged: ..."
 * when flagged and the stream flags nothing. */
sheet_item *sheet_from_scores(const score_set *s, int flagged, uint64_t kmax, const char *name,
			      size_t *k, size_t *m);
/* the first kmax ids of l, in their order, with their scores (NAN where
 * l has none) and no suggestion; *k how many */
sheet_item *sheet_from_ids(const id_list *l, uint64_t kmax, size_t *k);

/* each item's row of the dataset (it[q].at, where mapping ids to rows),
 * and no prediction or flip known yet; exits with "IN: example id N is
 * not in TRAIN" for an id that is not there */
void sheet_locate(sheet_item *it, size_t k, const idmap *where, const char *in_name,
		  const char *train_path);
/* each item's predicted label and its probability, from the predictions
 * stream at path (formats/predictions.md; items it does not name keep
 * theirs); exits with a message on a bad stream */
void sheet_mark_predictions(sheet_item *it, size_t k, const char *path);
/* each item that the ids at path (ds-noise --flipped) name: the label
 * before the flip (-2 when the stream does not say, or it is not below
 * classes); returns how many ids there are */
size_t sheet_mark_flips(sheet_item *it, size_t k, const char *path, uint32_t classes);

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
