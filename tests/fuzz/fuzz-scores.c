/*
 * fuzz-scores.c — libFuzzer harness over the scores reader (lib/stream/scores.c,
 * formats/scores.md) as top-neg loads it. See fuzz.h.
 */
#include "fuzz.h"

#include "../../lib/stream/scores.h"

static void one(const uint8_t *d, size_t n)
{
	score_set s;
	scores_load(&s, fuzz_stream(d, n), "fuzz");
	scores_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
