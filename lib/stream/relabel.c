/*
 * relabel.c — labels changed as a scores stream suggests (see relabel.h).
 */
#include "relabel.h"

#include <string.h>

#include "../util/util.h"
#include "idset.h"

void relabel_apply(ds_set *d, const score_set *s, const char *ds_name, const char *sc_name,
		   uint32_t *from, relabel_counts *c)
{
	memset(c, 0, sizeof *c);
	uint32_t digest = 0;
	idmap at;
	idmap_init(&at);
	for (size_t i = 0; i < d->n; i++) {
		digest = ds_digest_update(digest, d->id[i], d->y[i], d->x + i * d->xbytes,
					  d->xbytes);
		idmap_put(&at, d->id[i], i);
	}
	/* suggestions for another training set would land on other examples */
	if (s->train_n != d->n || s->train_digest != digest)
		die("%s: %s scores of another training set (%llu examples, digest %08x; %s has "
		    "%zu, digest %08x)", sc_name, s->method, (unsigned long long)s->train_n,
		    s->train_digest, ds_name, d->n, digest);

	memcpy(from, d->y, d->n * sizeof *from);
	for (size_t q = 0; q < s->n; q++) {
		size_t i;
		if (!idmap_get(&at, s->id[q], &i))
			die("%s: example id %llu is not in %s", sc_name, (unsigned long long)s->id[q],
			    ds_name);
		if (s->y[q] != d->y[i])
			die("%s: example id %llu: the scores say label %u, %s has %u", sc_name,
			    (unsigned long long)s->id[q], s->y[q], ds_name, d->y[i]);
		if (s->suggest[q] >= 0 && (uint32_t)s->suggest[q] >= d->h.classes)
			die("%s: example id %llu: suggested label %d outside the %u classes of %s",
			    sc_name, (unsigned long long)s->id[q], s->suggest[q], d->h.classes,
			    ds_name);
		if (!s->flag[q])
			continue;
		c->flagged++;
		if (s->suggest[q] < 0) {
			c->nosuggest++;
			continue;
		}
		d->y[i] = (uint32_t)s->suggest[q];
	}
	for (size_t i = 0; i < d->n; i++)
		c->changed += d->y[i] != from[i];
	idmap_free(&at);
}
