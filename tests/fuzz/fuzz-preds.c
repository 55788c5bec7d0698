/*
 * fuzz-preds.c — libFuzzer harness over the predictions reader
 * (lib/stream/predictions.c, formats/predictions.md) as label-issues
 * loads it, several parts included. See fuzz.h.
 */
#include "fuzz.h"

#include "../../lib/stream/predictions.h"

static void one(const uint8_t *d, size_t n)
{
	predictions_set s;
	predictions_load(&s, fuzz_stream(d, n), "fuzz");
	predictions_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
