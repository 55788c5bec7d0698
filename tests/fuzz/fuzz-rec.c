/*
 * fuzz-rec.c — libFuzzer harness over the record stream framing
 * (lib/stream/rec.c): zstd frames, the msgpack objects inside, the header and
 * part rules, and the typed getters. See fuzz.h.
 */
#include "fuzz.h"

#include "../../lib/stream/rec.h"

static void one(const uint8_t *d, size_t n)
{
	rec_reader *r = rec_reader_open(fuzz_stream(d, n), "fuzz", NULL, 0, NULL);
	const msgpack_object *o;
	while (rec_reader_next(r, &o) == 1) {
		uint64_t u;
		double f;
		const char *s;
		const void *p;
		size_t len;
		rec_get_u64(o, "id", &u);
		rec_get_f64(o, "score", &f);
		rec_get_str(o, "t", &s, &len);
		rec_get_bin(o, "x", &p, &len);
	}
	rec_reader_error(r);
	rec_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
