/*
 * sheet.c — the contact sheet and the HTML report of ds-sheet (sheet.h).
 */
#include "sheet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../stream/ids.h"
#include "../stream/predictions.h"
#include "../util/util.h"
#include "image.h"

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

void sheet_write_png(FILE *f, const char *name, const ds_set *d, const sheet_item *it, size_t k,
			int cols, int scale, const char *title, int have_pred, int have_flip)
{
	int iw = (int)d->h.w * scale, ih = (int)d->h.h * scale;
	int cw = (iw > CAP_CHARS * IMAGE_GLYPH_W ? iw : CAP_CHARS * IMAGE_GLYPH_W) + 12;
	int have_score = 0, have_suggest = 0;
	for (size_t q = 0; q < k; q++) {
		have_score |= !isnan(it[q].score);
		have_suggest |= it[q].suggest >= 0;
	}
	int lines = 2 + have_pred + have_score + have_flip + have_suggest;
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
	snprintf(legend, sizeof legend, "y: label%s%s%s%s", have_pred ? "; p: predicted, red if not y" : "",
		 have_score ? "; s: score" : "", have_suggest ? "; ->: suggested label" : "",
		 have_flip ? "; orange frame: a known flip (was: its label before)" : "");
	image_text(&im, 8, 4 + IMAGE_GLYPH_H, 1, 0x606060, legend, (W - 16) / IMAGE_GLYPH_W);
	for (size_t q = 0; q < k; q++) {
		const sheet_item *e = &it[q];
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
		if (have_suggest) {
			if (e->suggest >= 0) {
				class_label(lab, sizeof lab, &d->h, (uint32_t)e->suggest);
				snprintf(s, sizeof s, "-> %s", lab);
				image_text(&im, tx, ty, 1, 0x0050C0, s, CAP_CHARS);
			}
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

void sheet_write_html(FILE *f, const ds_set *d, const sheet_item *it, size_t k, int scale,
		       const char *title, int have_pred, int have_flip, size_t nflips)
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

	fputs("<h2>Flagged examples</h2>\n<table class=\"sortable\" id=\"flagged\"><thead><tr>"
	      "<th>rank</th><th>image</th><th>id</th><th>label</th>", f);
	if (have_pred)
		fputs("<th>predicted</th><th>p(predicted)</th>", f);
	fputs("<th>score</th>", f);
	int have_suggest = 0;
	for (size_t q = 0; q < k; q++)
		have_suggest |= it[q].suggest >= 0;
	if (have_suggest)
		fputs("<th>suggested label</th>", f);
	if (have_flip)
		fputs("<th>known flip (label before)</th>", f);
	fputs("</tr></thead><tbody>\n", f);
	for (size_t q = 0; q < k; q++) {
		const sheet_item *e = &it[q];
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
		if (have_suggest && e->suggest >= 0) {
			class_label(lab, sizeof lab, &d->h, (uint32_t)e->suggest);
			fprintf(f, "<td class=\"suggest\" data-v=\"%d\">", e->suggest);
			html_esc(f, lab);
			fputs("</td>", f);
		} else if (have_suggest) {
			fputs("<td></td>", f);
		}
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

/* ------------------------------------------------------------ the items */

sheet_item *sheet_from_scores(const score_set *s, int flagged, uint64_t kmax, const char *name,
			      size_t *k, size_t *m)
{
	size_t *ord = emalloc(emul(s->n ? s->n : 1, sizeof *ord));
	*m = s->n;
	for (size_t i = 0; i < s->n; i++)
		ord[i] = i;
	scores_order(ord, s->n, s->score, s->id);
	if (flagged) {
		/* as top-neg --flagged: the records flagged, or grad-outlier
		 * --count's `flagged` most negative */
		if (s->has_flag) {
			size_t n = 0;
			for (size_t q = 0; q < s->n; q++)
				if (s->flag[ord[q]])
					ord[n++] = ord[q];
			*m = n;
		} else if (s->flagged >= 0 && (uint64_t)s->flagged <= s->n) {
			*m = (size_t)s->flagged;
		} else {
			die("%s: no example is flagged: no record has a flag and the header no "
			    "flagged count", name);
		}
	}
	*k = *m < kmax ? *m : (size_t)kmax;
	sheet_item *it = ecalloc(*k ? *k : 1, sizeof *it);
	for (size_t q = 0; q < *k; q++) {
		size_t i = ord[q];
		/* a suggestion is for the flagged, where the scores flag */
		int sg = s->suggest[i] >= 0 && (!s->has_flag || s->flag[i]) ? s->suggest[i] : -1;
		it[q] = (sheet_item){ .id = s->id[i], .score = s->score[i], .suggest = sg };
	}
	free(ord);
	return it;
}

sheet_item *sheet_from_ids(const id_list *l, uint64_t kmax, size_t *k)
{
	*k = l->n < kmax ? l->n : (size_t)kmax;
	sheet_item *it = ecalloc(*k ? *k : 1, sizeof *it);
	for (size_t q = 0; q < *k; q++)
		it[q] = (sheet_item){ .id = l->v[q], .score = l->score ? l->score[q] : NAN,
				      .suggest = -1 };
	return it;
}

/* ------------------------------------------------------------------------ */

void sheet_locate(sheet_item *it, size_t k, const idmap *where, const char *in_name,
		  const char *train_path)
{
	for (size_t q = 0; q < k; q++) {
		if (!idmap_get(where, it[q].id, &it[q].at))
			die("%s: example id %llu is not in %s", in_name,
			    (unsigned long long)it[q].id, train_path);
		it[q].pred = -1;
		it[q].flip = -1;
	}
}

void sheet_mark_predictions(sheet_item *it, size_t k, const char *path)
{
	idmap at;
	idmap_init(&at);
	for (size_t q = 0; q < k; q++)
		idmap_put(&at, it[q].id, q);
	predictions_reader pr;
	predictions_open(&pr, path);
	uint64_t id, pred;
	float pp;
	while (predictions_next(&pr, &id, &pred, &pp)) {
		size_t q;
		if (!idmap_get(&at, id, &q))
			continue;
		it[q].pred = (int)pred;
		it[q].ppred = pp;
	}
	predictions_close(&pr);
	idmap_free(&at);
}

size_t sheet_mark_flips(sheet_item *it, size_t k, const char *path, uint32_t classes)
{
	id_list fl;
	FILE *ff = in_open(path);
	ids_read(&fl, ff, path);
	in_close(ff);
	idmap fm;
	idmap_init(&fm);
	for (size_t i = 0; i < fl.n; i++)
		idmap_put(&fm, fl.v[i], i);
	size_t nflips = fl.n;
	for (size_t q = 0; q < k; q++) {
		size_t j;
		if (idmap_get(&fm, it[q].id, &j))
			it[q].flip = fl.from && fl.from[j] != UINT32_MAX && fl.from[j] < classes
				     ? (int)fl.from[j] : -2;
	}
	idmap_free(&fm);
	ids_free(&fl);
	return nflips;
}
