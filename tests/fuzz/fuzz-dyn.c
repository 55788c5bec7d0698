/*
 * fuzz-dyn.c — libFuzzer harness over the dynamics reader (lib/stream/dynamics.c,
 * formats/dynamics.md) as dyn-score reads it. See fuzz.h.
 */
#include "fuzz.h"

#include "../../lib/stream/dynamics.h"

static void one(const uint8_t *d, size_t n)
{
	dyn_reader r;
	dyn_reader_open(&r, fuzz_stream(d, n), "fuzz");
	while (dyn_reader_next(&r))
		;
	dyn_reader_close(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
