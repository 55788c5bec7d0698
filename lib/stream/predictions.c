/*
 * predictions.c — predictions streams: the writer, the two readers (a
 * record a time, and the whole stream checked), and the sample kind (see
 * predictions.h, formats/predictions.md).
 */
#include "predictions.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/formats.h"
#include "../util/util.h"
#include "ds.h"

/* ------------------------------------------------------------ sample kind */

static const char *const sample_names[] = { "unknown", "in", "out", "mixed" };

const char *predictions_sample_name(int sample)
{
	return sample >= 0 && sample <= PREDICTIONS_MIXED ? sample_names[sample] : "unknown";
}

int predictions_sample_parse(const char *s, size_t n)
{
	for (int k = 0; k <= PREDICTIONS_MIXED; k++)
		if (strlen(sample_names[k]) == n && !memcmp(s, sample_names[k], n))
			return k;
	return -1;
}

int predictions_sample_join(int a, int b)
{
	if (a == b)
		return a;
	if (a == PREDICTIONS_UNKNOWN || b == PREDICTIONS_UNKNOWN)
		return PREDICTIONS_UNKNOWN;
	return PREDICTIONS_MIXED;
}

int predictions_sample_of(const trace_header *th, const idset *trained, int complete,
		    const uint64_t *id, size_t n, uint32_t digest, uint64_t *hits)
{
	uint64_t h = 0;
	for (size_t i = 0; i < n; i++)
		h += idset_has(trained, id[i]) != 0;
	if (hits)
		*hits = h;
	if ((n == th->train_n && digest == th->train_digest) || (n > 0 && h == n))
		return PREDICTIONS_IN;
	if (!complete)
		return PREDICTIONS_UNKNOWN;
	return h == 0 ? PREDICTIONS_OUT : PREDICTIONS_MIXED;
}

int predictions_sample(const trace_header *th, idset *trained, int complete,
		       const char *train_path, const uint64_t *id, size_t n, uint32_t digest)
{
	if (train_path) {
		idset_free(trained);
		idset_init(trained);
		predictions_train_ids(trained, train_path, th);
		complete = 1;
	}
	return predictions_sample_of(th, trained, complete, id, n, digest, NULL);
}

/* predictions_trace_final's step hook: every id a step names, and those
 * trained on (not left out from epoch 0 by --skip) */
struct step_ids {
	idset named, skip, *trained;
	int have_skip;
};

static void note_step(const trace_reader *tr, void *arg)
{
	struct step_ids *s = arg;
	if (!s->have_skip) {
		/* ids left out from epoch 0 on were never trained on */
		if (tr->h.skip_from == 0)
			for (size_t i = 0; i < tr->h.nskip; i++)
				idset_add(&s->skip, tr->h.skip[i]);
		s->have_skip = 1;
	}
	for (int j = 0; j < tr->step.n; j++)
		if (idset_add(&s->named, tr->step.ids[j]) && !idset_has(&s->skip, tr->step.ids[j]))
			idset_add(s->trained, tr->step.ids[j]);
}

int predictions_trace_final(const char *path, trace_header *th, float **theta, float **state,
		      idset *trained)
{
	struct step_ids s = { .trained = trained };
	idset_init(&s.named);
	idset_init(&s.skip);
	trace_read_final(path, FMT_KIND_TRACE, "no final parameters in the trace", note_step, &s,
			 th, theta, state);
	/* the step records name the skipped ids too: all of them named is
	 * every training example */
	int complete = idset_count(&s.named) == th->train_n;
	idset_free(&s.named);
	idset_free(&s.skip);
	return complete;
}

void predictions_train_ids(idset *trained, const char *path, const trace_header *th)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	FILE *f = in_open(path);
	ds_reader d;
	ds_reader_open(&d, f, name);
	ds_example ex = { .x = emalloc(d.xbytes ? d.xbytes : 1) };
	uint32_t digest = 0;
	uint64_t n = 0;
	idset skip;
	idset_init(&skip);
	if (th->skip_from == 0)
		for (size_t i = 0; i < th->nskip; i++)
			idset_add(&skip, th->skip[i]);
	while (ds_reader_next(&d, &ex)) {
		digest = ds_digest_update(digest, ex.id, ex.y, ex.x, d.xbytes);
		n++;
		if (!idset_has(&skip, ex.id))
			idset_add(trained, ex.id);
	}
	if (n != th->train_n || digest != th->train_digest)
		die("%s: not the training set of the trace (%llu examples, digest %08x; this one "
		    "has %llu, digest %08x)", name, (unsigned long long)th->train_n,
		    th->train_digest, (unsigned long long)n, digest);
	idset_free(&skip);
	free(ex.x);
	ds_reader_close(&d);
	in_close(f);
}

/* ------------------------------------------------------------------ writer */

rec_writer *predictions_writer_open(FILE *f, const char *name, const predictions_header *h)
{
	rec_writer *w = rec_writer_open(f, name);
	rec_header_begin(w, FMT_KIND_PREDICTIONS, FMT_VERSION_PREDICTIONS, 7);
	msgpack_packer *pk = rec_writer_pk(w);
	pk_kv_u64(pk, "classes", (uint64_t)h->K);
	pk_kv_str(pk, "sample", predictions_sample_name(h->sample));
	pk_kv_str(pk, "net", h->net);
	pk_kv_u64(pk, "train_n", h->train_n);
	pk_kv_u64(pk, "train_digest", h->train_digest);
	pk_kv_u64(pk, "data_n", h->data_n);
	pk_kv_u64(pk, "data_digest", h->data_digest);
	rec_writer_begin(w);
	return w;
}

void predictions_write(rec_writer *w, uint64_t id, int y, int pred, double loss, const float *p,
		       int K)
{
	msgpack_packer *pk = rec_writer_pk(w);
	msgpack_pack_map(pk, 5);
	pk_kv_u64(pk, "id", id);
	pk_kv_u64(pk, "y", (uint64_t)y);
	pk_kv_u64(pk, "pred", (uint64_t)pred);
	pk_kv_f64(pk, "loss", loss);
	pk_kv_bin(pk, "p", p, (size_t)K * sizeof *p);
	rec_writer_commit(w);
}

/* ---------------------------------------------------- reader, a record a time */

void predictions_open(predictions_reader *pr, const char *path)
{
	pr->path = path;
	pr->f = in_open(path);
	pr->r = rec_reader_open_or_die(pr->f, path, FMT_KIND_PREDICTIONS, FMT_VERSION_PREDICTIONS,
				       NULL);
}

int predictions_next(predictions_reader *pr, uint64_t *id, uint64_t *pred, float *ppred)
{
	const msgpack_object *o;
	if (!rec_reader_next_or_die(pr->r, &o))
		return 0;
	const void *p;
	size_t n;
	if (rec_get_u64(o, "id", id) != 1 || rec_get_u64(o, "pred", pred) != 1 ||
	    rec_get_bin(o, "p", &p, &n) != 1 || *pred >= n / 4)
		die("%s: record %llu: want id, pred and p", pr->path,
		    (unsigned long long)rec_reader_count(pr->r) - 1);
	memcpy(ppred, (const unsigned char *)p + 4 * *pred, 4);
	return 1;
}

void predictions_close(predictions_reader *pr)
{
	rec_reader_close(pr->r);
	in_close(pr->f);
	memset(pr, 0, sizeof *pr);
}

/* ------------------------------------------------- reader, the whole stream */

typedef struct part_ctx {
	predictions_set *s;
	const char *name;
} part_ctx;

/* the sample kind a part's header says (absent: unknown) */
static int header_sample(const msgpack_object *h, const char *name)
{
	const char *v;
	size_t n;
	int rc = rec_get_str(h, "sample", &v, &n), k;
	if (rc == 0)
		return PREDICTIONS_UNKNOWN;
	if (rc < 0 || (k = predictions_sample_parse(v, n)) < 0)
		die("%s: bad predictions header: sample is not in, out, mixed or unknown", name);
	return k;
}

static void on_part(void *ctx, const msgpack_object *h)
{
	part_ctx *c = ctx;
	c->s->sample = predictions_sample_join(c->s->sample, header_sample(h, c->name));
}

void predictions_load(predictions_set *s, FILE *f, const char *name)
{
	static const char *const binding[] = { "classes", NULL };
	memset(s, 0, sizeof *s);
	rec_reader *r = rec_reader_open_or_die(f, name, FMT_KIND_PREDICTIONS,
					       FMT_VERSION_PREDICTIONS, binding);
	const msgpack_object *h = rec_reader_header(r), *o;
	uint64_t K, u;
	if (rec_get_u64(h, "classes", &K) != 1 || K < 1 || K > FMT_MAX_CLASSES)
		die("%s: bad predictions header: classes must be 1 to %u", name, FMT_MAX_CLASSES);
	s->K = (int)K;
	s->sample = header_sample(h, name);
	const char *net;
	size_t nn;
	if (rec_get_str(h, "net", &net, &nn) == 1) {
		s->net = emalloc(nn + 1);
		memcpy(s->net, net, nn);
		s->net[nn] = 0;
	}
	if (rec_get_u64(h, "data_n", &s->data_n) == 1 && rec_get_u64(h, "data_digest", &u) == 1 &&
	    u <= UINT32_MAX)
		s->has_data = 1, s->data_digest = (uint32_t)u;
	part_ctx pc = { s, name };
	rec_reader_on_part(r, on_part, &pc);
	idset seen;
	idset_init(&seen);
	size_t cap = 0, bytes = (size_t)K * sizeof(float);
	float *row = emalloc(bytes);
	while (rec_reader_next_or_die(r, &o)) {
		uint64_t id, y;
		const void *p;
		size_t pn;
		if (rec_get_u64(o, "id", &id) != 1 || rec_get_u64(o, "y", &y) != 1 ||
		    rec_get_bin(o, "p", &p, &pn) != 1)
			die("%s: record %zu: want id, y and p", name, s->n);
		if (pn != bytes)
			die("%s: example id %llu: p holds %zu bytes, %llu classes need %zu", name,
			    (unsigned long long)id, pn, (unsigned long long)K, bytes);
		if (y >= K)
			die("%s: example id %llu: label %llu out of range (classes %llu)", name,
			    (unsigned long long)id, (unsigned long long)y, (unsigned long long)K);
		memcpy(row, p, bytes);
		double sum = 0;
		for (uint64_t k = 0; k < K; k++) {
			if (!isfinite(row[k]))
				die("%s: example id %llu: probability of class %llu is not finite",
				    name, (unsigned long long)id, (unsigned long long)k);
			if (row[k] < 0 || row[k] > 1)
				die("%s: example id %llu: probability of class %llu is %g, outside "
				    "[0, 1]", name, (unsigned long long)id, (unsigned long long)k,
				    (double)row[k]);
			sum += row[k];
		}
		if (fabs(sum - 1) > PREDICTIONS_SUM_TOL)
			die("%s: example id %llu: probabilities sum to %.6g, not 1 (tolerance %g)",
			    name, (unsigned long long)id, sum, PREDICTIONS_SUM_TOL);
		if (!idset_add(&seen, id))
			die("%s: duplicate example id %llu", name, (unsigned long long)id);
		if (s->n == cap) {
			cap = cap ? 2 * cap : 1024;
			s->id = erealloc(s->id, emul(cap, sizeof *s->id));
			s->y = erealloc(s->y, emul(cap, sizeof *s->y));
			s->p = erealloc(s->p, emul(cap, bytes));
		}
		s->id[s->n] = id;
		s->y[s->n] = (uint32_t)y;
		memcpy(s->p + s->n * (size_t)K, row, bytes);
		s->n++;
	}
	s->parts = rec_reader_parts(r);
	if (s->parts > 1)
		s->has_data = 0;        /* the first part's dataset is not the union */
	free(row);
	idset_free(&seen);
	rec_reader_close(r);
}

void predictions_free(predictions_set *s)
{
	free(s->id), free(s->y), free(s->p), free(s->net);
	memset(s, 0, sizeof *s);
}
