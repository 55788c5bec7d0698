/*
 * ds-sheet — look at the examples a stage flagged: from a dataset and a
 * scores stream (the k most negative) or an ids list (in its order), a
 * contact sheet, one PNG of the examples in a grid, each captioned with its
 * id, label (and class name), predicted label and probability where
 * cnn-eval's predictions are given, score, the label the scores suggest
 * (label-issues), and the label it had before a known flip; or (--html) one self-contained HTML report: the same examples
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
#include "../lib/sheet.h"
#include "../lib/scores.h"
#include "../lib/util.h"

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

/* predicted label and its probability for the ids in want */
static void read_predictions(sheet_item *it, size_t k, const char *path)
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
		size_t *ord = emalloc(emul(s.n ? s.n : 1, sizeof *ord)), m = s.n;
		for (size_t i = 0; i < s.n; i++)
			ord[i] = i;
		scores_order(ord, s.n, s.score, s.id);
		if (flagged) {
			/* as top-neg --flagged: the records flagged, or grad-outlier
			 * --count's `flagged` most negative */
			if (s.has_flag) {
				for (size_t q = m = 0; q < s.n; q++)
					if (s.flag[ord[q]])
						ord[m++] = ord[q];
			} else if (s.flagged >= 0 && (uint64_t)s.flagged <= s.n) {
				m = (size_t)s.flagged;
			} else {
				die("%s: no example is flagged: no record has a flag and the header no "
				    "flagged count", in_name);
			}
		}
		k = m < kmax ? m : (size_t)kmax;
		it = ecalloc(k ? k : 1, sizeof *it);
		for (size_t q = 0; q < k; q++) {
			size_t i = ord[q];
			/* a suggestion is for the flagged, where the scores flag */
			int sg = s.suggest[i] >= 0 && (!s.has_flag || s.flag[i]) ? s.suggest[i] : -1;
			it[q] = (sheet_item){ .id = s.id[i], .score = s.score[i], .suggest = sg };
		}
		if (flagged)
			snprintf(title, sizeof title, "%s: %zu of the %zu flagged by %s (of %zu)",
				 train_path, k, m, s.method, s.n);
		else
			snprintf(title, sizeof title, "%s: the %zu most negative of %zu %s scores",
				 train_path, k, s.n, s.method);
		free(ord);
		scores_free(&s);
	} else {
		if (flagged)
			die_usage("--flagged takes a scores stream; %s is ids", in_name);
		id_list l;
		ids_read(&l, mf, in_name);
		if (l.has_train && (l.train_n != d.n || l.train_digest != digest))
			warn("%s: ids cut from the scores of another training set (digest %08x; "
			     "%s has %08x)", in_name, l.train_digest, train_path, digest);
		k = l.n < kmax ? l.n : (size_t)kmax;
		it = ecalloc(k ? k : 1, sizeof *it);
		for (size_t q = 0; q < k; q++)
			it[q] = (sheet_item){ .id = l.v[q], .score = l.score ? l.score[q] : NAN,
					      .suggest = -1 };
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
	if (flip_path) {
		id_list fl;
		FILE *ff = in_open(flip_path);
		ids_read(&fl, ff, flip_path);
		in_close(ff);
		idmap fm;
		idmap_init(&fm);
		for (size_t i = 0; i < fl.n; i++)
			idmap_put(&fm, fl.v[i], i);
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
