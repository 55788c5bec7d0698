/*
 * rec.c — record streams: a msgpack packer whose bytes feed a zstd
 * compressor, and a reader that decompresses, parses one object at a time
 * and checks the header, the trailer's count and the CRC-32 of the records
 * (formats/stream.md). Nothing read is trusted: an object is parsed only
 * from bytes that have arrived, and no object may exceed FMT_MAX_OBJECT.
 *
 * Parsing is linear in the input: a resumable scan (r_scan) walks the
 * msgpack structure of the next object as its bytes arrive, checking every
 * announced size against the bounds before anything is reserved for it;
 * msgpack_unpack then runs once, over an object known to be complete. (It
 * used to run from the object's first byte each time the buffer grew: a
 * 2 KB stream of one 64 MiB array of nils took a minute.)
 */
#include "rec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <msgpack/unpack_define.h> /* MSGPACK_EMBED_STACK_SIZE */
#include <zstd.h>
#include <zstd_errors.h>

#include "../../formats/formats.h"
#include "../util/crc32.h"
#include "../util/util.h"
#include "../util/version.h"

/* ================================================================== writer */

enum { W_HEADER, W_RECORDS, W_TRAILER };

struct rec_writer {
	FILE *f;
	char *name;
	msgpack_packer pk;
	ZSTD_CCtx *cctx;
	char *stage;            /* packed bytes waiting for the compressor */
	size_t nstage, capstage;
	char *out;              /* compressed bytes */
	size_t capout;
	int state;
	uint32_t crc;
	uint64_t count;
	uint64_t bytes_out;      /* compressed bytes written */
};

static void w_compress(rec_writer *w, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { w->stage, w->nstage, 0 };
	for (;;) {
		ZSTD_outBuffer out = { w->out, w->capout, 0 };
		size_t left = ZSTD_compressStream2(w->cctx, &out, &in, mode);
		if (ZSTD_isError(left))
			die("%s: zstd: %s", w->name, ZSTD_getErrorName(left));
		if (out.pos && fwrite(w->out, 1, out.pos, w->f) != out.pos)
			die("write %s:", w->name);
		w->bytes_out += out.pos;
		int done = mode == ZSTD_e_continue ? in.pos == in.size : left == 0;
		if (done)
			break;
	}
	w->nstage = 0;
}

static int w_write(void *data, const char *buf, size_t len)
{
	rec_writer *w = data;
	if (w->state == W_RECORDS)
		w->crc = crc32_update(w->crc, buf, len);
	while (len) {
		size_t n = w->capstage - w->nstage;
		if (n > len)
			n = len;
		memcpy(w->stage + w->nstage, buf, n);
		w->nstage += n;
		buf += n;
		len -= n;
		if (w->nstage == w->capstage)
			w_compress(w, ZSTD_e_continue);
	}
	return 0;
}

static int zstd_level(void)
{
	const char *s = getenv("CLEANSE_ZSTD_LEVEL");
	if (!s || !*s)
		return 1;
	int v = atoi(s);
	return v < -5 ? -5 : v > 19 ? 19 : v;
}

rec_writer *rec_writer_open(FILE *f, const char *name)
{
	rec_writer *w = ecalloc(1, sizeof *w);
	w->f = f;
	w->name = estrdup(name ? name : "output");
	w->cctx = ZSTD_createCCtx();
	if (!w->cctx)
		die("%s: cannot create zstd context", w->name);
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, zstd_level());
	ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
	w->capstage = ZSTD_CStreamInSize();
	w->stage = emalloc(w->capstage);
	w->capout = ZSTD_CStreamOutSize();
	w->out = emalloc(w->capout);
	msgpack_packer_init(&w->pk, w, w_write);
	return w;
}

msgpack_packer *rec_writer_pk(rec_writer *w)
{
	return &w->pk;
}

void rec_header_begin(rec_writer *w, const char *kind, unsigned version,
		      size_t nextra)
{
	msgpack_pack_map(&w->pk, 4 + nextra);
	pk_kv_str(&w->pk, "magic", FMT_MAGIC);
	pk_kv_str(&w->pk, "kind", kind);
	pk_kv_u64(&w->pk, "version", version);
	/* which program and build wrote the stream (formats/stream.md) */
	char writer[256];
	snprintf(writer, sizeof writer, "%s %s", argv0, cleanse_version());
	pk_kv_str(&w->pk, "writer", writer);
}

void rec_writer_begin(rec_writer *w)
{
	w->state = W_RECORDS;
}

void rec_writer_commit(rec_writer *w)
{
	w->count++;
}

uint64_t rec_writer_count(const rec_writer *w)
{
	return w->count;
}

uint64_t rec_writer_close(rec_writer *w)
{
	w->state = W_TRAILER;
	msgpack_pack_map(&w->pk, 3);
	pk_kv_str(&w->pk, "end", FMT_MAGIC);
	pk_kv_u64(&w->pk, "count", w->count);
	pk_kv_u64(&w->pk, "crc32", w->crc);
	w_compress(w, ZSTD_e_end);
	if (fflush(w->f) != 0 || ferror(w->f))
		die("write %s:", w->name);
	uint64_t bytes = w->bytes_out;
	ZSTD_freeCCtx(w->cctx);
	free(w->stage);
	free(w->out);
	free(w->name);
	free(w);
	return bytes;
}

void pk_str(msgpack_packer *pk, const char *s)
{
	size_t n = strlen(s);
	msgpack_pack_str(pk, n);
	msgpack_pack_str_body(pk, s, n);
}

void pk_bin(msgpack_packer *pk, const void *p, size_t n)
{
	msgpack_pack_bin(pk, n);
	msgpack_pack_bin_body(pk, p, n);
}

void pk_kv_str(msgpack_packer *pk, const char *key, const char *val)
{
	pk_str(pk, key);
	pk_str(pk, val);
}

void pk_kv_u64(msgpack_packer *pk, const char *key, uint64_t v)
{
	pk_str(pk, key);
	msgpack_pack_uint64(pk, v);
}

void pk_kv_f64(msgpack_packer *pk, const char *key, double v)
{
	pk_str(pk, key);
	msgpack_pack_double(pk, v);
}

void pk_kv_bin(msgpack_packer *pk, const char *key, const void *p, size_t n)
{
	pk_str(pk, key);
	pk_bin(pk, p, n);
}

/* ================================================================== reader */

enum { R_HEADER, R_RECORDS, R_BETWEEN, R_FAILED };

/* msgpack_unpack refuses containers nested deeper than this */
enum { SCAN_DEPTH = MSGPACK_EMBED_STACK_SIZE };

struct rec_reader {
	FILE *f;
	FILE *owned;            /* fmemopen'd stream we close */
	char *name;
	const char *kind;
	unsigned version;
	const char *const *binding;
	ZSTD_DCtx *dctx;
	char *in;               /* compressed input */
	size_t capin;
	ZSTD_inBuffer zin;
	int frame_open;         /* a zstd frame started and not finished */
	int eof;
	uint64_t nbytes_in;     /* compressed bytes read */
	char *buf;              /* decompressed bytes: [pos, len) unparsed */
	size_t pos, len, cap;
	msgpack_zone *zone;     /* holds the current object */
	/* the scan of the object at buf[pos] (r_scan) */
	int scanning;           /* a scan has begun */
	uint64_t scan;          /* its bytes scanned (may pass len: a payload) */
	uint32_t todo[SCAN_DEPTH + 1]; /* items not yet begun: the object's
				 * own slot, then one per open container */
	int depth;              /* slots of todo in use */
	uint64_t left;          /* sum of todo: each item takes >= 1 byte */
	uint64_t items;         /* msgpack_objects the parse will allocate */
	char *hdr_bytes;        /* a private copy of the first header */
	msgpack_zone *hdr_zone;
	msgpack_object hdr;
	int have_hdr;
	msgpack_object obj;     /* the record last delivered */
	int state;
	uint32_t crc;
	int part_has_n;         /* the part's header announced its count */
	uint64_t part_n;
	uint64_t part_count;
	uint64_t count;
	uint64_t parts;         /* part headers seen */
	void (*on_part)(void *ctx, const msgpack_object *hdr);
	void *on_part_ctx;
	char err[512];
};

int rec_reader_fail(rec_reader *r, const char *fmt, ...)
{
	if (r->state == R_FAILED)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof r->err, fmt, ap);
	va_end(ap);
	r->state = R_FAILED;
	return -1;
}

/* decompress more bytes into buf; 1 progress, 0 clean EOF, -1 error */
static int r_fill(rec_reader *r)
{
	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	size_t want = ZSTD_DStreamOutSize();
	if (r->cap - r->len < want) {
		size_t cap = r->cap ? r->cap : want * 2;
		while (cap - r->len < want)
			cap *= 2;
		if (cap > (size_t)FMT_MAX_OBJECT + want * 2)
			return rec_reader_fail(r, "object larger than %u MiB "
					       "(corrupt input?)",
					       FMT_MAX_OBJECT >> 20);
		r->buf = erealloc(r->buf, cap);
		r->cap = cap;
	}
	for (;;) {
		if (r->zin.pos == r->zin.size) {
			if (r->eof)
				goto at_eof;
			size_t n = fread(r->in, 1, r->capin, r->f);
			if (n == 0) {
				if (ferror(r->f))
					return rec_reader_fail(r, "read error: %s",
							       strerror(errno));
				r->eof = 1;
				goto at_eof;
			}
			if (r->nbytes_in == 0 && n >= 2 && (unsigned char)r->in[0] == 0x1f &&
			    (unsigned char)r->in[1] == 0x8b)
				return rec_reader_fail(r, "gzip-compressed, not a cleanse stream "
						       "(streams are zstd: gunzip it first)");
			if (r->nbytes_in == 0 && !rec_is_zstd_magic((unsigned char *)r->in, n))
				return rec_reader_fail(r, "not a cleanse stream "
						       "(input is not zstd-compressed)");
			r->nbytes_in += n;
			r->zin = (ZSTD_inBuffer){ r->in, n, 0 };
		}
		/* Each frame must be a zstd frame of today's format: libzstd
		 * may be built to decode the legacy formats (v0.x) too, which
		 * ignore the window limit. At a frame's start, its magic
		 * number, read whole (its bytes may straddle two reads). */
		if (!r->frame_open) {
			size_t avail = r->zin.size - r->zin.pos;
			if (avail < 4 && !r->eof) {
				memmove(r->in, r->in + r->zin.pos, avail);
				size_t n = fread(r->in + avail, 1, r->capin - avail, r->f);
				if (n == 0 && ferror(r->f))
					return rec_reader_fail(r, "read error: %s",
							       strerror(errno));
				r->eof = n == 0;
				r->nbytes_in += n;
				r->zin = (ZSTD_inBuffer){ r->in, avail + n, 0 };
				avail += n;
			}
			if (avail >= 4 && !rec_is_zstd_magic((unsigned char *)r->in + r->zin.pos, avail))
				return rec_reader_fail(r, "corrupt zstd data: not a zstd frame "
						       "(or one of a legacy format)");
		}
		ZSTD_outBuffer out = { r->buf + r->len, r->cap - r->len, 0 };
		size_t ret = ZSTD_decompressStream(r->dctx, &out, &r->zin);
		if (ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge)
			return rec_reader_fail(r, "zstd frame needs a window over %u MiB "
					       "(compressed with --long or --ultra?)",
					       (1u << REC_WINDOW_LOG_MAX) >> 20);
		if (ZSTD_isError(ret))
			return rec_reader_fail(r, "corrupt zstd data: %s",
					       ZSTD_getErrorName(ret));
		r->frame_open = ret != 0;
		r->len += out.pos;
		if (out.pos)
			return 1;
	}
at_eof:
	if (r->frame_open)
		return rec_reader_fail(r, "truncated stream: zstd frame cut short");
	return 0;
}

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static int fail_too_large(rec_reader *r)
{
	return rec_reader_fail(r, "object larger than %u MiB (corrupt input?)",
			       FMT_MAX_OBJECT >> 20);
}

/* Walk the structure of the object at buf[pos] as far as its bytes have
 * arrived, resuming where the last call stopped: 1 the object is complete
 * (its bytes are buf[pos, pos + scan)), 0 more bytes are needed, -1 error.
 * Every announced size is checked before the parse reserves anything: the
 * object, counting one byte for each item still announced, stays within
 * FMT_MAX_OBJECT, and the parse allocates at most REC_MAX_ITEMS objects.
 * A payload (str, bin, ext) is skipped, not waited for, so its bytes are
 * looked at once. Errors are msgpack_unpack's, in the same words. */
static int r_scan(rec_reader *r)
{
	/* buf is NULL before the first byte arrives: NULL + 0 is undefined */
	const unsigned char *p = r->buf ? (const unsigned char *)r->buf + r->pos : NULL;
	uint64_t avail = r->len - r->pos;
	if (!r->scanning) {
		r->scanning = 1;
		r->scan = 0;
		r->todo[0] = 1;
		r->depth = 1;
		r->left = 1;
		r->items = 1;
	}
	for (;;) {
		while (r->depth > 0 && r->todo[r->depth - 1] == 0)
			r->depth--;
		if (r->depth == 0)
			return r->scan <= avail;
		uint64_t s = r->scan;
		if (s >= avail)
			return 0;
		unsigned c = p[s];
		int head = 1;           /* bytes needed to know the item's size */
		uint64_t body = 0;      /* bytes after those */
		uint64_t n = 0;         /* items in a container */
		int container = 0;      /* 1 array, 2 map */
		if (c <= 0x7f || c >= 0xe0) {
			;                       /* fixint */
		} else if (c <= 0x8f) {
			container = 2, n = c & 0x0f;
		} else if (c <= 0x9f) {
			container = 1, n = c & 0x0f;
		} else if (c <= 0xbf) {
			body = c & 0x1f;        /* fixstr */
		} else {
			static const signed char fixed[0x20] = {
				/* c0 nil, c1 never used, c2 false, c3 true */
				0, -1, 0, 0,
				/* c4-c9 bin/ext: sized below */
				0, 0, 0, 0, 0, 0,
				/* ca float, cb double, cc-cf uint, d0-d3 int */
				4, 8, 1, 2, 4, 8, 1, 2, 4, 8,
				/* d4-d8 fixext: type byte + 1..16 */
				2, 3, 5, 9, 17,
			};
			int lenb = 0;           /* size of the length field */
			switch (c) {
			case 0xc1:
				return rec_reader_fail(r, "corrupt record data "
						       "(not msgpack) at record %llu",
						       (unsigned long long)r->count);
			case 0xc4: case 0xc7: case 0xd9: lenb = 1; break;
			case 0xc5: case 0xc8: case 0xda: case 0xdc: case 0xde: lenb = 2; break;
			case 0xc6: case 0xc9: case 0xdb: case 0xdd: case 0xdf: lenb = 4; break;
			default: body = (uint64_t)fixed[c - 0xc0]; break;
			}
			if (lenb) {
				head = 1 + lenb;
				if (avail - s < (uint64_t)head)
					return 0;
				uint64_t v = be(p + s + 1, lenb);
				if (c >= 0xdc)
					container = c <= 0xdd ? 1 : 2, n = v;
				else
					body = v + (c >= 0xc7 && c <= 0xc9); /* ext: type byte */
			}
		}
		r->todo[r->depth - 1]--;
		r->left--;
		if (container) {
			/* the depth of open containers is depth - 1 */
			if (r->depth > SCAN_DEPTH)
				return rec_reader_fail(r, "corrupt record data (an "
						       "object claims more memory "
						       "than there is)");
			n *= (uint64_t)container;
			r->items += n;
			if (r->items > REC_MAX_ITEMS)
				return rec_reader_fail(r, "object of more than %u "
						       "values (corrupt input?)",
						       REC_MAX_ITEMS);
			if (n) {
				r->todo[r->depth++] = (uint32_t)n;
				r->left += n;
			}
		}
		r->scan = s + (uint64_t)head + body;
		if (r->scan + r->left > FMT_MAX_OBJECT)
			return fail_too_large(r);
	}
}

/* parse the next object from buf: 1 ok (its bytes are buf[*start, pos)),
 * 0 at clean EOF with no partial object, -1 error */
static int r_object(rec_reader *r, msgpack_object *o, size_t *start)
{
	for (;;) {
		int s = r_scan(r);
		if (s < 0)
			return -1;
		if (s > 0) {
			size_t off = r->pos, end = r->pos + (size_t)r->scan;
			r->scanning = 0;
			msgpack_zone_clear(r->zone);
			msgpack_unpack_return ret =
				msgpack_unpack(r->buf, end, &off, r->zone, o);
			if (ret == MSGPACK_UNPACK_SUCCESS && off == end) {
				*start = r->pos;
				r->pos = off;
				return 1;
			}
			if (ret == MSGPACK_UNPACK_NOMEM_ERROR)
				return rec_reader_fail(r, "corrupt record data "
						       "(an object claims more memory than there is)");
			/* the scan and msgpack-c disagree on where it ends */
			return rec_reader_fail(r, "corrupt record data "
					       "(not msgpack) at record %llu",
					       (unsigned long long)r->count);
		}
		int f = r_fill(r);
		if (f < 0)
			return -1;
		if (f == 0) {
			if (r->pos < r->len)
				return rec_reader_fail(r, "truncated stream: "
						       "record cut short");
			return 0;
		}
	}
}

static int is_trailer(const msgpack_object *o)
{
	return rec_str_eq(rec_get(o, "end"), FMT_MAGIC);
}

/* check a header object: the first part's, or a later part's against it */
static int r_check_header(rec_reader *r, const msgpack_object *o)
{
	if (o->type != MSGPACK_OBJECT_MAP || !rec_str_eq(rec_get(o, "magic"), FMT_MAGIC))
		return rec_reader_fail(r, "not a cleanse stream (no header with "
				       "magic \"" FMT_MAGIC "\")");
	const char *k;
	size_t kn;
	uint64_t v;
	if (rec_get_str(o, "kind", &k, &kn) != 1 || rec_get_u64(o, "version", &v) != 1)
		return rec_reader_fail(r, "bad header: no kind or version");
	if (r->kind && (strlen(r->kind) != kn || memcmp(k, r->kind, kn)))
		return rec_reader_fail(r, "input is a '%.*s' stream, want '%s'",
				       (int)(kn > 40 ? 40 : kn), k, r->kind);
	if (r->kind && v != r->version)
		return rec_reader_fail(r, "%s stream version %llu not supported "
				       "(want %u); re-create it with this cleanse",
				       r->kind, (unsigned long long)v, r->version);
	int rc = rec_get_u64(o, "n", &r->part_n);
	if (rc < 0 || (rc == 1 && r->part_n > FMT_MAX_RECORDS))
		return rec_reader_fail(r, "bad header: record count 'n' %llu is "
				       "absurd (at most %llu)",
				       rc < 0 ? 0ull : (unsigned long long)r->part_n,
				       (unsigned long long)FMT_MAX_RECORDS);
	r->part_has_n = rc == 1;
	if (!r->have_hdr)
		return 0;
	/* a later part of a concatenated stream */
	if (!msgpack_object_equal(*rec_get(o, "kind"), *rec_get(&r->hdr, "kind")))
		return rec_reader_fail(r, "concatenated streams of different kinds");
	if (!msgpack_object_equal(*rec_get(o, "version"), *rec_get(&r->hdr, "version")))
		return rec_reader_fail(r, "concatenated streams of different versions");
	for (const char *const *b = r->binding; b && *b; b++) {
		const msgpack_object *x = rec_get(o, *b), *y = rec_get(&r->hdr, *b);
		if (!x != !y || (x && !msgpack_object_equal(*x, *y)))
			return rec_reader_fail(r, "concatenated streams disagree "
					       "on '%s'", *b);
	}
	return 0;
}

static int r_check_trailer(rec_reader *r, const msgpack_object *o)
{
	uint64_t count, crc;
	if (rec_get_u64(o, "count", &count) != 1 || rec_get_u64(o, "crc32", &crc) != 1)
		return rec_reader_fail(r, "bad trailer: no count or crc32");
	if (count != r->part_count)
		return rec_reader_fail(r, "record count mismatch: trailer says "
				       "%llu, stream has %llu",
				       (unsigned long long)count,
				       (unsigned long long)r->part_count);
	if (r->part_has_n && count != r->part_n)
		return rec_reader_fail(r, "header announces %llu records, "
				       "stream has %llu",
				       (unsigned long long)r->part_n,
				       (unsigned long long)count);
	if (crc != r->crc)
		return rec_reader_fail(r, "checksum mismatch: records corrupt "
				       "(crc32 %08x, trailer says %08llx)",
				       r->crc, (unsigned long long)crc);
	return 0;
}

static rec_reader *r_new(FILE *f, const char *name, const char *kind,
			 unsigned version, const char *const *binding)
{
	rec_reader *r = ecalloc(1, sizeof *r);
	r->f = f;
	r->name = estrdup(name ? name : "input");
	r->kind = kind;
	r->version = version;
	r->binding = binding;
	r->dctx = ZSTD_createDCtx();
	r->zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	r->hdr_zone = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	if (!r->dctx || !r->zone || !r->hdr_zone)
		die("out of memory");
	/* A frame header announces its window, which the decoder reserves at
	 * once: zstd's own limit is 128 MiB, so 11 bytes could take that. Our
	 * writer's levels (up to 19) use at most 8 MiB, as does the zstd
	 * program below --ultra and --long; 16 MiB is the most accepted. */
	ZSTD_DCtx_setParameter(r->dctx, ZSTD_d_windowLogMax, REC_WINDOW_LOG_MAX);
	r->capin = ZSTD_DStreamInSize();
	r->in = emalloc(r->capin);
	return r;
}

static void r_read_header(rec_reader *r)
{
	msgpack_object o;
	size_t start;
	int rc = r_object(r, &o, &start);
	if (rc == 0) {
		if (r->nbytes_in == 0)
			rec_reader_fail(r, "empty input (no stream header)");
		else
			rec_reader_fail(r, "no stream header (empty zstd frame)");
	}
	if (rc != 1 || r_check_header(r, &o) < 0)
		return;
	/* keep a private copy: buf moves on */
	size_t n = r->pos - start;
	r->hdr_bytes = emalloc(n);
	memcpy(r->hdr_bytes, r->buf + start, n);
	size_t off = 0;
	if (msgpack_unpack(r->hdr_bytes, n, &off, r->hdr_zone, &r->hdr) !=
	    MSGPACK_UNPACK_SUCCESS)
		die("internal error: header does not re-parse");
	r->have_hdr = 1;
	r->parts = 1;
	r->state = R_RECORDS;
}

rec_reader *rec_reader_open(FILE *f, const char *name, const char *kind,
			    unsigned version, const char *const *binding)
{
	rec_reader *r = r_new(f, name, kind, version, binding);
	r_read_header(r);
	return r;
}

rec_reader *rec_reader_open_mem(const void *buf, size_t n, const char *name,
				const char *kind, unsigned version,
				const char *const *binding)
{
	/* fmemopen refuses size 0: an empty input is read from /dev/null */
	FILE *f = n ? fmemopen((void *)buf, n, "rb") : fopen("/dev/null", "rb");
	if (!f)
		die("fmemopen:");
	rec_reader *r = r_new(f, name, kind, version, binding);
	r->owned = f;
	r_read_header(r);
	return r;
}

const msgpack_object *rec_reader_header(const rec_reader *r)
{
	return r->have_hdr ? &r->hdr : NULL;
}

int rec_reader_next(rec_reader *r, const msgpack_object **rec)
{
	msgpack_object *obj = &r->obj;
	for (;;) {
		if (r->state == R_FAILED)
			return -1;
		size_t start;
		int rc = r_object(r, obj, &start);
		if (rc < 0)
			return -1;
		if (rc == 0) {
			if (r->state == R_BETWEEN)
				return 0;
			return rec_reader_fail(r, "truncated stream: no trailer "
					       "after %llu records (upstream "
					       "program died?)",
					       (unsigned long long)r->count);
		}
		if (r->state == R_BETWEEN) {
			if (r_check_header(r, obj) < 0)
				return -1;
			r->parts++;
			if (r->on_part)
				r->on_part(r->on_part_ctx, obj);
			r->state = R_RECORDS;
			r->crc = 0;
			r->part_count = 0;
			continue;
		}
		if (obj->type == MSGPACK_OBJECT_MAP && is_trailer(obj)) {
			if (r_check_trailer(r, obj) < 0)
				return -1;
			r->state = R_BETWEEN;
			continue;
		}
		if (obj->type != MSGPACK_OBJECT_MAP)
			return rec_reader_fail(r, "bad record %llu: not a map",
					       (unsigned long long)r->count);
		r->crc = crc32_update(r->crc, r->buf + start, r->pos - start);
		r->part_count++;
		r->count++;
		if (r->count > FMT_MAX_RECORDS)
			return rec_reader_fail(r, "more than %llu records",
					       (unsigned long long)FMT_MAX_RECORDS);
		*rec = obj;
		return 1;
	}
}

const char *rec_reader_error(const rec_reader *r)
{
	return r->state == R_FAILED ? r->err : NULL;
}

uint64_t rec_reader_count(const rec_reader *r)
{
	return r->count;
}

uint64_t rec_reader_parts(const rec_reader *r)
{
	return r->parts;
}

void rec_reader_on_part(rec_reader *r, void (*fn)(void *ctx, const msgpack_object *hdr),
			void *ctx)
{
	r->on_part = fn, r->on_part_ctx = ctx;
}

void rec_reader_close(rec_reader *r)
{
	if (!r)
		return;
	if (r->owned)
		fclose(r->owned);
	ZSTD_freeDCtx(r->dctx);
	msgpack_zone_free(r->zone);
	msgpack_zone_free(r->hdr_zone);
	free(r->hdr_bytes);
	free(r->in);
	free(r->buf);
	free(r->name);
	free(r);
}

rec_reader *rec_reader_open_or_die(FILE *f, const char *name, const char *kind,
				   unsigned version, const char *const *binding)
{
	rec_reader *r = rec_reader_open(f, name, kind, version, binding);
	if (rec_reader_error(r))
		die("%s: %s", r->name, rec_reader_error(r));
	return r;
}

int rec_reader_next_or_die(rec_reader *r, const msgpack_object **rec)
{
	int rc = rec_reader_next(r, rec);
	if (rc < 0)
		die("%s: %s", r->name, rec_reader_error(r));
	return rc;
}

/* ========================================================== object access */

int rec_str_eq(const msgpack_object *o, const char *s)
{
	if (!o || o->type != MSGPACK_OBJECT_STR)
		return 0;
	size_t n = strlen(s);
	return o->via.str.size == n && !memcmp(o->via.str.ptr, s, n);
}

const msgpack_object *rec_get(const msgpack_object *o, const char *key)
{
	if (!o || o->type != MSGPACK_OBJECT_MAP)
		return NULL;
	for (uint32_t i = 0; i < o->via.map.size; i++)
		if (rec_str_eq(&o->via.map.ptr[i].key, key))
			return &o->via.map.ptr[i].val;
	return NULL;
}

int rec_get_u64(const msgpack_object *o, const char *key, uint64_t *v)
{
	const msgpack_object *x = rec_get(o, key);
	if (!x)
		return 0;
	if (x->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*v = x->via.u64;
	return 1;
}

int rec_get_f64(const msgpack_object *o, const char *key, double *v)
{
	const msgpack_object *x = rec_get(o, key);
	if (!x)
		return 0;
	switch (x->type) {
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*v = x->via.f64;
		return 1;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*v = (double)x->via.u64;
		return 1;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*v = (double)x->via.i64;
		return 1;
	default:
		return -1;
	}
}

int rec_get_str(const msgpack_object *o, const char *key, const char **s,
		size_t *n)
{
	const msgpack_object *x = rec_get(o, key);
	if (!x)
		return 0;
	if (x->type != MSGPACK_OBJECT_STR)
		return -1;
	*s = x->via.str.ptr;
	*n = x->via.str.size;
	return 1;
}

int rec_get_bin(const msgpack_object *o, const char *key, const void **p,
		size_t *n)
{
	const msgpack_object *x = rec_get(o, key);
	if (!x)
		return 0;
	if (x->type != MSGPACK_OBJECT_BIN)
		return -1;
	*p = x->via.bin.ptr;
	*n = x->via.bin.size;
	return 1;
}

int rec_is_zstd_magic(const unsigned char *p, size_t n)
{
	if (n < 4)
		return 0;
	uint32_t m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		     (uint32_t)p[3] << 24;
	/* a zstd frame, or a skippable frame (0x184D2A50..5F) */
	return m == 0xFD2FB528u || (m & 0xFFFFFFF0u) == 0x184D2A50u;
}
