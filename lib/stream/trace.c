/*
 * trace.c — traces and caches: the header, the body records and the XOR
 * codec (see trace.h, formats/trace.md and formats/cache.md).
 */
#include "trace.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

static void pk_shape(msgpack_packer *pk, const char *key, const int *s)
{
	pk_str(pk, key);
	msgpack_pack_array(pk, 3);
	for (int i = 0; i < 3; i++)
		msgpack_pack_int(pk, s[i]);
}

/* the header of a trace, or (kind "cache") the same keys plus nextra more
 * that the caller packs before rec_writer_begin */
static void header_write(rec_writer *w, const trace_header *h, const char *kind,
			 unsigned version, size_t nextra)
{
	msgpack_packer *pk = rec_writer_pk(w);
	/* the schedule's keys are optional, written only where they differ from
	 * what a trace without them means (formats/trace.md) */
	int lin = h->schedule == TRACE_SCHED_LINEAR || h->schedule == TRACE_SCHED_COSINE;
	rec_header_begin(w, kind, version, 20 + (h->nskip && h->skip_from > 0) + 2 * lin +
			 (h->warmup > 0) + (h->drop_last != 0) + nextra);
	pk_kv_str(pk, "net", h->net);
	pk_shape(pk, "input", h->input);
	pk_shape(pk, "data_shape", h->data_shape);
	pk_kv_u64(pk, "classes", (uint64_t)h->classes);
	pk_kv_u64(pk, "nparams", h->nparams);
	pk_kv_u64(pk, "nstate", h->nstate);
	pk_kv_f64(pk, "lr", h->lr);
	pk_kv_f64(pk, "lr_decay", h->lr_decay);
	pk_kv_u64(pk, "batch", (uint64_t)h->batch);
	pk_kv_u64(pk, "epochs", (uint64_t)h->epochs);
	pk_kv_f64(pk, "momentum", h->momentum);
	pk_kv_f64(pk, "weight_decay", h->weight_decay);
	pk_kv_u64(pk, "seed", h->seed);
	pk_kv_str(pk, "augment", h->augment);
	pk_kv_u64(pk, "train_n", h->train_n);
	pk_kv_u64(pk, "train_digest", h->train_digest);
	pk_str(pk, "trace_epochs");
	msgpack_pack_array(pk, (size_t)h->ntrace);
	for (int i = 0; i < h->ntrace; i++)
		msgpack_pack_int(pk, h->trace_epochs[i]);
	pk_kv_str(pk, "snapshots", h->snapshots);
	pk_str(pk, "skip");
	msgpack_pack_array(pk, h->nskip);
	for (size_t i = 0; i < h->nskip; i++)
		msgpack_pack_uint64(pk, h->skip[i]);
	if (h->nskip && h->skip_from > 0)        /* optional: absent means 0 */
		pk_kv_u64(pk, "skip_from", (uint64_t)h->skip_from);
	if (lin) {
		pk_kv_str(pk, "schedule", trace_schedule_name(h->schedule));
		pk_kv_f64(pk, "lr_min", h->lr_min);
	}
	if (h->warmup > 0)
		pk_kv_u64(pk, "warmup", (uint64_t)h->warmup);
	if (h->drop_last) {
		pk_str(pk, "drop_last");
		msgpack_pack_true(pk);
	}
	pk_kv_str(pk, "created_by", strcmp(kind, FMT_KIND_TRACE) ? "theta-cache" : "cnn-train");
}

static char *get_str(const msgpack_object *o, const char *key, const char *name)
{
	const char *s;
	size_t n;
	if (rec_get_str(o, key, &s, &n) != 1)
		die("%s: bad trace header: no string '%s'", name, key);
	char *d = emalloc(n + 1);
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

static uint64_t get_u64(const msgpack_object *o, const char *key, uint64_t max,
			const char *name)
{
	uint64_t v;
	if (rec_get_u64(o, key, &v) != 1 || v > max)
		die("%s: bad trace header: '%s' missing or out of range", name, key);
	return v;
}

static double get_f64(const msgpack_object *o, const char *key, const char *name)
{
	double v;
	if (rec_get_f64(o, key, &v) != 1 || !(v == v) || v < 0 || v > 1e6)
		die("%s: bad trace header: '%s' missing or out of range", name, key);
	return v;
}

static void get_shape(const msgpack_object *o, const char *key, int *s, const char *name)
{
	const msgpack_object *a = rec_get(o, key);
	if (!a || a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size != 3)
		die("%s: bad trace header: '%s' must be [C, H, W]", name, key);
	for (int i = 0; i < 3; i++) {
		const msgpack_object *d = &a->via.array.ptr[i];
		if (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER || d->via.u64 < 1 ||
		    d->via.u64 > 4096)
			die("%s: bad trace header: '%s' entries must be in 1..4096", name, key);
		s[i] = (int)d->via.u64;
	}
}

void trace_header_read(trace_header *h, const rec_reader *r, const char *name)
{
	const msgpack_object *o = rec_reader_header(r);
	memset(h, 0, sizeof *h);
	h->net = get_str(o, "net", name);
	get_shape(o, "input", h->input, name);
	get_shape(o, "data_shape", h->data_shape, name);
	h->classes = (int)get_u64(o, "classes", 65536, name);
	if (h->classes < 1)
		die("%s: bad trace header: 'classes' is 0", name);
	h->nparams = get_u64(o, "nparams", 1ull << 32, name);
	h->nstate = get_u64(o, "nstate", 1ull << 32, name);
	h->lr = get_f64(o, "lr", name);
	h->lr_decay = get_f64(o, "lr_decay", name);
	h->momentum = get_f64(o, "momentum", name);
	h->weight_decay = get_f64(o, "weight_decay", name);
	h->batch = (int)get_u64(o, "batch", 1 << 20, name);
	h->epochs = (int)get_u64(o, "epochs", 1 << 20, name);
	if (h->batch < 1 || h->epochs < 1)
		die("%s: bad trace header: '%s' is 0", name, h->batch < 1 ? "batch" : "epochs");
	h->seed = get_u64(o, "seed", UINT64_MAX, name);
	h->augment = get_str(o, "augment", name);
	h->train_n = get_u64(o, "train_n", 1ull << 32, name);
	if (h->train_n < 1)
		die("%s: bad trace header: 'train_n' is 0", name);
	h->train_digest = (uint32_t)get_u64(o, "train_digest", UINT32_MAX, name);
	h->snapshots = get_str(o, "snapshots", name);
	const msgpack_object *te = rec_get(o, "trace_epochs");
	if (!te || te->type != MSGPACK_OBJECT_ARRAY || te->via.array.size > (uint32_t)h->epochs)
		die("%s: bad trace header: 'trace_epochs'", name);
	h->ntrace = (int)te->via.array.size;
	h->trace_epochs = ecalloc((size_t)h->ntrace, sizeof(int));
	for (int i = 0; i < h->ntrace; i++) {
		const msgpack_object *e = &te->via.array.ptr[i];
		if (e->type != MSGPACK_OBJECT_POSITIVE_INTEGER || e->via.u64 >= (uint64_t)h->epochs)
			die("%s: bad trace header: traced epoch out of range", name);
		h->trace_epochs[i] = (int)e->via.u64;
		if (i && h->trace_epochs[i] <= h->trace_epochs[i - 1])
			die("%s: bad trace header: 'trace_epochs' not increasing", name);
	}
	const msgpack_object *sk = rec_get(o, "skip");
	if (!sk || sk->type != MSGPACK_OBJECT_ARRAY)
		die("%s: bad trace header: 'skip'", name);
	h->nskip = sk->via.array.size;
	h->skip = ecalloc(h->nskip, sizeof(uint64_t));
	for (size_t i = 0; i < h->nskip; i++) {
		if (sk->via.array.ptr[i].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			die("%s: bad trace header: 'skip' ids", name);
		h->skip[i] = sk->via.array.ptr[i].via.u64;
	}
	const msgpack_object *sf = rec_get(o, "skip_from");
	h->skip_from = 0;
	if (sf) {
		if (sf->type != MSGPACK_OBJECT_POSITIVE_INTEGER || sf->via.u64 >= (uint64_t)h->epochs)
			die("%s: bad trace header: 'skip_from'", name);
		h->skip_from = (int)sf->via.u64;
	}
	/* the schedule: absent keys mean the per-epoch lr_decay (1: constant),
	 * no warm-up, every batch kept */
	h->schedule = h->lr_decay != 1 ? TRACE_SCHED_STEP : TRACE_SCHED_CONST;
	const msgpack_object *sc = rec_get(o, "schedule");
	if (sc) {
		const char *v;
		size_t n;
		char nm[16] = "";
		if (rec_get_str(o, "schedule", &v, &n) == 1 && n < sizeof nm)
			memcpy(nm, v, n);
		h->schedule = trace_schedule_parse(nm);
		if (h->schedule != TRACE_SCHED_LINEAR && h->schedule != TRACE_SCHED_COSINE)
			die("%s: bad trace header: 'schedule' (want linear or cosine)", name);
		h->lr_min = get_f64(o, "lr_min", name);
		if (h->lr_min > h->lr)
			die("%s: bad trace header: 'lr_min' above 'lr'", name);
	}
	if (rec_get(o, "warmup"))
		h->warmup = (long)get_u64(o, "warmup", 1ull << 40, name);
	const msgpack_object *dl = rec_get(o, "drop_last");
	if (dl) {
		if (dl->type != MSGPACK_OBJECT_BOOLEAN)
			die("%s: bad trace header: 'drop_last' must be true or false", name);
		h->drop_last = dl->via.boolean;
		if (h->drop_last && h->train_n < (uint64_t)h->batch)
			die("%s: bad trace header: 'drop_last' with fewer examples than a batch",
			    name);
	}
	if ((uint64_t)h->warmup >= trace_steps_per_epoch(h) * (uint64_t)h->epochs)
		die("%s: bad trace header: 'warmup' is not shorter than the run", name);
}

static const char *const sched_names[] = { "const", "step", "linear", "cosine" };

int trace_schedule_parse(const char *name)
{
	for (int k = 0; k < 4; k++)
		if (!strcmp(name, sched_names[k]))
			return k;
	return -1;
}

const char *trace_schedule_name(int schedule)
{
	return schedule >= 0 && schedule < 4 ? sched_names[schedule] : "?";
}

uint64_t trace_steps_per_epoch(const trace_header *h)
{
	uint64_t b = (uint64_t)h->batch;
	uint64_t P = h->drop_last ? h->train_n / b : (h->train_n + b - 1) / b;
	return P ? P : 1;
}

double trace_lr_at(const trace_header *h, long s)
{
	uint64_t P = trace_steps_per_epoch(h);
	double lr = h->lr;
	if (h->schedule == TRACE_SCHED_STEP || h->schedule == TRACE_SCHED_CONST) {
		/* η · decay^e by repeated products, as cnn-train always did */
		for (long e = 0; e < (long)((uint64_t)s / P); e++)
			lr *= h->lr_decay;
	} else if (s >= h->warmup) {
		double S = (double)(P * (uint64_t)h->epochs - (uint64_t)h->warmup);
		double p = (double)(s - h->warmup) / S;         /* 0 … (S−1)/S */
		double f = h->schedule == TRACE_SCHED_LINEAR ? 1 - p : 0.5 * (1 + cos(M_PI * p));
		lr = h->lr_min + (h->lr - h->lr_min) * f;
	}
	if (s < h->warmup)
		lr *= (double)(s + 1) / (double)h->warmup;
	return lr;
}

void trace_header_free(trace_header *h)
{
	free(h->net);
	free(h->augment);
	free(h->snapshots);
	free(h->trace_epochs);
	free(h->skip);
	memset(h, 0, sizeof *h);
}

int trace_has_epoch(const trace_header *h, int e)
{
	for (int i = 0; i < h->ntrace; i++)
		if (h->trace_epochs[i] == e)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ XOR codec */

void trace_xor_init(trace_xor *x, size_t nparams)
{
	x->nparams = nparams;
	x->prev = ecalloc(nparams * 4 + 1, 1);
}

void trace_xor_free(trace_xor *x)
{
	free(x->prev);
	memset(x, 0, sizeof *x);
}

/* all first bytes of the f32s, then all second bytes...: zstd then finds the
 * runs of unchanged high bytes */
void trace_xor_encode(trace_xor *x, unsigned char *out, const float *theta)
{
	const unsigned char *cur = (const unsigned char *)theta;
	unsigned char *prev = x->prev;
	size_t n = x->nparams;
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 4; b++) {
			unsigned char c = cur[4 * i + b];
			out[(size_t)b * n + i] = c ^ prev[4 * i + b];
			prev[4 * i + b] = c;
		}
}

void trace_xor_decode(trace_xor *x, float *theta, const unsigned char *in)
{
	unsigned char *out = (unsigned char *)theta, *prev = x->prev;
	size_t n = x->nparams;
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 4; b++)
			out[4 * i + b] = prev[4 * i + b] ^= in[(size_t)b * n + i];
}

/* ------------------------------------------------------------ writer */

static_assert(sizeof(float) == 4, "the formats' f32 is float");

static void writer_init(trace_writer *tw, FILE *f, const char *name, const trace_header *h,
			int cache)
{
	memset(tw, 0, sizeof *tw);
	tw->w = rec_writer_open(f, name);
	tw->cache = cache;
	tw->nparams = h->nparams;
	tw->nstate = h->nstate;
}

void trace_writer_open(trace_writer *tw, FILE *f, const char *name, const trace_header *h)
{
	writer_init(tw, f, name, h, 0);
	header_write(tw->w, h, FMT_KIND_TRACE, FMT_VERSION_TRACE, 0);
	rec_writer_begin(tw->w);
}

void trace_writer_open_cache(trace_writer *tw, FILE *f, const char *name,
			     const trace_header *h, const char *policy, uint64_t kept,
			     uint64_t theta_bytes)
{
	writer_init(tw, f, name, h, 1);
	msgpack_packer *pk = rec_writer_pk(tw->w);
	header_write(tw->w, h, FMT_KIND_CACHE, FMT_VERSION_CACHE, 3);
	pk_kv_str(pk, "policy", policy);
	pk_kv_u64(pk, "kept", kept);
	pk_kv_u64(pk, "theta_bytes", theta_bytes);
	rec_writer_begin(tw->w);
}

void trace_write_step(trace_writer *tw, const trace_step *s)
{
	msgpack_packer *pk = rec_writer_pk(tw->w);
	msgpack_pack_map(pk, 6);
	pk_kv_str(pk, "t", "step");
	pk_kv_u64(pk, "epoch", (uint64_t)s->epoch);
	pk_kv_u64(pk, "step", (uint64_t)s->step);
	pk_kv_f64(pk, "lr", s->lr);
	pk_kv_u64(pk, "n", (uint64_t)s->n);
	pk_str(pk, "ids");
	msgpack_pack_array(pk, (size_t)s->n);
	for (int j = 0; j < s->n; j++)
		msgpack_pack_uint64(pk, s->ids[j]);
	rec_writer_commit(tw->w);
}

static const char *const at_name[] = { "epoch", "step", "final" };

void trace_write_theta(trace_writer *tw, const trace_theta *t, int enc)
{
	msgpack_packer *pk = rec_writer_pk(tw->w);
	const void *p = t->theta;
	msgpack_pack_map(pk, tw->cache ? 7 : 6);
	pk_kv_str(pk, "t", "theta");
	pk_kv_str(pk, "at", at_name[t->at]);
	pk_kv_u64(pk, "epoch", (uint64_t)t->epoch);
	pk_kv_u64(pk, "step", (uint64_t)t->step);
	if (tw->cache) {
		if (enc == TRACE_ENC_XOR) {
			if (!tw->enc) {
				trace_xor_init(&tw->x, tw->nparams);
				tw->enc = emalloc(tw->nparams * 4 + 1);
			}
			trace_xor_encode(&tw->x, tw->enc, t->theta);
			p = tw->enc;
		}
		pk_kv_str(pk, "enc", enc == TRACE_ENC_XOR ? "xor" : "raw");
	}
	pk_kv_bin(pk, "theta", p, tw->nparams * 4);
	pk_kv_bin(pk, "state", t->state, tw->nstate * 4);
	rec_writer_commit(tw->w);
}

void trace_write_metric(trace_writer *tw, const trace_metric *m)
{
	msgpack_packer *pk = rec_writer_pk(tw->w);
	msgpack_pack_map(pk, 4);
	pk_kv_str(pk, "t", "metric");
	pk_kv_u64(pk, "epoch", (uint64_t)m->epoch);
	pk_kv_f64(pk, "loss", m->loss);
	pk_kv_f64(pk, "acc", m->acc);
	rec_writer_commit(tw->w);
}

uint64_t trace_writer_close(trace_writer *tw)
{
	uint64_t bytes = rec_writer_close(tw->w);
	if (tw->enc)
		trace_xor_free(&tw->x);
	free(tw->enc);
	memset(tw, 0, sizeof *tw);
	return bytes;
}

/* ------------------------------------------------------------ reader */

void trace_reader_open(trace_reader *tr, FILE *f, const char *name, const char *kind)
{
	memset(tr, 0, sizeof *tr);
	tr->name = name;
	tr->cache = !strcmp(kind, FMT_KIND_CACHE);
	tr->r = rec_reader_open_or_die(f, name, kind,
				       tr->cache ? FMT_VERSION_CACHE : FMT_VERSION_TRACE, NULL);
	trace_header_read(&tr->h, tr->r, name);
	if (tr->cache) {
		const char *s;
		size_t n;
		if (rec_get_str(rec_reader_header(tr->r), "policy", &s, &n) != 1)
			die("%s: bad cache header: no policy", name);
		tr->policy = emalloc(n + 1);
		memcpy(tr->policy, s, n);
		tr->policy[n] = 0;
	}
	tr->theta.theta = emalloc(tr->h.nparams * 4 + 1);
	tr->theta.state = emalloc(tr->h.nstate * 4 + 1);
	trace_xor_init(&tr->x, tr->h.nparams);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}


/* Step records come in order: every step of each traced epoch, each once,
 * the k-th being step trace_epochs[k / P]·P + k % P of P per epoch
 * (trace_steps_per_epoch), with a full batch (the last of an epoch: what is
 * left, unless drop_last)
 * of distinct ids, at a finite learning rate. A replay (inf-score) trusts
 * all of that; a cache (theta-cache) copies it. */
static void read_step(trace_reader *tr, const msgpack_object *o)
{
	uint64_t e, st, sn;
	double lr;
	const msgpack_object *ids = rec_get(o, "ids");
	if (rec_get_u64(o, "epoch", &e) != 1 || rec_get_u64(o, "step", &st) != 1 ||
	    rec_get_u64(o, "n", &sn) != 1 || rec_get_f64(o, "lr", &lr) != 1 ||
	    !ids || ids->type != MSGPACK_OBJECT_ARRAY || ids->via.array.size != sn ||
	    sn == 0 || sn > (uint64_t)tr->h.batch || e >= (uint64_t)tr->h.epochs)
		die("%s: bad step record", tr->name);
	if (!isfinite(lr) || lr < 0)
		die("%s: step %llu: learning rate %g", tr->name, (unsigned long long)st, lr);
	const trace_header *h = &tr->h;
	uint64_t P = trace_steps_per_epoch(h), k = tr->nsteps;
	if (k >= P * (uint64_t)h->ntrace)
		die("%s: step %llu: more steps than the %llu of the traced epochs", tr->name,
		    (unsigned long long)st, (unsigned long long)(P * (uint64_t)h->ntrace));
	uint64_t want_e = (uint64_t)h->trace_epochs[k / P], want = want_e * P + k % P;
	uint64_t want_n = k % P == P - 1 && !h->drop_last ?
			  h->train_n - (P - 1) * (uint64_t)h->batch : (uint64_t)h->batch;
	if (st != want || e != want_e)
		die("%s: step record %llu is step %llu of epoch %llu; want step %llu of "
		    "epoch %llu (a step missing?)", tr->name, (unsigned long long)k,
		    (unsigned long long)st, (unsigned long long)e, (unsigned long long)want,
		    (unsigned long long)want_e);
	if (sn != want_n)
		die("%s: step %llu: %llu ids, want %llu", tr->name, (unsigned long long)st,
		    (unsigned long long)sn, (unsigned long long)want_n);
	trace_step *s = &tr->step;
	if (sn > tr->capids) {
		tr->capids = sn;
		s->ids = erealloc(s->ids, sn * sizeof *s->ids);
		tr->sorted = erealloc(tr->sorted, sn * sizeof *tr->sorted);
	}
	s->epoch = (int)e, s->step = (long)st, s->lr = lr, s->n = (int)sn;
	for (uint64_t j = 0; j < sn; j++) {
		const msgpack_object *v = &ids->via.array.ptr[j];
		if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
			die("%s: bad step record", tr->name);
		s->ids[j] = v->via.u64;
	}
	memcpy(tr->sorted, s->ids, sn * sizeof *s->ids);
	qsort(tr->sorted, sn, sizeof *tr->sorted, cmp_u64);
	for (uint64_t j = 1; j < sn; j++)
		if (tr->sorted[j] == tr->sorted[j - 1])
			die("%s: step %llu: example id %llu twice in one batch", tr->name,
			    (unsigned long long)st, (unsigned long long)tr->sorted[j]);
	tr->nsteps++;
}

static void read_theta(trace_reader *tr, const msgpack_object *o)
{
	trace_theta *t = &tr->theta;
	size_t nb = tr->h.nparams * 4, ns = tr->h.nstate * 4;
	const void *tp, *sp;
	size_t tn, sn;
	uint64_t e, st;
	const msgpack_object *at = rec_get(o, "at");
	t->at = rec_str_eq(at, "final") ? TRACE_AT_FINAL : rec_str_eq(at, "step") ?
		TRACE_AT_STEP : rec_str_eq(at, "epoch") ? TRACE_AT_EPOCH : -1;
	if (rec_get_bin(o, "theta", &tp, &tn) != 1 || tn != nb ||
	    rec_get_bin(o, "state", &sp, &sn) != 1 || sn != ns ||
	    rec_get_u64(o, "step", &st) != 1 || rec_get_u64(o, "epoch", &e) != 1 ||
	    e >= (uint64_t)tr->h.epochs || t->at < 0)
		die("%s: bad theta record (want %zu bytes of parameters and %zu of state "
		    "for '%s')", tr->name, nb, ns, tr->h.net);
	t->epoch = (int)e, t->step = (long)st;
	const msgpack_object *enc = rec_get(o, "enc");
	if (rec_str_eq(enc, "xor"))
		trace_xor_decode(&tr->x, t->theta, tp);
	else if (!enc || rec_str_eq(enc, "raw"))
		memcpy(t->theta, tp, nb);
	else
		die("%s: unknown parameter encoding", tr->name);
	memcpy(t->state, sp, ns);
	for (size_t i = 0; i < tr->h.nparams; i++)
		if (!isfinite(t->theta[i])) {
			if (t->at == TRACE_AT_FINAL)
				die("%s: NaN or infinity in the final parameters", tr->name);
			die("%s: NaN or infinity in the parameters of step %llu", tr->name,
			    (unsigned long long)st);
		}
}

static void read_metric(trace_reader *tr, const msgpack_object *o)
{
	uint64_t e;
	trace_metric *m = &tr->metric;
	if (rec_get_u64(o, "epoch", &e) != 1 || e >= (uint64_t)tr->h.epochs ||
	    rec_get_f64(o, "loss", &m->loss) != 1 || rec_get_f64(o, "acc", &m->acc) != 1)
		die("%s: bad metric record", tr->name);
	m->epoch = (int)e;
}

int trace_reader_next(trace_reader *tr)
{
	const msgpack_object *o;
	while (rec_reader_next_or_die(tr->r, &o)) {
		const msgpack_object *t = rec_get(o, "t");
		if (rec_str_eq(t, "step")) {
			read_step(tr, o);
			return TRACE_REC_STEP;
		}
		if (rec_str_eq(t, "theta")) {
			read_theta(tr, o);
			return TRACE_REC_THETA;
		}
		if (rec_str_eq(t, "metric")) {
			read_metric(tr, o);
			return TRACE_REC_METRIC;
		}
	}
	uint64_t all = trace_steps_per_epoch(&tr->h) * (uint64_t)tr->h.ntrace;
	if (tr->nsteps != all)
		die("%s: %llu step records for the %llu steps of the traced epochs", tr->name,
		    (unsigned long long)tr->nsteps, (unsigned long long)all);
	return 0;
}

void trace_read_final(const char *path, const char *kind, const char *missing,
		      void (*on_step)(const trace_reader *tr, void *arg), void *arg,
		      trace_header *th, float **theta, float **state)
{
	const char *name = path && strcmp(path, "-") ? path : "stdin";
	FILE *f = in_open(path);
	trace_reader tr;
	trace_reader_open(&tr, f, name, kind);
	*theta = emalloc(tr.h.nparams * sizeof **theta + 1);
	*state = emalloc((tr.h.nstate + 1) * sizeof **state);
	int have = 0, rt;
	while ((rt = trace_reader_next(&tr))) {
		if (rt == TRACE_REC_STEP && on_step)
			on_step(&tr, arg);
		if (rt != TRACE_REC_THETA || tr.theta.at != TRACE_AT_FINAL)
			continue;
		memcpy(*theta, tr.theta.theta, tr.h.nparams * sizeof **theta);
		memcpy(*state, tr.theta.state, tr.h.nstate * sizeof **state);
		have = 1;
	}
	if (!have)
		die("%s: %s", name, missing);
	*th = tr.h;     /* the header is the caller's now */
	memset(&tr.h, 0, sizeof tr.h);
	trace_reader_close(&tr);
	in_close(f);
}

void trace_reader_close(trace_reader *tr)
{
	rec_reader_close(tr->r);
	trace_header_free(&tr->h);
	trace_xor_free(&tr->x);
	free(tr->policy);
	free(tr->step.ids);
	free(tr->sorted);
	free(tr->theta.theta);
	free(tr->theta.state);
	memset(tr, 0, sizeof *tr);
}
