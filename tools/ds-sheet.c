/*
 * ds-sheet — look at the examples a stage flagged: from a dataset and a
 * scores stream (the k most negative) or an ids list (in its order), a
 * contact sheet, one PNG of the examples in a grid, each captioned with its
 * id, label (and class name), predicted label and probability where
 * cnn-eval's predictions are given, score, the label the scores suggest
 * (label-issues), and the label it had before a known flip; or (--html)
 * one self-contained HTML report: the same examples as inlined images in a
 * sortable table, the counts per class, and how many of the flagged are
 * known flips. --flagged takes the examples the scores flag, as top-neg
 * --flagged does.
 *
 *   top-neg -n 100 < scores | ds-sheet --train train.ds -o flagged.png
 *   ds-sheet --train train.ds --html --flipped flipped.ids -o report.html scores
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
#include "../lib/show/sheet.h"
#include "../lib/stream/ds.h"
#include "../lib/stream/ids.h"
#include "../lib/stream/idset.h"
#include "../lib/stream/scores.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: ds-sheet --train DATASET [-k K] [--flagged] [--cols C] [--scale S]\n"
	"                [--predictions FILE] [--flipped IDS] [--html] [-o OUT] [-f] [-q] [SCORES | IDS]\n"
	"  --train DATASET     the dataset the scores or ids are of\n"
	"  SCORES | IDS        a scores stream (its K most negative are shown) or ids\n"
	"                      (stream or text, shown in their order); default stdin\n"
	"  -k K                at most K examples (default 100)\n"
	"  --flagged           of SCORES, the flagged examples (top-neg --flagged), most negative first\n"
	"  --cols C            examples per row of the PNG (default 10)\n"
	"  --scale S           pixels per example pixel (default: about 84 pixels a side)\n"
	"  --predictions FILE  cnn-eval --predictions: predicted label and probability\n"
	"  --flipped IDS       known flips (ds-noise --flipped): marked, and counted\n"
	"  --html              one self-contained HTML report instead of a PNG\n"
	"  -o OUT              output (default stdout; a PNG is not written to a terminal)\n";

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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "train", required_argument, 0, 'T' }, { "cols", required_argument, 0, 'C' },
		{ "scale", required_argument, 0, 'S' }, { "predictions", required_argument, 0, 'P' },
		{ "flipped", required_argument, 0, 'F' }, { "html", no_argument, 0, 'H' },
		{ "flagged", no_argument, 0, 'g' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *train_path = NULL, *out_path = NULL, *pred_path = NULL, *flip_path = NULL;
	int force = 0, quiet = 0, html = 0, cols = 10, scale = 0, flagged = 0, opt;
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
		case 'g': flagged = 1; break;
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

	sheet_item *it = NULL;
	size_t k = 0;
	char title[256];
	if (is_scores) {
		score_set s;
		scores_load(&s, mf, in_name);
		if (s.train_digest != digest)
			warn("%s: scores of another training set (digest %08x; %s has %08x)",
			     in_name, s.train_digest, train_path, digest);
		size_t m;
		it = sheet_from_scores(&s, flagged, kmax, in_name, &k, &m);
		if (flagged)
			snprintf(title, sizeof title, "%s: %zu of the %zu flagged by %s (of %zu)",
				 train_path, k, m, s.method, s.n);
		else
			snprintf(title, sizeof title, "%s: the %zu most negative of %zu %s scores",
				 train_path, k, s.n, s.method);
		scores_free(&s);
	} else {
		if (flagged)
			die_usage("--flagged takes a scores stream; %s is ids", in_name);
		id_list l;
		ids_read(&l, mf, in_name);
		if (l.has_train && (l.train_n != d.n || l.train_digest != digest))
			warn("%s: ids cut from the scores of another training set (digest %08x; "
			     "%s has %08x)", in_name, l.train_digest, train_path, digest);
		it = sheet_from_ids(&l, kmax, &k);
		snprintf(title, sizeof title, "%s: %zu of %zu ids%s%s", train_path, k, l.n,
			 l.method ? " from " : "", l.method ? l.method : "");
		ids_free(&l);
	}
	fclose(mf);
	free(buf);
	sheet_locate(it, k, &where, in_name, train_path);
	if (pred_path)
		sheet_mark_predictions(it, k, pred_path);
	size_t nflips = flip_path ? sheet_mark_flips(it, k, flip_path, d.h.classes) : 0;
	if (!scale) {
		uint32_t side = d.h.w > d.h.h ? d.h.w : d.h.h;
		scale = side >= 84 ? 1 : (int)(84 / side);
	}

	out_file out;
	out_open(&out, out_path, force || html);
	if (html)
		sheet_write_html(out.f, &d, it, k, scale, title, pred_path != NULL, flip_path != NULL,
			   nflips);
	else
		sheet_write_png(out.f, out_path ? out_path : "stdout", &d, it, k, cols, scale, title,
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
	idmap_free(&where);
	ds_set_free(&d);
	return 0;
}
