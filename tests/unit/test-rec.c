/*
 * test-rec.c — the record stream layer over memory: round trips, buffer
 * growth, concatenated parts, and that every truncation and every corrupted
 * byte of a stream is reported as an error, never as a shorter stream.
 * Also CRC-32 against its standard check value.
 */
#include <string.h>
#include <zstd.h>

#include "../../formats/formats.h"
#include "../../lib/stream/rec.h"
#include "../../lib/util/crc32.h"
#include "../../lib/util/rand.h"
#include "../../lib/util/util.h"
#include "check.h"

static const char *const binding[] = { "shape", NULL };

/* a stream of n records {"i": i, "p": bin of size(i)} in memory */
static size_t size_of(uint64_t i)
{
	return i == 7 ? 3u << 20 : (size_t)(i * 37 % 1000);
}

static char *make_stream(int n, uint64_t shape, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	rec_writer *w = rec_writer_open(f, "mem");
	msgpack_packer *pk = rec_writer_pk(w);
	rec_header_begin(w, "test", 3, 1);
	pk_kv_u64(pk, "shape", shape);
	rec_writer_begin(w);
	unsigned char *p = emalloc(3u << 20);
	for (int i = 0; i < n; i++) {
		size_t m = size_of((uint64_t)i);
		for (size_t k = 0; k < m; k++)
			p[k] = (unsigned char)(i + k * 7);
		msgpack_pack_map(pk, 2);
		pk_kv_u64(pk, "i", (uint64_t)i);
		pk_kv_bin(pk, "p", p, m);
		rec_writer_commit(w);
	}
	CHECK(rec_writer_count(w) == (uint64_t)n, "writer count");
	rec_writer_close(w);
	fclose(f);
	free(p);
	return buf;
}

/* read all records; returns count, or -1 on error */
static long read_all(const char *buf, size_t len, int check_payload)
{
	rec_reader *r = rec_reader_open_mem(buf, len, "mem", "test", 3, binding);
	if (rec_reader_error(r)) {
		rec_reader_close(r);
		return -1;
	}
	const msgpack_object *o;
	int rc;
	long n = 0;
	while ((rc = rec_reader_next(r, &o)) == 1) {
		uint64_t i;
		const void *p;
		size_t m;
		CHECK(rec_get_u64(o, "i", &i) == 1, "record has i");
		CHECK(rec_get_bin(o, "p", &p, &m) == 1, "record has p");
		CHECK(rec_get_str(o, "i", &(const char *){ 0 }, &(size_t){ 0 }) == -1,
		      "wrong type is -1");
		if (check_payload) {
			CHECK(m == size_of(i), "payload size %zu for record %llu", m,
			      (unsigned long long)i);
			const unsigned char *q = p;
			for (size_t k = 0; k < m; k++)
				CHECK(q[k] == (unsigned char)(i + k * 7), "payload byte");
		}
		n++;
	}
	if (rc < 0)
		n = -1;
	rec_reader_close(r);
	return n;
}

static void test_crc(void)
{
	CHECK(crc32_update(0, "123456789", 9) == 0xCBF43926u, "CRC-32 check value");
	char buf[1000];
	for (int i = 0; i < 1000; i++)
		buf[i] = (char)(i * 31);
	uint32_t whole = crc32_update(0, buf, 1000);
	uint32_t parts = crc32_update(crc32_update(0, buf, 333), buf + 333, 667);
	CHECK(whole == parts, "CRC-32 incremental");
}

static void test_roundtrip(void)
{
	size_t len;
	char *s = make_stream(50, 4, &len);
	CHECK(read_all(s, len, 1) == 50, "round trip of 50 records (one of 3 MiB)");
	rec_reader *r = rec_reader_open_mem(s, len, "mem", "test", 3, binding);
	uint64_t v;
	CHECK(rec_get_u64(rec_reader_header(r), "shape", &v) == 1 && v == 4, "header kept");
	rec_reader_close(r);
	/* wrong kind and version are refused with the names in the message */
	r = rec_reader_open_mem(s, len, "mem", FMT_KIND_DATASET, FMT_VERSION_DATASET, NULL);
	CHECK(rec_reader_error(r) && strstr(rec_reader_error(r), "'test' stream, want 'dataset'"),
	      "kind error: %s", rec_reader_error(r));
	rec_reader_close(r);
	r = rec_reader_open_mem(s, len, "mem", "test", 4, NULL);
	CHECK(rec_reader_error(r) && strstr(rec_reader_error(r), "version 3"),
	      "version error: %s", rec_reader_error(r));
	rec_reader_close(r);
	/* an empty stream (header and trailer only) is fine */
	size_t elen;
	char *e = make_stream(0, 4, &elen);
	CHECK(read_all(e, elen, 1) == 0, "empty stream");
	free(e);
	free(s);
}

static void test_concat(void)
{
	size_t la, lb, lc;
	char *a = make_stream(5, 4, &la), *b = make_stream(9, 4, &lb),
	     *c = make_stream(2, 5, &lc);
	char *ab = emalloc(la + lb), *ac = emalloc(la + lc);
	memcpy(ab, a, la);
	memcpy(ab + la, b, lb);
	memcpy(ac, a, la);
	memcpy(ac + la, c, lc);
	CHECK(read_all(ab, la + lb, 1) == 14, "two parts read as one stream");
	rec_reader *r = rec_reader_open_mem(ac, la + lc, "mem", "test", 3, binding);
	const msgpack_object *o;
	int rc;
	while ((rc = rec_reader_next(r, &o)) == 1)
		;
	CHECK(rc == -1 && strstr(rec_reader_error(r), "disagree on 'shape'"),
	      "parts with another binding key refused: %s", rec_reader_error(r));
	rec_reader_close(r);
	free(a), free(b), free(c), free(ab), free(ac);
}

static void test_truncation(void)
{
	size_t len;
	char *s = make_stream(6, 4, &len);
	for (size_t cut = 0; cut < len; cut++)
		CHECK(read_all(s, cut, 0) == -1, "stream cut to %zu of %zu bytes "
		      "read without error", cut, len);
	free(s);
}

static void test_corruption(void)
{
	size_t len;
	char *s = make_stream(6, 4, &len);
	rng r;
	rng_init(&r, 42);
	for (int t = 0; t < 2000; t++) {
		size_t at = (size_t)rng_below(&r, len);
		unsigned char bit = (unsigned char)(1u << rng_below(&r, 8));
		s[at] ^= (char)bit;
		CHECK(read_all(s, len, 0) == -1, "flip of bit %u at byte %zu of "
		      "%zu not detected", bit, at, len);
		s[at] ^= (char)bit;
	}
	CHECK(read_all(s, len, 1) == 6, "restored stream reads");
	free(s);
}

static void test_not_zstd(void)
{
	const char text[] = "1\n2\n3\n";
	rec_reader *r = rec_reader_open_mem(text, sizeof text - 1, "mem", NULL, 0, NULL);
	CHECK(rec_reader_error(r) && strstr(rec_reader_error(r), "not zstd"),
	      "plain text refused: %s", rec_reader_error(r));
	rec_reader_close(r);
	r = rec_reader_open_mem("", 0, "mem", NULL, 0, NULL);
	CHECK(rec_reader_error(r) && strstr(rec_reader_error(r), "empty input"),
	      "empty input refused: %s", rec_reader_error(r));
	rec_reader_close(r);
}

/* a valid zstd frame holding a header, one record and a forged trailer */
static char *forged(uint64_t count, uint32_t crc_xor, size_t *len)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	pk_kv_str(&pk, "magic", FMT_MAGIC);
	pk_kv_str(&pk, "kind", "test");
	pk_kv_u64(&pk, "version", 3);
	size_t start = sb.size;
	msgpack_pack_map(&pk, 1);
	pk_kv_u64(&pk, "i", 1);
	uint32_t crc = crc32_update(0, sb.data + start, sb.size - start);
	msgpack_pack_map(&pk, 3);
	pk_kv_str(&pk, "end", FMT_MAGIC);
	pk_kv_u64(&pk, "count", count);
	pk_kv_u64(&pk, "crc32", crc ^ crc_xor);
	size_t cap = ZSTD_compressBound(sb.size);
	char *out = emalloc(cap);
	*len = ZSTD_compress(out, cap, sb.data, sb.size, 1);
	CHECK(!ZSTD_isError(*len), "compress");
	msgpack_sbuffer_destroy(&sb);
	return out;
}

static void test_trailer_checks(void)
{
	size_t len;
	char *s = forged(1, 0, &len);
	rec_reader *r = rec_reader_open_mem(s, len, "mem", "test", 3, NULL);
	const msgpack_object *o;
	CHECK(rec_reader_next(r, &o) == 1 && rec_reader_next(r, &o) == 0,
	      "an honest trailer passes");
	rec_reader_close(r);
	free(s);
	s = forged(2, 0, &len);
	r = rec_reader_open_mem(s, len, "mem", "test", 3, NULL);
	CHECK(rec_reader_next(r, &o) == 1 && rec_reader_next(r, &o) == -1 &&
	      strstr(rec_reader_error(r), "count mismatch"), "wrong count caught");
	rec_reader_close(r);
	free(s);
	s = forged(1, 0x100, &len);
	r = rec_reader_open_mem(s, len, "mem", "test", 3, NULL);
	CHECK(rec_reader_next(r, &o) == 1 && rec_reader_next(r, &o) == -1 &&
	      strstr(rec_reader_error(r), "checksum mismatch"), "wrong crc caught");
	rec_reader_close(r);
	free(s);
}

/* one record holding every msgpack type and size class, packed by hand */
static void pack_every_type(msgpack_packer *pk)
{
	static char big[70000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 13);
	msgpack_pack_map(pk, 5);
	pk_str(pk, "scalars");
	msgpack_pack_array(pk, 17);
	msgpack_pack_nil(pk);
	msgpack_pack_true(pk);
	msgpack_pack_false(pk);
	msgpack_pack_uint8(pk, 7);              /* fixint */
	msgpack_pack_uint64(pk, 200);           /* uint 8 */
	msgpack_pack_uint64(pk, 60000);         /* uint 16 */
	msgpack_pack_uint64(pk, 4000000000u);   /* uint 32 */
	msgpack_pack_uint64(pk, 1ull << 60);    /* uint 64 */
	msgpack_pack_int64(pk, -5);             /* negative fixint */
	msgpack_pack_int64(pk, -100);           /* int 8 */
	msgpack_pack_int64(pk, -30000);         /* int 16 */
	msgpack_pack_int64(pk, -2000000000);    /* int 32 */
	msgpack_pack_int64(pk, -(1ll << 60));   /* int 64 */
	msgpack_pack_float(pk, 1.5f);
	msgpack_pack_double(pk, -2.25);
	msgpack_pack_array(pk, 0);
	msgpack_pack_map(pk, 0);
	pk_str(pk, "sized");
	msgpack_pack_array(pk, 12);
	static const size_t n[] = { 3, 200, 1000, 70000 }; /* fix, 8, 16, 32 bits */
	for (int i = 0; i < 4; i++) {
		msgpack_pack_str_with_body(pk, big, n[i]);
		msgpack_pack_bin_with_body(pk, big, n[i]);
		msgpack_pack_ext_with_body(pk, big, n[i], (int8_t)i);
	}
	pk_str(pk, "fixext");
	msgpack_pack_array(pk, 5);
	for (size_t m = 1; m <= 16; m *= 2)
		msgpack_pack_ext_with_body(pk, big, m, 9);
	pk_str(pk, "nested");
	msgpack_pack_map(pk, 1);
	msgpack_pack_uint8(pk, 1);              /* a non-string key */
	msgpack_pack_array(pk, 20);             /* array 16 */
	for (int i = 0; i < 20; i++) {
		msgpack_pack_map(pk, 1);
		pk_kv_u64(pk, "i", (uint64_t)i);
	}
	pk_str(pk, "a32");
	msgpack_pack_array(pk, 70000);          /* array 32 */
	for (int i = 0; i < 70000; i++)
		msgpack_pack_uint32(pk, (uint32_t)i * 65599u);
}

/* The reader's scan resumes wherever a zstd frame ends: a stream holding the
 * record above in frames of k bytes each must give the record msgpack_unpack
 * gives, for every k, so every header and size field is once cut in two. */
static void test_scan_resume(void)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, 3);
	pk_kv_str(&pk, "magic", FMT_MAGIC);
	pk_kv_str(&pk, "kind", "test");
	pk_kv_u64(&pk, "version", 3);
	size_t start = sb.size;
	pack_every_type(&pk);
	size_t end = sb.size;
	msgpack_pack_map(&pk, 3);
	pk_kv_str(&pk, "end", FMT_MAGIC);
	pk_kv_u64(&pk, "count", 1);
	pk_kv_u64(&pk, "crc32", crc32_update(0, sb.data + start, end - start));
	msgpack_zone *z = msgpack_zone_new(MSGPACK_ZONE_CHUNK_SIZE);
	msgpack_object want;
	size_t off = start;
	CHECK(msgpack_unpack(sb.data, end, &off, z, &want) == MSGPACK_UNPACK_SUCCESS,
	      "the record unpacks");
	for (size_t k = 1; k <= 12; k++) {
		/* frames of k bytes across the record's head, then larger ones */
		size_t cap = 2 * sb.size + 64 * (sb.size / k + 1), len = 0;
		char *out = emalloc(cap);
		for (size_t at = 0; at < sb.size;) {
			size_t m = at < start + 400 ? k : 997 + k;
			if (m > sb.size - at)
				m = sb.size - at;
			size_t c = ZSTD_compress(out + len, cap - len, sb.data + at, m, 1);
			CHECK(!ZSTD_isError(c), "compress");
			len += c;
			at += m;
		}
		rec_reader *r = rec_reader_open_mem(out, len, "mem", "test", 3, NULL);
		const msgpack_object *o;
		CHECK(rec_reader_next(r, &o) == 1, "frames of %zu: %s", k,
		      rec_reader_error(r) ? rec_reader_error(r) : "no record");
		CHECK(msgpack_object_equal(*o, want), "frames of %zu: record differs", k);
		CHECK(rec_reader_next(r, &o) == 0, "frames of %zu: end", k);
		rec_reader_close(r);
		free(out);
	}
	msgpack_zone_free(z);
	msgpack_sbuffer_destroy(&sb);
}

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	test_crc();
	test_roundtrip();
	test_concat();
	test_truncation();
	test_corruption();
	test_not_zstd();
	test_trailer_checks();
	test_scan_resume();
	return 0;
}
