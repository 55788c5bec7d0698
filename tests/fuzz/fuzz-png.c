/*
 * fuzz-png.c — libFuzzer harness over ds-import's PNG reader
 * (lib/import/png.c), as ds-import csv and dir read each image: the input
 * is one PNG; the first byte's low bits pick --channels (auto, 1 or 3).
 * See fuzz.h.
 */
#include "fuzz.h"

#include "../../lib/import/import.h"

static void one(const uint8_t *d, size_t n)
{
	importer imp = { 0 };   /* its memory goes with the sweep */
	imp.channels = n ? (uint32_t[]){ 0, 1, 3, 0 }[d[0] & 3] : 0;
	import_png(&imp, fuzz_file("x.png", d, n), 0, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
