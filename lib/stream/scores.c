/*
 * scores.c — writing, loading and ordering scores (see scores.h).
 */
#include "scores.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/formats.h"
#include "../util/util.h"
#include "idset.h"
#include "rec.h"

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
	if (dg > UINT32_MAX)
		die("%s: bad scores header: train_digest %llu is not a 32-bit "
		    "digest", name, (unsigned long long)dg);
	s->train_digest = (uint32_t)dg;
	if (rec_get_u64(h, "train_n", &s->train_n) != 1)
		s->train_n = 0;
	uint64_t flagged;
	s->flagged = rec_get_u64(h, "flagged", &flagged) == 1 && flagged <= FMT_MAX_RECORDS ?
		     (int64_t)flagged : -1;
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
		if (y >= FMT_MAX_CLASSES)       /* no dataset has such a label */
			die("%s: example id %llu: label y %llu out of range "
			    "(at most %u)", name, (unsigned long long)id,
			    (unsigned long long)y, FMT_MAX_CLASSES - 1);
		if (!isfinite(v))
			die("%s: example id %llu: score is not finite", name, (unsigned long long)id);
		if (!idset_add(&seen, id))
			die("%s: duplicate example id %llu", name, (unsigned long long)id);
		const msgpack_object *fl = rec_get(o, "flag");
		if (fl && fl->type != MSGPACK_OBJECT_BOOLEAN)
			die("%s: example id %llu: flag is not true or false", name,
			    (unsigned long long)id);
		uint64_t sg = UINT64_MAX;
		int rs = rec_get_u64(o, "suggest", &sg);
		if (rs < 0 || (rs == 1 && sg >= FMT_MAX_CLASSES))
			die("%s: example id %llu: suggested label out of range (at most %u)", name,
			    (unsigned long long)id, FMT_MAX_CLASSES - 1);
		if (s->n == cap) {
			cap = cap ? 2 * cap : 1024;
			s->id = erealloc(s->id, cap * sizeof *s->id);
			s->y = erealloc(s->y, cap * sizeof *s->y);
			s->score = erealloc(s->score, cap * sizeof *s->score);
			s->flag = erealloc(s->flag, cap);
			s->suggest = erealloc(s->suggest, cap * sizeof *s->suggest);
		}
		s->id[s->n] = id;
		s->y[s->n] = (uint32_t)y;
		s->flag[s->n] = fl && fl->via.boolean;
		s->has_flag |= fl != NULL;
		s->suggest[s->n] = rs == 1 ? (int32_t)sg : -1;
		s->score[s->n++] = v;
	}
	idset_free(&seen);
	rec_reader_close(r);
}

void scores_free(score_set *s)
{
	free(s->id), free(s->y), free(s->score), free(s->method), free(s->flag), free(s->suggest);
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

double scores_kth(const double *score, const uint64_t *id, size_t n, uint64_t k)
{
	size_t *ord = emalloc(emul(n, sizeof *ord));
	for (size_t i = 0; i < n; i++)
		ord[i] = i;
	scores_order(ord, n, score, id);
	double t = score[ord[k - 1]];
	free(ord);
	return t;
}

size_t scores_write(FILE *f, const char *name, const scores_meta *m, size_t n,
		  const uint64_t *id, const int *y, const double *score,
		  const unsigned char *want)
{
	size_t nwant = n;
	if (want)
		for (size_t i = nwant = 0; i < n; i++)
			nwant += want[i] != 0;
	rec_writer *w = rec_writer_open(f, name);
	msgpack_packer *pk = rec_writer_pk(w);
	rec_header_begin(w, FMT_KIND_SCORES, FMT_VERSION_SCORES,
			 (m->no_val ? 5 : 8) + (m->stability != NULL) + m->nkv);
	pk_kv_str(pk, "method", m->method);
	pk_kv_str(pk, "net", m->net);
	pk_kv_u64(pk, "train_n", m->train_n);
	pk_kv_u64(pk, "train_digest", m->train_digest);
	if (!m->no_val) {
		pk_kv_u64(pk, "val_n", m->val_n);
		pk_kv_f64(pk, "val_loss", m->val_loss);
		pk_str(pk, "ref_u_scale");
		m->ref_u_scale ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	}
	if (m->stability) {
		const scores_stability *s = m->stability;
		pk_str(pk, "stability");
		msgpack_pack_map(pk, 8);
		pk_kv_f64(pk, "lambda", s->lambda);
		pk_kv_f64(pk, "lambda_t", s->lambda_t);
		pk_kv_f64(pk, "eta_lambda", s->eta_lambda);
		pk_kv_u64(pk, "probes", (uint64_t)s->probes);
		pk_kv_u64(pk, "hvps", (uint64_t)s->hvps);
		pk_kv_f64(pk, "u_growth", s->u_growth);
		pk_kv_f64(pk, "u_step_max", s->u_step_max);
		pk_kv_u64(pk, "flow_steps", (uint64_t)s->flow_steps);
	}
	pk_kv_u64(pk, "n", nwant);
	for (size_t k = 0; k < m->nkv; k++)
		m->kv[k].f64 ? pk_kv_f64(pk, m->kv[k].key, m->kv[k].f) :
			       pk_kv_u64(pk, m->kv[k].key, m->kv[k].u);
	rec_writer_begin(w);
	for (size_t i = 0; i < n; i++) {
		if (want && !want[i])
			continue;
		if (!isfinite(score[i]))
			die("score of example %llu is not finite", (unsigned long long)id[i]);
		msgpack_pack_map(pk, 3);
		pk_kv_u64(pk, "id", id[i]);
		pk_kv_u64(pk, "y", (uint64_t)y[i]);
		pk_kv_f64(pk, "score", score[i]);
		rec_writer_commit(w);
	}
	rec_writer_close(w);
	return nwant;
}
