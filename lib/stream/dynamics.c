/*
 * dynamics.c — training-dynamics streams (see dynamics.h,
 * formats/dynamics.md): the header, one record per training step, and the
 * reader that checks every field.
 */
#include "dynamics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/formats.h"
#include "../util/util.h"
#include "idset.h"

/* the most examples one step may hold: a batch (cnn-train: at most 2^16) */
#define DYN_MAX_BATCH (1u << 20)

void dyn_header_free(dyn_header *h)
{
	free(h->net);
	memset(h, 0, sizeof *h);
}

void dyn_margin(const float *z, int K, int y, double *margin, int *hit)
{
	int best = 0, other = -1;
	for (int k = 0; k < K; k++) {
		if (z[k] > z[best])
			best = k;
		if (k != y && (other < 0 || z[k] > z[other]))
			other = k;
	}
	*margin = other < 0 ? 0 : (double)z[y] - (double)z[other];
	*hit = best == y;
}

/* ------------------------------------------------------------------ writer */

rec_writer *dyn_writer_open(FILE *f, const char *name, const dyn_header *h)
{
	rec_writer *w = rec_writer_open(f, name);
	msgpack_packer *pk = rec_writer_pk(w);
	rec_header_begin(w, FMT_KIND_DYNAMICS, FMT_VERSION_DYNAMICS, 10 + (h->fake ? 2 : 0));
	pk_kv_str(pk, "net", h->net);
	pk_kv_u64(pk, "classes", (uint64_t)h->classes);
	pk_kv_u64(pk, "outputs", (uint64_t)h->outputs);
	pk_kv_u64(pk, "train_n", h->train_n);
	pk_kv_u64(pk, "train_digest", h->train_digest);
	pk_kv_u64(pk, "epochs", (uint64_t)h->epochs);
	pk_kv_u64(pk, "batch", (uint64_t)h->batch);
	pk_kv_u64(pk, "steps_per_epoch", h->steps_per_epoch);
	pk_kv_u64(pk, "seed", h->seed);
	pk_kv_u64(pk, "aum_fake", h->fake ? h->aum_fake : 0);
	if (h->fake) {
		pk_kv_u64(pk, "fake_class", (uint64_t)h->classes);
		pk_kv_u64(pk, "aum_seed", h->aum_seed);
	}
	rec_writer_begin(w);
	return w;
}

void dyn_write_step(rec_writer *w, const dyn_step *s)
{
	msgpack_packer *pk = rec_writer_pk(w);
	msgpack_pack_map(pk, 7);
	pk_kv_u64(pk, "epoch", (uint64_t)s->epoch);
	pk_kv_u64(pk, "step", (uint64_t)s->step);
	pk_str(pk, "ids");
	msgpack_pack_array(pk, (size_t)s->n);
	for (int j = 0; j < s->n; j++)
		msgpack_pack_uint64(pk, s->ids[j]);
	pk_str(pk, "y");
	msgpack_pack_array(pk, (size_t)s->n);
	for (int j = 0; j < s->n; j++)
		msgpack_pack_uint32(pk, s->y[j]);
	pk_kv_bin(pk, "margin", s->margin, (size_t)s->n * sizeof *s->margin);
	pk_kv_bin(pk, "loss", s->loss, (size_t)s->n * sizeof *s->loss);
	pk_kv_bin(pk, "hit", s->hit, (size_t)s->n);
	rec_writer_commit(w);
}

/* ------------------------------------------------------------------ reader */

static uint64_t hdr_u64(const msgpack_object *h, const char *key, const char *name,
			uint64_t lo, uint64_t hi)
{
	uint64_t v;
	if (rec_get_u64(h, key, &v) != 1 || v < lo || v > hi)
		die("%s: bad dynamics header: %s missing or out of range", name, key);
	return v;
}

void dyn_reader_open(dyn_reader *d, FILE *f, const char *name)
{
	static const char *const binding[] = { "train_digest", "outputs", NULL };
	memset(d, 0, sizeof *d);
	d->name = name;
	d->r = rec_reader_open_or_die(f, name, FMT_KIND_DYNAMICS, FMT_VERSION_DYNAMICS, binding);
	const msgpack_object *h = rec_reader_header(d->r);
	dyn_header *dh = &d->h;
	const char *net;
	size_t nn;
	if (rec_get_str(h, "net", &net, &nn) != 1)
		die("%s: bad dynamics header: net missing", name);
	dh->net = emalloc(nn + 1);
	memcpy(dh->net, net, nn);
	dh->net[nn] = 0;
	dh->classes = (int)hdr_u64(h, "classes", name, 1, FMT_MAX_CLASSES);
	dh->outputs = (int)hdr_u64(h, "outputs", name, 1, FMT_MAX_CLASSES + 1ull);
	dh->train_n = hdr_u64(h, "train_n", name, 1, FMT_MAX_RECORDS);
	dh->train_digest = (uint32_t)hdr_u64(h, "train_digest", name, 0, UINT32_MAX);
	dh->epochs = (int)hdr_u64(h, "epochs", name, 1, 1u << 30);
	dh->batch = (int)hdr_u64(h, "batch", name, 1, DYN_MAX_BATCH);
	dh->steps_per_epoch = hdr_u64(h, "steps_per_epoch", name, 1, FMT_MAX_RECORDS);
	dh->seed = hdr_u64(h, "seed", name, 0, UINT64_MAX);
	dh->aum_fake = hdr_u64(h, "aum_fake", name, 0, dh->train_n);
	uint64_t fc;
	int rc = rec_get_u64(h, "fake_class", &fc);
	if (rc < 0 || (rc == 1) != (dh->aum_fake > 0) || (rc == 1 && fc != (uint64_t)dh->classes))
		die("%s: bad dynamics header: fake_class must be classes, and given with aum_fake",
		    name);
	dh->fake = rc == 1;
	if (dh->fake)
		dh->aum_seed = hdr_u64(h, "aum_seed", name, 0, UINT64_MAX);
	if (dh->outputs != dh->classes + dh->fake)
		die("%s: bad dynamics header: %d outputs for %d classes%s", name, dh->outputs,
		    dh->classes, dh->fake ? " and a fake one" : "");
	d->last_step = -1;
}

/* a bin of n elements of size sz, copied out */
static void get_bin(dyn_reader *d, const msgpack_object *o, const char *key, void *dst,
		    size_t n, size_t sz)
{
	const void *p;
	size_t len;
	if (rec_get_bin(o, key, &p, &len) != 1 || len != n * sz)
		die("%s: step %ld: %s is not %zu values", d->name, d->step.step, key, n);
	memcpy(dst, p, len);
}

int dyn_reader_next(dyn_reader *d)
{
	const msgpack_object *o;
	if (!rec_reader_next_or_die(d->r, &o))
		return 0;
	dyn_step *s = &d->step;
	uint64_t e, st;
	const msgpack_object *ids = rec_get(o, "ids"), *ys = rec_get(o, "y");
	if (rec_get_u64(o, "epoch", &e) != 1 || rec_get_u64(o, "step", &st) != 1 || !ids ||
	    ids->type != MSGPACK_OBJECT_ARRAY || !ys || ys->type != MSGPACK_OBJECT_ARRAY)
		die("%s: record %llu: want epoch, step, ids, y, margin, loss and hit", d->name,
		    (unsigned long long)rec_reader_count(d->r) - 1);
	if (e >= (uint64_t)d->h.epochs || st >= (uint64_t)d->h.epochs * d->h.steps_per_epoch ||
	    st / d->h.steps_per_epoch != e)
		die("%s: record %llu: step %llu of epoch %llu is not in the run (%d epochs of %llu "
		    "steps)", d->name, (unsigned long long)rec_reader_count(d->r) - 1,
		    (unsigned long long)st, (unsigned long long)e, d->h.epochs,
		    (unsigned long long)d->h.steps_per_epoch);
	if ((long)st <= d->last_step)
		die("%s: step %llu after step %ld: steps must increase", d->name,
		    (unsigned long long)st, d->last_step);
	s->epoch = (int)e, s->step = (long)st;
	d->last_step = s->step, d->last_epoch = s->epoch;
	uint32_t n = ids->via.array.size;
	if (n < 1 || n > (uint32_t)d->h.batch || ys->via.array.size != n)
		die("%s: step %ld: ids and y must hold 1 to %d examples, as many", d->name, s->step,
		    d->h.batch);
	if (n > d->cap) {
		d->cap = n;
		s->ids = erealloc(s->ids, n * sizeof *s->ids);
		s->y = erealloc(s->y, n * sizeof *s->y);
		s->margin = erealloc(s->margin, n * sizeof *s->margin);
		s->loss = erealloc(s->loss, n * sizeof *s->loss);
		s->hit = erealloc(s->hit, n);
	}
	s->n = (int)n;
	for (uint32_t j = 0; j < n; j++) {
		const msgpack_object *a = &ids->via.array.ptr[j], *b = &ys->via.array.ptr[j];
		if (a->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    b->type != MSGPACK_OBJECT_POSITIVE_INTEGER || b->via.u64 >= (uint64_t)d->h.outputs)
			die("%s: step %ld: example %u: want an id and a label below %d", d->name,
			    s->step, j, d->h.outputs);
		s->ids[j] = a->via.u64;
		s->y[j] = (uint32_t)b->via.u64;
	}
	get_bin(d, o, "margin", s->margin, n, sizeof *s->margin);
	get_bin(d, o, "loss", s->loss, n, sizeof *s->loss);
	get_bin(d, o, "hit", s->hit, n, 1);
	idset seen;
	idset_init(&seen);
	for (uint32_t j = 0; j < n; j++) {
		if (!idset_add(&seen, s->ids[j]))
			die("%s: step %ld: example id %llu twice", d->name, s->step,
			    (unsigned long long)s->ids[j]);
		if (!isfinite(s->margin[j]) || !isfinite(s->loss[j]))
			die("%s: step %ld: example id %llu: margin or loss not finite", d->name,
			    s->step, (unsigned long long)s->ids[j]);
		/* right means a margin >= 0, wrong a margin <= 0 (0: a tie) */
		if (s->hit[j] > 1 || (s->hit[j] && s->margin[j] < 0) ||
		    (!s->hit[j] && s->margin[j] > 0))
			die("%s: step %ld: example id %llu: hit %u with margin %g", d->name, s->step,
			    (unsigned long long)s->ids[j], s->hit[j], (double)s->margin[j]);
	}
	idset_free(&seen);
	return 1;
}

void dyn_reader_close(dyn_reader *d)
{
	rec_reader_close(d->r);
	dyn_header_free(&d->h);
	free(d->step.ids), free(d->step.y), free(d->step.margin), free(d->step.loss);
	free(d->step.hit);
	memset(d, 0, sizeof *d);
}
