/*
 * image.h — RGB canvases for pictures of examples (ds-sheet, inf-score
 * --image-dir): an example drawn from its dataset bytes, text in a small
 * built-in 5x7 bitmap font, and PNG output through libpng.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../stream/ds.h"

typedef struct image {
	int w, h;
	unsigned char *px;      /* h rows of w RGB triples, owned */
} image;

/* a w x h canvas filled with rgb (0xRRGGBB) */
void image_init(image *im, int w, int h, uint32_t rgb);
void image_free(image *im);
void image_fill(image *im, int x, int y, int w, int h, uint32_t rgb);
/* draw example x (ds_example_bytes(dh) bytes) at (x0, y0), each pixel a
 * scale x scale block: 1 channel as grey, 3 as RGB, otherwise the first
 * channel; f32 examples stretched from their own min..max to 0..255 */
void image_draw_example(image *im, int x0, int y0, int scale, const ds_header *dh,
			const unsigned char *x);
/* text in the 5x7 font, each glyph cell 6 x 9 pixels times scale, its top
 * left at (x0, y0); characters outside ASCII 32..126 drawn as '?'; at most
 * maxch characters (the last then '~'); returns the width drawn */
int image_text(image *im, int x0, int y0, int scale, uint32_t rgb, const char *s,
	       int maxch);
#define IMAGE_GLYPH_W 6
#define IMAGE_GLYPH_H 9
/* PNG encodings; exit with a message naming `name` on failure */
void image_write_png(const image *im, FILE *f, const char *name);
/* a malloc'd PNG of *n bytes: the caller frees */
unsigned char *image_png_mem(const image *im, size_t *n);

#endif
