/*
 * relabel.h — labels changed as a scores stream suggests (ds-relabel):
 * each example the scores flag (formats/scores.md, key flag) takes the
 * label they suggest (key suggest; label-issues writes both).
 */
#ifndef RELABEL_H
#define RELABEL_H

#include <stddef.h>
#include <stdint.h>

#include "ds.h"
#include "scores.h"

/* what relabel_apply did */
typedef struct relabel_counts {
	size_t flagged;         /* examples the scores flag */
	size_t nosuggest;       /* of them, with no suggested label: kept */
	size_t changed;         /* labels that differ from before */
} relabel_counts;

/* the examples of d that s flags take s's suggested labels, in place;
 * from (d->n long, the caller's) gets every example's label before.
 * ds_name, sc_name: d's and s's names for messages. Exits with a message
 * when s is of another training set (count and digest), names an id not
 * in d, says a label that is not d's, or suggests one outside d's
 * classes. */
void relabel_apply(ds_set *d, const score_set *s, const char *ds_name, const char *sc_name,
		   uint32_t *from, relabel_counts *c);

#endif
