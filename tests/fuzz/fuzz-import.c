/*
 * fuzz-import.c — libFuzzer harnesses over ds-import's readers: IDX, the
 * CIFAR-10 binary, the CSV list and the PNGs it names. tools/ds-import.c
 * is compiled in (its main renamed) so its own static readers are the
 * ones fuzzed; the Makefile builds this file four times, with
 * -DIMPORT_IDX, -DIMPORT_CIFAR, -DIMPORT_CSV or -DIMPORT_PNG. See fuzz.h.
 *
 *   idx    the first byte k: the images file is the next
 *          min(k * 8, rest) bytes, the labels file the remainder
 *   cifar  the input is one batch file
 *   csv    the input is the list; it may name a.png (a valid 2x3 gray
 *          image) and b.png (a valid 2x3 RGB one), beside it
 *   png    the input is one PNG, read as ds-import csv reads each image;
 *          the first byte's low bits pick --channels (auto, 1 or 3)
 */
#define main ds_import_main
#include "../../tools/ds-import.c"
#undef main

#include "fuzz.h"

static void reset(void)
{
	memset(&set, 0, sizeof set);    /* its memory went with the sweep */
	classes_opt = channels_opt = 0;
	names_opt = NULL;
	quiet = 1;
}

#if defined(IMPORT_IDX)
static void one(const uint8_t *d, size_t n)
{
	size_t k = n ? (size_t)d[0] * 8 : 0;
	if (n)
		d++, n--;
	if (k > n)
		k = n;
	char a[128];
	snprintf(a, sizeof a, "%s", fuzz_file("images", d, k));
	import_idx(a, fuzz_file("labels", d + k, n - k));
}
#elif defined(IMPORT_CIFAR)
static void one(const uint8_t *d, size_t n)
{
	char *p = (char *)fuzz_file("batch.bin", d, n);
	import_cifar(&p, 1);
}
#elif defined(IMPORT_CSV)
static void one(const uint8_t *d, size_t n)
{
	import_csv(fuzz_file("list.csv", d, n));
}
#elif defined(IMPORT_PNG)
static void one(const uint8_t *d, size_t n)
{
	channels_opt = n ? (uint32_t[]){ 0, 1, 3, 0 }[d[0] & 3] : 0;
	add_image(fuzz_file("x.png", d, n), 0, 0);
}
#else
#error "build with -DIMPORT_IDX, -DIMPORT_CIFAR, -DIMPORT_CSV or -DIMPORT_PNG"
#endif

#if defined(IMPORT_CSV)
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
#endif

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
#if defined(IMPORT_CSV)
	static int init;
	if (!init) {
		write_png("a.png", 0);
		write_png("b.png", 1);
		init = 1;
	}
#endif
	reset();
	fuzz_call(one, d, n);
	reset();
	return 0;
}
