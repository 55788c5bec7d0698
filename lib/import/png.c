/*
 * png.c — one PNG image as one example (ds-import csv and dir; see
 * import.h), read through libpng's simplified API after a check of its
 * compressed pixels (a decompression bomb is refused before libpng
 * inflates it).
 */
#include "import.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../../formats/formats.h"
#include "../util/util.h"

/* A decompression bomb: libpng inflates all of the IDAT stream, also what
 * follows the last row, so a 1 MB file can make it inflate a gigabyte. So
 * the IDAT stream is inflated here first, and refused once it gives more
 * than the image's rows can hold (twice the filtered size, plus slack for
 * interlacing). Other damage is left to libpng to report. */
void import_png_check(const char *path, const unsigned char *b, size_t n)
{
	static const int chans[7] = { 1, 0, 3, 1, 2, 0, 4 };
	if (n < 33 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) || memcmp(b + 12, "IHDR", 4))
		return;
	uint64_t w = import_be32(b + 16), h = import_be32(b + 20), depth = b[24], ct = b[25];
	if (ct > 6 || !chans[ct] || !w || !h || depth > 16)
		return;
	uint64_t rowbytes = (w * (uint64_t)chans[ct] * depth + 7) / 8;
	uint64_t limit = 2 * h * (1 + rowbytes) + 65536;
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK)
		die("%s: zlib: out of memory", path);
	unsigned char out[1 << 16];
	uint64_t got = 0;
	int ret = Z_OK;
	for (size_t at = 8; at + 8 <= n && ret == Z_OK;) {
		uint64_t len = import_be32(b + at);
		/* libpng reserves and clears what a chunk announces before
		 * reading it: a 215-byte file of such chunks took seconds */
		if (n - at < 12 || len > n - at - 12) {
			inflateEnd(&z);
			die("%s: PNG chunk '%.4s' announces %llu bytes, %zu are left "
			    "(truncated?)", path, (const char *)b + at + 4,
			    (unsigned long long)len, n - at < 12 ? 0 : n - at - 12);
		}
		if (!memcmp(b + at + 4, "IDAT", 4)) {
			z.next_in = (unsigned char *)b + at + 8;
			z.avail_in = (uInt)len;
			do {
				z.next_out = out;
				z.avail_out = sizeof out;
				ret = inflate(&z, Z_NO_FLUSH);
				got += sizeof out - z.avail_out;
				if (got > limit) {
					inflateEnd(&z);
					die("%s: compressed pixels inflate to over %llu bytes, for "
					    "an image of %llux%llu (a decompression bomb?)", path,
					    (unsigned long long)limit, (unsigned long long)w,
					    (unsigned long long)h);
				}
			} while (ret == Z_OK && (z.avail_in || !z.avail_out));
		}
		at += 12 + len;
	}
	inflateEnd(&z);
}

static unsigned char *read_png(const char *path, uint32_t *c, uint32_t *h,
			       uint32_t *w)
{
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	size_t nb;
	unsigned char *b = import_slurp(path, &nb);
	import_png_check(path, b, nb);
	if (!png_image_begin_read_from_memory(&img, b, nb))
		die("%s: cannot read PNG: %s", path, img.message);
	uint32_t ch = *c ? *c : (img.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
	img.format = ch == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	if ((uint64_t)img.width * img.height * ch > FMT_MAX_EXAMPLE)
		die("%s: image too large (%ux%u)", path, img.width, img.height);
	unsigned char *px = emalloc(PNG_IMAGE_SIZE(img));
	if (!png_image_finish_read(&img, NULL, px, 0, NULL))
		die("%s: cannot decode PNG: %s", path, img.message);
	free(b);
	*c = ch;
	*h = img.height;
	*w = img.width;
	return px;
}

void import_png(importer *imp, const char *path, uint64_t id, uint32_t y)
{
	uint32_t c = imp->set.n ? imp->set.h.c : imp->channels, h, w;
	unsigned char *px = read_png(path, &c, &h, &w);
	if (!imp->set.n && !imp->set.xbytes) {
		imp->set.h = (ds_header){ .c = c, .h = h, .w = w, .dtype = DS_U8 };
		imp->set.xbytes = (size_t)c * h * w;
	} else if (h != imp->set.h.h || w != imp->set.h.w)
		die("%s: image is %ux%u, earlier images are %ux%u", path, w, h,
		    imp->set.h.w, imp->set.h.h);
	/* (H, W, C) -> (C, H, W) */
	unsigned char *chw = emalloc(imp->set.xbytes);
	for (uint32_t k = 0; k < c; k++)
		for (size_t i = 0; i < (size_t)h * w; i++)
			chw[k * (size_t)h * w + i] = px[i * c + k];
	ds_set_add(&imp->set, id, y, chw);
	free(chw);
	free(px);
}
