/*
 * fuzz-cifar.c — libFuzzer harness over ds-import's CIFAR-10 binary
 * reader (lib/import/cifar.c): the input is one batch file. See fuzz.h.
 */
#include "fuzz.h"

#include "../../lib/import/import.h"

static void one(const uint8_t *d, size_t n)
{
	importer imp = { 0 };   /* its memory goes with the sweep */
	char *p = (char *)fuzz_file("batch.bin", d, n);
	import_cifar(&imp, &p, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
