/*
 * ds.c — dataset streams: header <-> struct, validating reader, writer,
 * and the in-memory set (see ds.h and formats/dataset.md).
 */
#include "ds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/formats.h"
#include "../util/crc32.h"
#include "../util/util.h"

static const char *const ds_binding[] = { "shape", "dtype", "classes", NULL };

size_t ds_example_bytes(const ds_header *h)
{
	return (size_t)h->c * h->h * h->w * (h->dtype == DS_F32 ? 4 : 1);
}

const char *ds_dtype_name(int dtype)
{
	return dtype == DS_F32 ? "f32" : "u8";
}

static char *dupn(const char *s, size_t n)
{
	char *d = emalloc(n + 1);
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

void ds_header_copy(ds_header *dst, const ds_header *src)
{
	*dst = *src;
	dst->source = src->source ? estrdup(src->source) : NULL;
	if (src->class_names) {
		dst->class_names = emalloc(sizeof(char *) * src->classes);
		for (uint32_t i = 0; i < src->classes; i++)
			dst->class_names[i] = estrdup(src->class_names[i]);
	}
}

void ds_header_free(ds_header *h)
{
	if (h->class_names)
		for (uint32_t i = 0; i < h->classes; i++)
			free(h->class_names[i]);
	free(h->class_names);
	free(h->source);
	memset(h, 0, sizeof *h);
}

/* parse and check a header map; exits naming `name` on any problem */
static void header_parse(ds_header *h, const msgpack_object *o, const char *name)
{
	memset(h, 0, sizeof *h);
	const msgpack_object *shape = rec_get(o, "shape");
	if (!shape || shape->type != MSGPACK_OBJECT_ARRAY || shape->via.array.size != 3)
		die("%s: bad dataset header: 'shape' must be [C, H, W]", name);
	uint64_t dim[3];
	for (int i = 0; i < 3; i++) {
		const msgpack_object *d = &shape->via.array.ptr[i];
		if (d->type != MSGPACK_OBJECT_POSITIVE_INTEGER || d->via.u64 == 0 ||
		    d->via.u64 > FMT_MAX_EXAMPLE)
			die("%s: bad dataset header: shape entries must be "
			    "integers in 1..%u", name, FMT_MAX_EXAMPLE);
		dim[i] = d->via.u64;
	}
	const char *s;
	size_t n;
	if (rec_get_str(o, "dtype", &s, &n) != 1)
		die("%s: bad dataset header: no 'dtype'", name);
	if (n == 2 && !memcmp(s, "u8", 2))
		h->dtype = DS_U8;
	else if (n == 3 && !memcmp(s, "f32", 3))
		h->dtype = DS_F32;
	else
		die("%s: bad dataset header: dtype '%.*s' (want u8 or f32)", name,
		    (int)(n > 20 ? 20 : n), s);
	/* the product is checked in 128 bits: no shape can overflow it */
	unsigned __int128 bytes = (unsigned __int128)dim[0] * dim[1] * dim[2] *
				  (h->dtype == DS_F32 ? 4 : 1);
	if (bytes > FMT_MAX_EXAMPLE)
		die("%s: bad dataset header: shape [%llu, %llu, %llu] gives "
		    "examples over %u MiB", name, (unsigned long long)dim[0],
		    (unsigned long long)dim[1], (unsigned long long)dim[2],
		    FMT_MAX_EXAMPLE >> 20);
	h->c = (uint32_t)dim[0];
	h->h = (uint32_t)dim[1];
	h->w = (uint32_t)dim[2];
	uint64_t v;
	if (rec_get_u64(o, "classes", &v) != 1 || v < 1 || v > FMT_MAX_CLASSES)
		die("%s: bad dataset header: 'classes' must be in 1..%u", name,
		    FMT_MAX_CLASSES);
	h->classes = (uint32_t)v;
	/* the stream layer checked 'n' against the trailer, per part */
	h->n = rec_get_u64(o, "n", &v) == 1 ? v : 0;
	if (rec_get_str(o, "source", &s, &n) == 1)
		h->source = dupn(s, n);
	const msgpack_object *names = rec_get(o, "class_names");
	if (names && names->type != MSGPACK_OBJECT_NIL) {
		if (names->type != MSGPACK_OBJECT_ARRAY ||
		    names->via.array.size != h->classes)
			die("%s: bad dataset header: 'class_names' must list "
			    "%u names", name, h->classes);
		h->class_names = ecalloc(h->classes, sizeof(char *));
		for (uint32_t i = 0; i < h->classes; i++) {
			const msgpack_object *e = &names->via.array.ptr[i];
			if (e->type != MSGPACK_OBJECT_STR)
				die("%s: bad dataset header: class name %u is "
				    "not a string", name, i);
			h->class_names[i] = dupn(e->via.str.ptr, e->via.str.size);
		}
	}
}

void ds_reader_open(ds_reader *d, FILE *f, const char *name)
{
	memset(d, 0, sizeof *d);
	d->name = estrdup(name);
	d->r = rec_reader_open_or_die(f, name, FMT_KIND_DATASET,
				      FMT_VERSION_DATASET, ds_binding);
	header_parse(&d->h, rec_reader_header(d->r), name);
	d->xbytes = ds_example_bytes(&d->h);
	idset_init(&d->seen);
}

static int all_finite(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i += 4) {
		uint32_t u = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 |
			     (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24;
		if ((u & 0x7f800000u) == 0x7f800000u)
			return 0;
	}
	return 1;
}

int ds_reader_next(ds_reader *d, ds_example *ex)
{
	const msgpack_object *o;
	if (!rec_reader_next_or_die(d->r, &o))
		return 0;
	unsigned long long k = rec_reader_count(d->r) - 1;
	uint64_t id, y;
	const void *x;
	size_t n;
	if (rec_get_u64(o, "id", &id) != 1)
		die("%s: record %llu: no integer 'id'", d->name, k);
	if (rec_get_u64(o, "y", &y) != 1)
		die("%s: example id %llu: no integer label 'y'", d->name,
		    (unsigned long long)id);
	if (y >= d->h.classes)
		die("%s: example id %llu: label %llu out of range (classes %u)",
		    d->name, (unsigned long long)id, (unsigned long long)y,
		    d->h.classes);
	if (rec_get_bin(o, "x", &x, &n) != 1)
		die("%s: example id %llu: no bin payload 'x'", d->name,
		    (unsigned long long)id);
	if (n != d->xbytes)
		die("%s: example id %llu: payload of %zu bytes, shape [%u, %u, %u] "
		    "%s needs %zu", d->name, (unsigned long long)id, n, d->h.c,
		    d->h.h, d->h.w, ds_dtype_name(d->h.dtype), d->xbytes);
	if (d->h.dtype == DS_F32 && !all_finite(x, n))
		die("%s: example id %llu: NaN or infinity in payload", d->name,
		    (unsigned long long)id);
	if (!idset_add(&d->seen, id))
		die("%s: duplicate example id %llu", d->name,
		    (unsigned long long)id);
	ex->id = id;
	ex->y = (uint32_t)y;
	memcpy(ex->x, x, n);
	return 1;
}

void ds_reader_close(ds_reader *d)
{
	rec_reader_close(d->r);
	ds_header_free(&d->h);
	idset_free(&d->seen);
	free(d->name);
	memset(d, 0, sizeof *d);
}

void ds_writer_open(ds_writer *d, FILE *f, const char *name, const ds_header *h)
{
	d->w = rec_writer_open(f, name);
	d->xbytes = ds_example_bytes(h);
	msgpack_packer *pk = rec_writer_pk(d->w);
	size_t extra = 3 + (h->class_names != NULL) + (h->source != NULL) + (h->n != 0);
	rec_header_begin(d->w, FMT_KIND_DATASET, FMT_VERSION_DATASET, extra);
	pk_str(pk, "shape");
	msgpack_pack_array(pk, 3);
	msgpack_pack_uint32(pk, h->c);
	msgpack_pack_uint32(pk, h->h);
	msgpack_pack_uint32(pk, h->w);
	pk_kv_str(pk, "dtype", ds_dtype_name(h->dtype));
	pk_kv_u64(pk, "classes", h->classes);
	if (h->class_names) {
		pk_str(pk, "class_names");
		msgpack_pack_array(pk, h->classes);
		for (uint32_t i = 0; i < h->classes; i++)
			pk_str(pk, h->class_names[i]);
	}
	if (h->source)
		pk_kv_str(pk, "source", h->source);
	if (h->n)
		pk_kv_u64(pk, "n", h->n);
	rec_writer_begin(d->w);
}

void ds_writer_put(ds_writer *d, const ds_example *ex)
{
	msgpack_packer *pk = rec_writer_pk(d->w);
	msgpack_pack_map(pk, 3);
	pk_kv_u64(pk, "id", ex->id);
	pk_kv_u64(pk, "y", ex->y);
	pk_kv_bin(pk, "x", ex->x, d->xbytes);
	rec_writer_commit(d->w);
}

void ds_writer_close(ds_writer *d)
{
	rec_writer_close(d->w);
	d->w = NULL;
}

void ds_set_add(ds_set *s, uint64_t id, uint32_t y, const unsigned char *x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->id = erealloc(s->id, emul(s->cap, sizeof *s->id));
		s->y = erealloc(s->y, emul(s->cap, sizeof *s->y));
		s->x = erealloc(s->x, emul(s->cap, s->xbytes));
	}
	s->id[s->n] = id;
	s->y[s->n] = y;
	memcpy(s->x + s->n * s->xbytes, x, s->xbytes);
	s->n++;
}

void ds_set_load(ds_set *s, FILE *f, const char *name)
{
	ds_reader d;
	memset(s, 0, sizeof *s);
	ds_reader_open(&d, f, name);
	ds_header_copy(&s->h, &d.h);
	s->xbytes = d.xbytes;
	ds_example ex = { .x = emalloc(d.xbytes) };
	while (ds_reader_next(&d, &ex))
		ds_set_add(s, ex.id, ex.y, ex.x);
	free(ex.x);
	ds_reader_close(&d);
}

void ds_set_free(ds_set *s)
{
	ds_header_free(&s->h);
	free(s->id);
	free(s->y);
	free(s->x);
	memset(s, 0, sizeof *s);
}

void ds_set_write(const ds_set *s, const char *path, int force,
		  const unsigned char *pick, int want)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++)
		n += !pick || pick[i] == want;
	out_file out;
	out_open(&out, path, force);
	ds_header h = s->h;
	h.n = n;
	ds_writer w;
	ds_writer_open(&w, out.f, path && strcmp(path, "-") ? path : "stdout", &h);
	for (size_t i = 0; i < s->n; i++)
		if (!pick || pick[i] == want) {
			ds_example ex = { s->id[i], s->y[i], s->x + i * s->xbytes };
			ds_writer_put(&w, &ex);
		}
	ds_writer_close(&w);
	out_finish(&out);
}

uint32_t ds_digest_update(uint32_t crc, uint64_t id, uint32_t y, const unsigned char *x,
			  size_t xbytes)
{
	unsigned char b[12];
	for (int k = 0; k < 8; k++)
		b[k] = (unsigned char)(id >> (8 * k));
	for (int k = 0; k < 4; k++)
		b[8 + k] = (unsigned char)(y >> (8 * k));
	crc = crc32_update(crc, b, 12);
	return crc32_update(crc, x, xbytes);
}
