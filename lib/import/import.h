/*
 * import.h — datasets in the layouts they are published in, read into a
 * dataset in memory (ds-import writes it as a stream, formats/dataset.md).
 * One file per layout, each with its libFuzzer harness (tests/fuzz/):
 *
 *   idx.c        MNIST / Fashion-MNIST IDX files         import_idx
 *   cifar.c      CIFAR-10 binary batches                  import_cifar
 *   cifar_png.c  CIFAR-10 as PNG sheets and JSON labels   import_cifar_png
 *   csv.c        a CSV list of PNG images                 import_csv
 *   dir.c        a folder of class folders of PNG images  import_dir
 *   png.c        one PNG image (csv's and dir's)          import_png
 *   file.c       a whole file, gzip inflated
 *
 * Each example's id is its index in the source (formats/dataset.md). The
 * readers exit through die() with a message naming the file on bad input.
 */
#ifndef IMPORT_H
#define IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "../stream/ds.h"

/* a dataset being imported */
typedef struct importer {
	ds_set set;             /* the examples read and their header (shape,
				 * source; dir: classes and names), owned:
				 * ds_set_free */
	uint32_t channels;      /* csv, dir: 1 (gray) or 3 (RGB); 0: as the
				 * first image is */
	uint32_t classes;       /* the classes the source implies (cifar: 10,
				 * unless set before); 0: none */
	const char *names;      /* the class names it implies (cifar:
				 * "cifar10", unless set before); NULL: none */
} importer;

/* the readers: each adds the examples of its source to imp->set and fills
 * in its header, or exits with a message */
void import_idx(importer *imp, const char *images, const char *labels);
void import_cifar(importer *imp, char **files, int nfiles);
void import_cifar_png(importer *imp, const char *labels, char **files, int nfiles);
void import_csv(importer *imp, const char *list);
void import_dir(importer *imp, const char *dir);
/* one PNG as example id with label y; the first image fixes the shape (and
 * the channels, unless imp->channels is set), later ones must match it */
void import_png(importer *imp, const char *path, uint64_t id, uint32_t y);

/* the file at path, whole, inflated if it is gzip (one or more members);
 * *n its size; caller frees. Exits on a read error. */
unsigned char *import_slurp(const char *path, size_t *n);
/* exits with a message naming path if the PNG in b (n bytes) has a chunk
 * longer than the file or compressed pixels that inflate to more than its
 * rows can hold; anything else it leaves to libpng */
void import_png_check(const char *path, const unsigned char *b, size_t n);

static inline uint32_t import_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
