/*
 * trace.c — the trace header (see trace.h and formats/trace.md).
 */
#include "trace.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

static void pk_shape(msgpack_packer *pk, const char *key, const int *s)
{
	pk_str(pk, key);
	msgpack_pack_array(pk, 3);
	for (int i = 0; i < 3; i++)
		msgpack_pack_int(pk, s[i]);
}

void trace_header_write(rec_writer *w, const trace_header *h)
{
	trace_header_write_as(w, h, FMT_KIND_TRACE, FMT_VERSION_TRACE, 0);
	rec_writer_begin(w);
}

void trace_header_write_as(rec_writer *w, const trace_header *h, const char *kind,
			   unsigned version, size_t nextra)
{
	msgpack_packer *pk = rec_writer_pk(w);
	rec_header_begin(w, kind, version, 20 + nextra);
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
	h->nparams = get_u64(o, "nparams", 1ull << 32, name);
	h->nstate = get_u64(o, "nstate", 1ull << 32, name);
	h->lr = get_f64(o, "lr", name);
	h->lr_decay = get_f64(o, "lr_decay", name);
	h->momentum = get_f64(o, "momentum", name);
	h->weight_decay = get_f64(o, "weight_decay", name);
	h->batch = (int)get_u64(o, "batch", 1 << 20, name);
	h->epochs = (int)get_u64(o, "epochs", 1 << 20, name);
	h->seed = get_u64(o, "seed", UINT64_MAX, name);
	h->augment = get_str(o, "augment", name);
	h->train_n = get_u64(o, "train_n", 1ull << 32, name);
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
