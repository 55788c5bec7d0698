/*
 * fuzz-csv.c — libFuzzer harness over ds-import's CSV list reader
 * (lib/import/csv.c): the input is the list; it may name a.png (a valid
 * 2x3 gray image) and b.png (a valid 2x3 RGB one), beside it. See fuzz.h.
 */
#include "fuzz.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/import/import.h"

static void one(const uint8_t *d, size_t n)
{
	importer imp = { 0 };   /* its memory goes with the sweep */
	import_csv(&imp, fuzz_file("list.csv", d, n));
}

static void write_png(const char *name, int rgb)
{
	unsigned char px[18];
	for (int i = 0; i < 18; i++)
		px[i] = (unsigned char)(i * 14);
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = 3;
	img.height = 2;
	img.format = rgb ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	size_t sz;
	png_image_write_to_memory(&img, NULL, &sz, 0, px, 0, NULL);
	unsigned char *buf = malloc(sz);
	if (!png_image_write_to_memory(&img, buf, &sz, 0, px, 0, NULL))
		abort();
	fuzz_file(name, buf, sz);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static int init;
	if (!init) {
		write_png("a.png", 0);
		write_png("b.png", 1);
		init = 1;
	}
	fuzz_call(one, d, n);
	return 0;
}
