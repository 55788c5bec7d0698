/*
 * fuzz-cifar-png.c — libFuzzer harness over ds-import's reader of CIFAR-10
 * as PNG sheets and JSON labels (lib/import/cifar_png.c). The first byte
 * k: the labels file is the next min(k * 4, rest) bytes, the PNG sheet the
 * remainder. See fuzz.h.
 */
#include "fuzz.h"

#include <stdio.h>

#include "../../lib/import/import.h"

static void one(const uint8_t *d, size_t n)
{
	importer imp = { 0 };   /* its memory goes with the sweep */
	size_t k = n ? (size_t)d[0] * 4 : 0;
	if (n)
		d++, n--;
	if (k > n)
		k = n;
	char a[128];
	snprintf(a, sizeof a, "%s", fuzz_file("labels.json", d, k));
	char *p = (char *)fuzz_file("sheet.png", d + k, n - k);
	import_cifar_png(&imp, a, &p, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	fuzz_call(one, d, n);
	return 0;
}
