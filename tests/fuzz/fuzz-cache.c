/*
 * fuzz-cache.c — libFuzzer harness over the cache reader (lib/score/cache.c,
 * formats/cache.md) as inf-score loads it. The training set it is checked
 * against is made to fit the header (ids 0..train_n-1, at most 4096, and
 * the header's digest), so the records are read rather than refused at
 * the first check. See fuzz.h.
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "../../lib/score/cache.h"

static void one(const uint8_t *d, size_t n)
{
	cache c;
	cache_open(&c, fuzz_stream(d, n), "fuzz");
	data train;
	memset(&train, 0, sizeof train);
	train.n = c.tr.h.train_n <= 4096 ? c.tr.h.train_n : 4096;
	train.digest = c.tr.h.train_digest;
	train.id = malloc(train.n * sizeof *train.id + 1);
	for (size_t i = 0; i < train.n; i++)
		train.id[i] = i;
	cache_read(&c, &train);
	free(train.id);
	cache_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
