/*
 * fuzz-trace.c — libFuzzer harness over the trace reader (lib/stream/trace.c,
 * formats/trace.md): the header (trace_header_read) and the step, theta
 * and metric records, as theta-cache and cnn-eval read them. See fuzz.h.
 */
#include "fuzz.h"

#include "../../lib/stream/trace.h"

static void one(const uint8_t *d, size_t n)
{
	trace_reader tr;
	trace_reader_open(&tr, fuzz_stream(d, n), "fuzz", FMT_KIND_TRACE);
	while (trace_reader_next(&tr))
		;
	trace_reader_close(&tr);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
