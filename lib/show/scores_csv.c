/*
 * scores_csv.c — scores as CSV for Neural Network Console (see
 * scores_csv.h).
 */
#include "scores_csv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../stream/ds.h"
#include "../stream/idset.h"
#include "../stream/scores.h"
#include "../util/util.h"
#include "image.h"

void scores_csv_write(FILE *f, size_t n, const uint64_t *id, const int *y,
		      const double *score, const unsigned char *want)
{
	size_t *ord = emalloc(emul(n ? n : 1, sizeof *ord)), m = 0;
	for (size_t i = 0; i < n; i++)
		if (!want || want[i])
			ord[m++] = i;
	scores_order(ord, m, score, id);
	fprintf(f, "x:image,y:label,influence,datasource_index\n");
	for (size_t q = 0; q < m; q++)
		fprintf(f, "%llu,%d,%.9g,%llu\n", (unsigned long long)id[ord[q]], y[ord[q]],
			score[ord[q]], (unsigned long long)id[ord[q]]);
	free(ord);
}

void scores_csv_write_from(FILE *f, size_t n, const uint64_t *id, const int *y,
			   const double *score, const unsigned char *want,
			   const char *train_path, const char *image_dir)
{
	if (!train_path || !strcmp(train_path, "-")) {
		if (image_dir)
			die("--image-dir reads the training set again: give --train a file, not stdin");
		scores_csv_write(f, n, id, y, score, want);
		return;
	}
	ds_set d;
	FILE *df = in_open(train_path);
	ds_set_load(&d, df, train_path);
	in_close(df);
	idmap at;
	idmap_init(&at);
	for (size_t i = 0; i < d.n; i++)
		idmap_put(&at, d.id[i], i);
	if (image_dir && mkdir(image_dir, 0777) != 0 && errno != EEXIST)
		die("mkdir %s:", image_dir);
	size_t *ord = emalloc(emul(n ? n : 1, sizeof *ord)), m = 0;
	for (size_t i = 0; i < n; i++)
		if (!want || want[i])
			ord[m++] = i;
	scores_order(ord, m, score, id);
	int names = d.h.class_names != NULL;
	fprintf(f, "x:image,y:label,%sinfluence,datasource_index\n", names ? "label_name," : "");
	for (size_t q = 0; q < m; q++) {
		size_t i = ord[q], j;
		if (!idmap_get(&at, id[i], &j))
			die("%s: example id %llu is not in it", train_path, (unsigned long long)id[i]);
		if (image_dir) {
			char *path = esprintf("%s/%llu.png", image_dir, (unsigned long long)id[i]);
			image im;
			image_init(&im, (int)d.h.w, (int)d.h.h, 0);
			image_draw_example(&im, 0, 0, 1, &d.h, d.x + j * d.xbytes);
			out_file o;
			out_open(&o, path, 1);
			image_write_png(&im, o.f, path);
			out_close(&o);
			image_free(&im);
			/* a path with a comma or quote is quoted, as CSV has it */
			if (strpbrk(path, ",\"\n")) {
				fputc('"', f);
				for (const char *c = path; *c; c++)
					fprintf(f, *c == '"' ? "\"\"" : "%c", *c);
				fputc('"', f);
			} else {
				fputs(path, f);
			}
			free(path);
		} else {
			fprintf(f, "%llu", (unsigned long long)id[i]);
		}
		fprintf(f, ",%d,", y[i]);
		if (names) {
			const char *nm = d.h.class_names[y[i]];
			if (strpbrk(nm, ",\"\n")) {
				fputc('"', f);
				for (const char *c = nm; *c; c++)
					fprintf(f, *c == '"' ? "\"\"" : "%c", *c);
				fputs("\",", f);
			} else {
				fprintf(f, "%s,", nm);
			}
		}
		fprintf(f, "%.9g,%llu\n", score[i], (unsigned long long)id[i]);
	}
	free(ord);
	idmap_free(&at);
	ds_set_free(&d);
}
