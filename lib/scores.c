/*
 * scores.c — loading and ordering scores (see scores.h).
 */
#include "scores.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
#include "idset.h"
#include "rec.h"
#include "util.h"

void scores_load(score_set *s, FILE *f, const char *name)
{
	memset(s, 0, sizeof *s);
	rec_reader *r = rec_reader_open_or_die(f, name, FMT_KIND_SCORES, FMT_VERSION_SCORES, NULL);
	const msgpack_object *h = rec_reader_header(r);
	const char *m;
	size_t mn;
	uint64_t dg;
	if (rec_get_str(h, "method", &m, &mn) != 1 || rec_get_u64(h, "train_digest", &dg) != 1)
		die("%s: bad scores header", name);
	s->method = emalloc(mn + 1);
	memcpy(s->method, m, mn);
	s->method[mn] = 0;
	s->train_digest = (uint32_t)dg;
	idset seen;
	idset_init(&seen);
	size_t cap = 0;
	const msgpack_object *o;
	while (rec_reader_next_or_die(r, &o)) {
		uint64_t id, y;
		double v;
		if (rec_get_u64(o, "id", &id) != 1 || rec_get_u64(o, "y", &y) != 1 ||
		    rec_get_f64(o, "score", &v) != 1)
			die("%s: record %zu: want id, y and score", name, s->n);
		if (!isfinite(v))
			die("%s: example id %llu: score is not finite", name, (unsigned long long)id);
		if (!idset_add(&seen, id))
			die("%s: duplicate example id %llu", name, (unsigned long long)id);
		if (s->n == cap) {
			cap = cap ? 2 * cap : 1024;
			s->id = erealloc(s->id, cap * sizeof *s->id);
			s->y = erealloc(s->y, cap * sizeof *s->y);
			s->score = erealloc(s->score, cap * sizeof *s->score);
		}
		s->id[s->n] = id;
		s->y[s->n] = (uint32_t)y;
		s->score[s->n++] = v;
	}
	idset_free(&seen);
	rec_reader_close(r);
}

void scores_free(score_set *s)
{
	free(s->id), free(s->y), free(s->score), free(s->method);
	memset(s, 0, sizeof *s);
}

typedef struct { const double *score; const uint64_t *id; } order_ctx;

static int by_score(const void *a, const void *b, void *ctx)
{
	const order_ctx *c = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (c->score[i] != c->score[j])
		return c->score[i] < c->score[j] ? -1 : 1;
	return c->id[i] < c->id[j] ? -1 : c->id[i] > c->id[j];
}

void scores_order(size_t *ord, size_t n, const double *score, const uint64_t *id)
{
	order_ctx c = { score, id };
	qsort_r(ord, n, sizeof *ord, by_score, &c);
}
