/*
 * ds-sheet — look at the examples a stage flagged: from a dataset and a
 * scores stream (the k most negative) or an ids list (in its order), a
 * contact sheet, one PNG of the examples in a grid, each captioned with its
 * id, label (and class name), predicted label and probability where
 * cnn-eval's predictions are given, score, and the label it had before a
 * known flip; or (--html) one self-contained HTML report: the same examples
 * as inlined images in a sortable table, the counts per class, and how many
 * of the flagged are known flips.
 *
 *   top-neg -n 100 < scores | ds-sheet --train train.ds -o flagged.png
 *   ds-sheet --train train.ds --html --flipped flipped.ids -o report.html scores
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
#include "../lib/ds.h"
#include "../lib/ids.h"
#include "../lib/idset.h"
#include "../lib/image.h"
#include "../lib/scores.h"
#include "../lib/util.h"

static const char *usage_text =
	"usage: ds-sheet --train DATASET [-k K] [--cols C] [--scale S] [--predictions FILE]\n"
	"                [--flipped IDS] [--html] [-o OUT] [-f] [-q] [SCORES | IDS]\n"
	"  --train DATASET     the dataset the scores or ids are of\n"
	"  SCORES | IDS        a scores stream (its K most negative are shown) or ids\n"
	"                      (stream or text, shown in their order); default stdin\n"
	"  -k K                at most K examples (default 100)\n"
	"  --cols C            examples per row of the PNG (default 10)\n"
	"  --scale S           pixels per example pixel (default: about 84 pixels a side)\n"
	"  --predictions FILE  cnn-eval --predictions: predicted label and probability\n"
	"  --flipped IDS       known flips (ds-noise --flipped): marked, and counted\n"
	"  --html              one self-contained HTML report instead of a PNG\n"
	"  -o OUT              output (default stdout; a PNG is not written to a terminal)\n";

/* one example shown */
typedef struct item {
	uint64_t id;
	size_t at;              /* index into the dataset */
	double score;           /* NAN: unknown */
	int pred;               /* -1: unknown */
	double ppred;           /* probability of pred */
	int flip;               /* -1: not a known flip; else the label before (or -2: unknown) */
} item;

#define CAP_CHARS 15            /* caption characters per cell */

static void class_label(char *buf, size_t n, const ds_header *h, uint32_t y)
{
	char num[16];
	snprintf(num, sizeof num, "%u", y);
	if (h->class_names && strcmp(h->class_names[y], num))
		snprintf(buf, n, "%u %s", y, h->class_names[y]);
	else
		snprintf(buf, n, "%u", y);
}

/* ---------------------------------------------------------------- PNG */

static void write_sheet(FILE *f, const char *name, const ds_set *d, const item *it, size_t k,
			int cols, int scale, const char *title, int have_pred, int have_flip)
{
	int iw = (int)d->h.w * scale, ih = (int)d->h.h * scale;
	int cw = (iw > CAP_CHARS * IMAGE_GLYPH_W ? iw : CAP_CHARS * IMAGE_GLYPH_W) + 12;
	int have_score = 0;
	for (size_t q = 0; q < k; q++)
		have_score |= !isnan(it[q].score);
	int lines = 2 + have_pred + have_score + have_flip;
	int ch = 6 + ih + 6 + lines * IMAGE_GLYPH_H + 6;
	int rows = (int)((k + (size_t)cols - 1) / (size_t)cols);
	if (rows == 0)
		rows = 1;
	int ncol = k < (size_t)cols ? (int)(k ? k : 1) : cols;
	int top = 2 * IMAGE_GLYPH_H + 8;
	int W = ncol * cw + 8;
	if (W < 70 * IMAGE_GLYPH_W + 16)
		W = 70 * IMAGE_GLYPH_W + 16;
	image im;
	image_init(&im, W, top + rows * ch + 4, 0xFFFFFF);
	image_text(&im, 8, 4, 1, 0x000000, title, (W - 16) / IMAGE_GLYPH_W);
	char legend[256];
	snprintf(legend, sizeof legend, "y: label%s%s%s", have_pred ? "; p: predicted, red if not y" : "",
		 have_score ? "; s: score" : "",
		 have_flip ? "; orange frame: a known flip (was: its label before)" : "");
	image_text(&im, 8, 4 + IMAGE_GLYPH_H, 1, 0x606060, legend, (W - 16) / IMAGE_GLYPH_W);
	for (size_t q = 0; q < k; q++) {
		const item *e = &it[q];
		int x0 = 4 + (int)(q % (size_t)cols) * cw, y0 = top + (int)(q / (size_t)cols) * ch;
		int ix = x0 + (cw - iw) / 2, iy = y0 + 6;
		uint32_t frame = e->flip != -1 ? 0xE08000 : 0xB0B0B0;
		image_fill(&im, ix - 3, iy - 3, iw + 6, ih + 6, frame);
		image_fill(&im, ix - 1, iy - 1, iw + 2, ih + 2, 0xFFFFFF);
		image_draw_example(&im, ix, iy, scale, &d->h, d->x + e->at * d->xbytes);
		char s[64], lab[48];
		int tx = x0 + 6, ty = iy + ih + 6;
		uint32_t y = d->y[e->at];
		snprintf(s, sizeof s, "%zu. id %llu", q + 1, (unsigned long long)e->id);
		image_text(&im, tx, ty, 1, 0x000000, s, CAP_CHARS);
		ty += IMAGE_GLYPH_H;
		class_label(lab, sizeof lab, &d->h, y);
		snprintf(s, sizeof s, "y %s", lab);
		image_text(&im, tx, ty, 1, 0x000000, s, CAP_CHARS);
		ty += IMAGE_GLYPH_H;
		if (have_pred) {
			if (e->pred >= 0) {
				class_label(lab, sizeof lab, &d->h, (uint32_t)e->pred);
				snprintf(s, sizeof s, "p %.2f %s", e->ppred, lab);
			} else {
				snprintf(s, sizeof s, "p ?");
			}
			image_text(&im, tx, ty, 1, e->pred >= 0 && (uint32_t)e->pred != y ? 0xD00000 : 0x000000,
				   s, CAP_CHARS);
			ty += IMAGE_GLYPH_H;
		}
		if (have_score) {
			if (isnan(e->score))
				snprintf(s, sizeof s, "s ?");
			else
				snprintf(s, sizeof s, "s %.4g", e->score);
			image_text(&im, tx, ty, 1, 0x404040, s, CAP_CHARS);
			ty += IMAGE_GLYPH_H;
		}
		if (have_flip && e->flip != -1) {
			if (e->flip >= 0) {
				class_label(lab, sizeof lab, &d->h, (uint32_t)e->flip);
				snprintf(s, sizeof s, "was %s", lab);
			} else {
				snprintf(s, sizeof s, "flipped");
			}
			image_text(&im, tx, ty, 1, 0xC06000, s, CAP_CHARS);
		}
	}
	image_write_png(&im, f, name);
	image_free(&im);
}

/* ---------------------------------------------------------------- HTML */

static void html_esc(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

static void base64(FILE *f, const unsigned char *p, size_t n)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		fputc(t[v >> 18], f), fputc(t[(v >> 12) & 63], f);
		fputc(i + 1 < n ? t[(v >> 6) & 63] : '=', f);
		fputc(i + 2 < n ? t[v & 63] : '=', f);
	}
}

static const char *html_js =
	"<script>\n"
	"document.querySelectorAll('table.sortable th').forEach(function (th, i) {\n"
	"  th.onclick = function () {\n"
	"    var b = th.closest('table').tBodies[0], rows = Array.prototype.slice.call(b.rows);\n"
	"    var dir = th.dataset.dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';\n"
	"    rows.sort(function (a, c) {\n"
	"      var x = a.cells[i].dataset.v || a.cells[i].textContent,\n"
	"          y = c.cells[i].dataset.v || c.cells[i].textContent;\n"
	"      var nx = parseFloat(x), ny = parseFloat(y);\n"
	"      var v = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);\n"
	"      return dir === 'asc' ? v : -v;\n"
	"    });\n"
	"    rows.forEach(function (r) { b.appendChild(r); });\n"
	"  };\n"
	"});\n"
	"</script>\n";

static void write_html(FILE *f, const ds_set *d, const item *it, size_t k, int scale,
		       const char *title, int have_pred, int have_flip, size_t nflips,
		       const idset *flipset)
{
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", f);
	html_esc(f, title);
	fputs("</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:1.5em;color:#111}\n"
	      "table{border-collapse:collapse;margin:1em 0}\n"
	      "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}\n"
	      "th{background:#eee;cursor:pointer}\n"
	      "td.img{padding:2px;background:#fff}\n"
	      "tr.flip td{background:#ffe3c0}\n"
	      "td.wrong{color:#c00;font-weight:bold}\n"
	      "</style></head><body>\n<h1>", f);
	html_esc(f, title);
	fputs("</h1>\n", f);
	size_t hit = 0;
	for (size_t q = 0; q < k; q++)
		hit += it[q].flip != -1;
	fprintf(f, "<p id=\"summary\">%zu examples flagged of %zu.", k, d->n);
	if (have_flip)
		fprintf(f, " <b id=\"flips\">%zu of the %zu flagged are known flips</b> "
			"(%.1f%%), %zu of the %zu known flips (%.1f%%).", hit, k,
			k ? 100.0 * (double)hit / (double)k : 0.0, hit, nflips,
			nflips ? 100.0 * (double)hit / (double)nflips : 0.0);
	fputs(" Click a column's title to sort by it.</p>\n", f);

	/* per class: examples, flagged, flagged flips */
	size_t K = d->h.classes, *all = ecalloc(K, sizeof *all), *fl = ecalloc(K, sizeof *fl),
	       *ff = ecalloc(K, sizeof *ff);
	for (size_t i = 0; i < d->n; i++)
		all[d->y[i]]++;
	for (size_t q = 0; q < k; q++) {
		fl[d->y[it[q].at]]++;
		ff[d->y[it[q].at]] += it[q].flip != -1;
	}
	fputs("<h2>Per class</h2>\n<table class=\"sortable\" id=\"classes\"><thead><tr>"
	      "<th>class</th><th>name</th><th>examples</th><th>flagged</th>", f);
	if (have_flip)
		fputs("<th>flagged flips</th>", f);
	fputs("</tr></thead><tbody>\n", f);
	for (size_t c = 0; c < K; c++) {
		if (!all[c] && !fl[c])
			continue;
		fprintf(f, "<tr><td>%zu</td><td>", c);
		if (d->h.class_names)
			html_esc(f, d->h.class_names[c]);
		fprintf(f, "</td><td>%zu</td><td>%zu</td>", all[c], fl[c]);
		if (have_flip)
			fprintf(f, "<td>%zu</td>", ff[c]);
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	free(all), free(fl), free(ff);
	(void)flipset;

	fputs("<h2>Flagged examples</h2>\n<table class=\"sortable\" id=\"flagged\"><thead><tr>"
	      "<th>rank</th><th>image</th><th>id</th><th>label</th>", f);
	if (have_pred)
		fputs("<th>predicted</th><th>p(predicted)</th>", f);
	fputs("<th>score</th>", f);
	if (have_flip)
		fputs("<th>known flip (label before)</th>", f);
	fputs("</tr></thead><tbody>\n", f);
	for (size_t q = 0; q < k; q++) {
		const item *e = &it[q];
		uint32_t y = d->y[e->at];
		image im;
		image_init(&im, (int)d->h.w * scale, (int)d->h.h * scale, 0xFFFFFF);
		image_draw_example(&im, 0, 0, scale, &d->h, d->x + e->at * d->xbytes);
		size_t n;
		unsigned char *png = image_png_mem(&im, &n);
		image_free(&im);
		char lab[96];
		fprintf(f, "<tr%s><td>%zu</td><td class=\"img\" data-v=\"%zu\"><img alt=\"id %llu\" "
			"src=\"data:image/png;base64,", e->flip != -1 ? " class=\"flip\"" : "", q + 1,
			q + 1, (unsigned long long)e->id);
		base64(f, png, n);
		free(png);
		fprintf(f, "\"></td><td>%llu</td><td data-v=\"%u\">", (unsigned long long)e->id, y);
		class_label(lab, sizeof lab, &d->h, y);
		html_esc(f, lab);
		fputs("</td>", f);
		if (have_pred) {
			if (e->pred >= 0) {
				class_label(lab, sizeof lab, &d->h, (uint32_t)e->pred);
				fprintf(f, "<td data-v=\"%d\"%s>", e->pred,
					(uint32_t)e->pred != y ? " class=\"wrong\"" : "");
				html_esc(f, lab);
				fprintf(f, "</td><td>%.4f</td>", e->ppred);
			} else {
				fputs("<td></td><td></td>", f);
			}
		}
		if (isnan(e->score))
			fputs("<td></td>", f);
		else
			fprintf(f, "<td>%.6g</td>", e->score);
		if (have_flip) {
			if (e->flip >= 0) {
				class_label(lab, sizeof lab, &d->h, (uint32_t)e->flip);
				fputs("<td>yes (", f);
				html_esc(f, lab);
				fputs(")</td>", f);
			} else {
				fputs(e->flip == -2 ? "<td>yes</td>" : "<td></td>", f);
			}
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table>\n", f);
	fputs(html_js, f);
	fputs("</body></html>\n", f);
}

/* ---------------------------------------------------------------- inputs */

/* the whole of f */
static unsigned char *slurp(FILE *f, const char *name, size_t *n)
{
	size_t cap = 1 << 16, len = 0;
	unsigned char *buf = emalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap >= FMT_MAX_OBJECT)
				die("%s: larger than %u MiB", name, FMT_MAX_OBJECT >> 20);
			buf = erealloc(buf, cap *= 2);
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (!got) {
			if (ferror(f))
				die("read %s:", name);
			break;
		}
	}
	*n = len;
	return buf;
}

/* predicted label and its probability for the ids in want */
static void read_predictions(item *it, size_t k, const char *path)
{
	idmap at;
	idmap_init(&at);
	for (size_t q = 0; q < k; q++)
		idmap_put(&at, it[q].id, q);
	FILE *f = in_open(path);
	rec_reader *r = rec_reader_open_or_die(f, path, FMT_KIND_PREDICTIONS,
					       FMT_VERSION_PREDICTIONS, NULL);
	const msgpack_object *o;
	while (rec_reader_next_or_die(r, &o)) {
		uint64_t id, pred;
		const void *p;
		size_t n, q;
		if (rec_get_u64(o, "id", &id) != 1 || rec_get_u64(o, "pred", &pred) != 1 ||
		    rec_get_bin(o, "p", &p, &n) != 1 || pred >= n / 4)
			die("%s: record %llu: want id, pred and p", path,
			    (unsigned long long)rec_reader_count(r) - 1);
		if (!idmap_get(&at, id, &q))
			continue;
		float pp;
		memcpy(&pp, (const unsigned char *)p + 4 * pred, 4);
		it[q].pred = (int)pred;
		it[q].ppred = pp;
	}
	rec_reader_close(r);
	in_close(f);
	idmap_free(&at);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "train", required_argument, 0, 'T' }, { "cols", required_argument, 0, 'C' },
		{ "scale", required_argument, 0, 'S' }, { "predictions", required_argument, 0, 'P' },
		{ "flipped", required_argument, 0, 'F' }, { "html", no_argument, 0, 'H' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *train_path = NULL, *out_path = NULL, *pred_path = NULL, *flip_path = NULL;
	int force = 0, quiet = 0, html = 0, cols = 10, scale = 0, opt;
	uint64_t kmax = 100;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "k:o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'T': train_path = optarg; break;
		case 'k': kmax = estrtou64(optarg, 1u << 20, "-k"); break;
		case 'C': cols = (int)estrtou64(optarg, 1000, "--cols"); break;
		case 'S': scale = (int)estrtou64(optarg, 64, "--scale"); break;
		case 'P': pred_path = optarg; break;
		case 'F': flip_path = optarg; break;
		case 'H': html = 1; break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (!train_path)
		die_usage("give the dataset with --train DATASET");
	if (argc - optind > 1)
		die_usage("at most one SCORES or IDS");
	if (cols < 1 || kmax < 1)
		die_usage("--cols and -k must be at least 1");
	const char *in_path = optind < argc ? argv[optind] : NULL;
	const char *in_name = in_path && strcmp(in_path, "-") ? in_path : "stdin";
	if ((!in_path || !strcmp(in_path, "-")) && !strcmp(train_path, "-"))
		die_usage("the dataset and the scores cannot both come from stdin");

	/* the scores or ids: told apart by the stream's kind */
	FILE *in = in_open_for(in_path, "pipe a scores or ids stream in (inf-score ... | ds-sheet "
			       "--train DATASET), or name the file");
	size_t nbuf;
	unsigned char *buf = slurp(in, in_name, &nbuf);
	in_close(in);
	int is_scores = 0;
	if (rec_is_zstd_magic(buf, nbuf)) {
		rec_reader *r = rec_reader_open_mem(buf, nbuf, in_name, NULL, 0, NULL);
		const msgpack_object *h = rec_reader_header(r);
		is_scores = h && rec_str_eq(rec_get(h, "kind"), FMT_KIND_SCORES);
		rec_reader_close(r);
	}
	FILE *mf = fmemopen(buf, nbuf ? nbuf : 1, "rb");
	if (!mf)
		die("fmemopen:");
	if (!nbuf)
		fgetc(mf);      /* an empty input stays empty */
	ds_set d;
	FILE *df = in_open(train_path);
	ds_set_load(&d, df, strcmp(train_path, "-") ? train_path : "stdin");
	in_close(df);
	idmap where;
	idmap_init(&where);
	uint32_t digest = 0;
	for (size_t i = 0; i < d.n; i++) {
		idmap_put(&where, d.id[i], i);
		digest = ds_digest_update(digest, d.id[i], d.y[i], d.x + i * d.xbytes, d.xbytes);
	}

	item *it = NULL;
	size_t k = 0;
	char title[256];
	if (is_scores) {
		score_set s;
		scores_load(&s, mf, in_name);
		if (s.train_digest != digest)
			warn("%s: scores of another training set (digest %08x; %s has %08x)",
			     in_name, s.train_digest, train_path, digest);
		size_t *ord = emalloc(emul(s.n ? s.n : 1, sizeof *ord));
		for (size_t i = 0; i < s.n; i++)
			ord[i] = i;
		scores_order(ord, s.n, s.score, s.id);
		k = s.n < kmax ? s.n : (size_t)kmax;
		it = ecalloc(k ? k : 1, sizeof *it);
		for (size_t q = 0; q < k; q++)
			it[q] = (item){ .id = s.id[ord[q]], .score = s.score[ord[q]] };
		snprintf(title, sizeof title, "%s: the %zu most negative of %zu %s scores", train_path,
			 k, s.n, s.method);
		free(ord);
		scores_free(&s);
	} else {
		id_list l;
		ids_read(&l, mf, in_name);
		if (l.has_train && (l.train_n != d.n || l.train_digest != digest))
			warn("%s: ids cut from the scores of another training set (digest %08x; "
			     "%s has %08x)", in_name, l.train_digest, train_path, digest);
		k = l.n < kmax ? l.n : (size_t)kmax;
		it = ecalloc(k ? k : 1, sizeof *it);
		for (size_t q = 0; q < k; q++)
			it[q] = (item){ .id = l.v[q], .score = l.score ? l.score[q] : NAN };
		snprintf(title, sizeof title, "%s: %zu of %zu ids%s%s", train_path, k, l.n,
			 l.method ? " from " : "", l.method ? l.method : "");
		ids_free(&l);
	}
	fclose(mf);
	free(buf);
	for (size_t q = 0; q < k; q++) {
		if (!idmap_get(&where, it[q].id, &it[q].at))
			die("%s: example id %llu is not in %s", in_name,
			    (unsigned long long)it[q].id, train_path);
		it[q].pred = -1;
		it[q].flip = -1;
	}
	if (pred_path)
		read_predictions(it, k, pred_path);
	size_t nflips = 0;
	idset flipset;
	idset_init(&flipset);
	if (flip_path) {
		id_list fl;
		FILE *ff = in_open(flip_path);
		ids_read(&fl, ff, flip_path);
		in_close(ff);
		idmap fm;
		idmap_init(&fm);
		for (size_t i = 0; i < fl.n; i++) {
			idmap_put(&fm, fl.v[i], i);
			idset_add(&flipset, fl.v[i]);
		}
		nflips = fl.n;
		for (size_t q = 0; q < k; q++) {
			size_t j;
			if (idmap_get(&fm, it[q].id, &j))
				it[q].flip = fl.from && fl.from[j] != UINT32_MAX && fl.from[j] < d.h.classes
					     ? (int)fl.from[j] : -2;
		}
		idmap_free(&fm);
		ids_free(&fl);
	}
	if (!scale) {
		uint32_t side = d.h.w > d.h.h ? d.h.w : d.h.h;
		scale = side >= 84 ? 1 : (int)(84 / side);
	}

	out_file out;
	out_open(&out, out_path, force || html);
	if (html)
		write_html(out.f, &d, it, k, scale, title, pred_path != NULL, flip_path != NULL,
			   nflips, &flipset);
	else
		write_sheet(out.f, out_path ? out_path : "stdout", &d, it, k, cols, scale, title,
			    pred_path != NULL, flip_path != NULL);
	out_close(&out);
	if (!quiet) {
		size_t hit = 0;
		for (size_t q = 0; q < k; q++)
			hit += it[q].flip != -1;
		if (flip_path)
			warn("%zu examples shown; %zu of them known flips (of %zu)", k, hit, nflips);
		else
			warn("%zu examples shown", k);
	}
	free(it);
	idset_free(&flipset);
	idmap_free(&where);
	ds_set_free(&d);
	return 0;
}
