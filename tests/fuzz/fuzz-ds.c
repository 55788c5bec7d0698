/*
 * fuzz-ds.c — libFuzzer harness over the dataset reader (lib/stream/ds.c,
 * formats/dataset.md). See fuzz.h.
 */
#include "fuzz.h"

#include <stdlib.h>

#include "../../lib/stream/ds.h"

static void one(const uint8_t *d, size_t n)
{
	ds_reader r;
	ds_reader_open(&r, fuzz_stream(d, n), "fuzz");
	ds_example ex = { 0, 0, malloc(r.xbytes + 1) };
	while (ds_reader_next(&r, &ex) == 1)
		;
	free(ex.x);
	ds_reader_close(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
