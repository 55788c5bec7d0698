/*
 * fuzz-ids.c — libFuzzer harness over the id list reader (lib/stream/ids.c): an
 * ids stream or text, one id a line. An input whose first byte is 'z' is
 * the msgpack of a stream (the rest, compressed here); any other is read
 * as it is, text or zstd. See fuzz.h.
 */
#include "fuzz.h"

#include <stdio.h>

#include "../../lib/stream/ids.h"

static void one(const uint8_t *d, size_t n)
{
	FILE *f;
	if (n && d[0] == 'z')
		f = fuzz_stream(d + 1, n - 1);
	else
		f = n ? fmemopen((void *)d, n, "rb") : fopen("/dev/null", "rb");
	id_list l;
	ids_read(&l, f, "fuzz");
	ids_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
