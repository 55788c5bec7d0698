/*
 * fuzz-idx.c — libFuzzer harness over ds-import's IDX reader
 * (lib/import/idx.c). The first byte k: the images file is the next
 * min(k * 8, rest) bytes, the labels file the remainder. See fuzz.h.
 */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>

#include "../../lib/import/import.h"

static void one(const uint8_t *d, size_t n)
{
	importer imp = { 0 };   /* its memory goes with the sweep */
	size_t k = n ? (size_t)d[0] * 8 : 0;
	if (n)
		d++, n--;
	if (k > n)
		k = n;
	char a[128];
	snprintf(a, sizeof a, "%s", fuzz_file("images", d, k));
	import_idx(&imp, a, fuzz_file("labels", d + k, n - k));
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
