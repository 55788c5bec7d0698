/*
 * scores_csv.h — scores as the CSV that Neural Network Console reads
 * (inf-score --csv, grad-outlier --csv), optionally with each example
 * written as a PNG beside it (--image-dir): the one writer of scores that
 * draws pictures, so it lives with the pictures, not with the scores
 * stream (lib/stream/scores.h).
 */
#ifndef SCORES_CSV_H
#define SCORES_CSV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* scores of examples 0..n) with want[i] (want NULL: all) as CSV
 * (x:image,y:label,influence,datasource_index), most negative first */
void scores_csv_write(FILE *f, size_t n, const uint64_t *id, const int *y,
		      const double *score, const unsigned char *want);
/* the same, with the training set's path (NULL, or "-": not read): a
 * label_name column after y:label when it names its classes, and with
 * image_dir (may be NULL) each example written to image_dir/ID.png
 * (created if need be; the example at its own size, as ds-sheet draws
 * it) and that path in x:image, as Neural Network Console's CSV has it.
 * Exits with a message on failure. */
void scores_csv_write_from(FILE *f, size_t n, const uint64_t *id, const int *y,
			   const double *score, const unsigned char *want,
			   const char *train_path, const char *image_dir);

#endif
