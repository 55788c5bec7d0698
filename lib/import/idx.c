/*
 * idx.c — MNIST and Fashion-MNIST IDX files (ds-import idx IMAGES
 * LABELS; see import.h): an image file (magic 0x00000803) and a label file
 * (0x00000801), plain or gzip; example i is the i-th image, id i.
 */
#include "import.h"

#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

void import_idx(importer *imp, const char *images, const char *labels)
{
	size_t ni, nl;
	unsigned char *im = import_slurp(images, &ni), *lb = import_slurp(labels, &nl);
	if (ni >= 8 && nl >= 16 && import_be32(im) == 0x801 && import_be32(lb) == 0x803)
		die("%s is a label file and %s an image file: give the images first "
		    "(ds-import idx IMAGES LABELS)", images, labels);
	if (ni < 16 || import_be32(im) != 0x803)
		die("%s: not an IDX image file (magic 0x00000803)", images);
	if (nl < 8 || import_be32(lb) != 0x801)
		die("%s: not an IDX label file (magic 0x00000801)", labels);
	uint64_t n = import_be32(im + 4), rows = import_be32(im + 8), cols = import_be32(im + 12);
	if (!rows || !cols || rows * cols > 1 << 24)
		die("%s: absurd image size %llux%llu", images,
		    (unsigned long long)rows, (unsigned long long)cols);
	if (ni != 16 + n * rows * cols)
		die("%s: %zu bytes, header announces %llu images of %llux%llu "
		    "(%llu bytes)", images, ni, (unsigned long long)n,
		    (unsigned long long)rows, (unsigned long long)cols,
		    (unsigned long long)(16 + n * rows * cols));
	if (import_be32(lb + 4) != n || nl != 8 + n)
		die("%s: %llu labels for %llu images", labels,
		    (unsigned long long)import_be32(lb + 4), (unsigned long long)n);
	imp->set.h = (ds_header){ .c = 1, .h = (uint32_t)rows, .w = (uint32_t)cols,
			     .dtype = DS_U8 };
	imp->set.xbytes = rows * cols;
	const char *base = strrchr(images, '/');
	imp->set.h.source = esprintf("idx:%s", base ? base + 1 : images);
	for (uint64_t i = 0; i < n; i++)
		ds_set_add(&imp->set, i, lb[8 + i], im + 16 + i * rows * cols);
	free(im);
	free(lb);
}
