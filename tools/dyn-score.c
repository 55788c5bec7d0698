/*
 * dyn-score — score every training example from the training dynamics
 * cnn-train --dynamics recorded (formats/dynamics.md), with no second
 * model and no validation set, and write a scores stream
 * (formats/scores.md) that top-neg, ds-remove and ds-sheet take:
 *
 *   aum         the area under the margin (Pleiss et al., NeurIPS 2020):
 *               the mean over the example's presentations of its margin
 *               z_y − max_{k≠y} z_k; with --aum-fake examples in the run,
 *               the examples below the given percentile (99) of the fake
 *               examples' AUM are flagged
 *   forgetting  minus the forgetting events (Toneva et al., ICLR 2019):
 *               presentations at which an example classified right at its
 *               previous presentation is classified wrong; an example never
 *               classified right ranks below every other
 *   mean-loss   minus the mean of its training losses
 *
 * The most negative is the most suspect, as in every scores stream.
 *
 *   cnn-train --dynamics run.dyn --aum-fake 500 train.ds > run.tr
 *   dyn-score --method aum run.dyn | top-neg --flagged | ds-remove train.ds
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
#include "../lib/dynamics.h"
#include "../lib/idset.h"
#include "../lib/rec.h"
#include "../lib/util.h"

enum { M_AUM, M_FORGETTING, M_MEAN_LOSS };
static const char *const method_names[] = { "aum", "forgetting", "mean-loss" };

static const char *usage_text =
	"usage: dyn-score --method M [--percentile Q] [-o OUT] [-f] [-q] [DYNAMICS]\n"
	"  DYNAMICS        cnn-train --dynamics (default stdin)\n"
	"  --method M      aum (area under the margin), forgetting (minus the forgetting\n"
	"                  events) or mean-loss (minus the mean training loss)\n"
	"  --percentile Q  aum with fake examples: flag below the Q-th percentile of\n"
	"                  their AUM (default 99)\n"
	"  -o OUT          the scores (default stdout);  -f  to a terminal;  -q  quiet\n";

/* what the presentations of one example add up to */
typedef struct ex_stat {
	uint64_t id;
	uint32_t y;
	uint64_t seen;          /* presentations */
	double margin, loss;    /* sums, in stream order */
	uint64_t forgot;        /* right at the previous presentation, wrong now */
	int last_hit;           /* -1 before the first */
	int learned;            /* right at least once */
} ex_stat;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* the q-th percentile of v[0..n) (sorted in place) as numpy.percentile
 * computes it by default (linear): h = (n − 1)·q/100 between the order
 * statistics a = v[⌊h⌋] and b = v[⌊h⌋ + 1], a + (b − a)·t for t = h − ⌊h⌋
 * below 1/2 and b − (b − a)·(1 − t) from 1/2 on */
static double percentile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof *v, cmp_double);
	double h = (double)(n - 1) * (q / 100);
	size_t lo = (size_t)floor(h), hi = lo + 1 < n ? lo + 1 : n - 1;
	double t = h - (double)lo, a = v[lo], b = v[hi], diff = b - a;
	return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "method", required_argument, 0, 'm' }, { "percentile", required_argument, 0, 'P' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *out_path = NULL, *method_name = NULL;
	int force = 0, quiet = 0, method = -1, opt;
	double pct = 99;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': method_name = optarg; break;
		case 'P': pct = estrtod(optarg, 0, 100, "--percentile"); break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (!method_name)
		die_usage("--method is required (aum, forgetting or mean-loss)");
	for (int k = 0; k < 3; k++)
		if (!strcmp(method_name, method_names[k]))
			method = k;
	if (method < 0)
		die_usage("bad --method '%s' (want aum, forgetting or mean-loss)", method_name);
	if (argc - optind > 1)
		die_usage("at most one DYNAMICS");
	const char *in_path = optind < argc ? argv[optind] : NULL;
	const char *in_name = in_path && strcmp(in_path, "-") ? in_path : "stdin";

	FILE *in = in_open_for(in_path, "pipe a dynamics stream in, or name the file "
			       "(cnn-train --dynamics FILE)");
	dyn_reader dr;
	dyn_reader_open(&dr, in, in_name);
	const dyn_header *h = &dr.h;
	uint32_t fake = h->fake ? (uint32_t)h->classes : UINT32_MAX;
	idmap at;
	idmap_init(&at);
	ex_stat *ex = NULL;
	size_t n = 0, cap = 0;
	uint64_t steps = 0;
	while (dyn_reader_next(&dr)) {
		const dyn_step *s = &dr.step;
		steps++;
		for (int j = 0; j < s->n; j++) {
			size_t i;
			if (!idmap_get(&at, s->ids[j], &i)) {
				if (n == cap) {
					cap = cap ? 2 * cap : 1024;
					ex = erealloc(ex, emul(cap, sizeof *ex));
				}
				i = n++;
				ex[i] = (ex_stat){ .id = s->ids[j], .y = s->y[j], .last_hit = -1 };
				idmap_put(&at, s->ids[j], i);
			}
			ex_stat *e = &ex[i];
			if (e->y != s->y[j])
				die("%s: step %ld: example id %llu trained as %u, earlier as %u", in_name,
				    s->step, (unsigned long long)e->id, s->y[j], e->y);
			e->seen++;
			e->margin += s->margin[j];
			e->loss += s->loss[j];
			e->forgot += e->last_hit == 1 && !s->hit[j];
			e->last_hit = s->hit[j];
			e->learned |= s->hit[j];
		}
	}
	if (n > h->train_n)
		die("%s: %zu examples seen, the header says %llu trained", in_name, n,
		    (unsigned long long)h->train_n);

	/* the scores of the real examples; the fake ones set the threshold */
	uint64_t most = 0, never = 0;
	size_t nfake = 0, nreal = 0;
	for (size_t i = 0; i < n; i++) {
		if (ex[i].y == fake) {
			nfake++;
			continue;
		}
		nreal++;
		most = ex[i].seen > most ? ex[i].seen : most;
	}
	double *score = emalloc(emul(n ? n : 1, sizeof *score));
	double *fk = emalloc(emul(nfake ? nfake : 1, sizeof *fk));
	size_t q = 0;
	for (size_t i = 0; i < n; i++) {
		const ex_stat *e = &ex[i];
		double aum = e->margin / (double)e->seen;
		if (e->y == fake) {
			fk[q++] = aum;
			continue;
		}
		switch (method) {
		case M_AUM: score[i] = aum; break;
		case M_FORGETTING:
			never += !e->learned;
			score[i] = !e->learned ? -(double)most : e->forgot ? -(double)e->forgot : 0;
			break;
		default: score[i] = -e->loss / (double)e->seen;
		}
	}
	int flags = method == M_AUM && nfake > 0;
	double threshold = flags ? percentile(fk, nfake, pct) : 0;
	size_t flagged = 0;
	for (size_t i = 0; flags && i < n; i++)
		flagged += ex[i].y != fake && score[i] < threshold;

	out_file out;
	out_open(&out, out_path, force);
	rec_writer *w = rec_writer_open(out.f, out_path ? out_path : "stdout");
	msgpack_packer *pk = rec_writer_pk(w);
	rec_header_begin(w, FMT_KIND_SCORES, FMT_VERSION_SCORES,
			 9 + (flags ? 3 : 0) + (method == M_FORGETTING));
	pk_kv_str(pk, "method", method_names[method]);
	pk_kv_str(pk, "net", h->net);
	pk_kv_u64(pk, "train_n", h->train_n);
	pk_kv_u64(pk, "train_digest", h->train_digest);
	pk_kv_u64(pk, "n", nreal);
	pk_kv_u64(pk, "epochs", (uint64_t)h->epochs);
	pk_kv_u64(pk, "steps", steps);
	pk_kv_u64(pk, "fake", nfake);
	pk_kv_u64(pk, "unseen", h->train_n - n);
	if (flags) {
		pk_kv_f64(pk, "percentile", pct);
		pk_kv_f64(pk, "threshold", threshold);
		pk_kv_u64(pk, "flagged", flagged);
	}
	if (method == M_FORGETTING)
		pk_kv_u64(pk, "never_learned", never);
	rec_writer_begin(w);
	for (size_t i = 0; i < n; i++) {
		if (ex[i].y == fake)
			continue;
		msgpack_pack_map(pk, flags ? 4 : 3);
		pk_kv_u64(pk, "id", ex[i].id);
		pk_kv_u64(pk, "y", ex[i].y);
		pk_kv_f64(pk, "score", score[i]);
		if (flags) {
			pk_str(pk, "flag");
			score[i] < threshold ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		}
		rec_writer_commit(w);
	}
	rec_writer_close(w);
	out_close(&out);
	if (!quiet) {
		warn("%zu examples scored by %s over %llu steps of %d epochs%s", nreal,
		     method_names[method], (unsigned long long)steps, h->epochs,
		     nfake ? "; the fake examples left out" : "");
		if (flags)
			warn("threshold %.6g (percentile %g of %zu fake examples' AUM): %zu "
			     "flagged", threshold, pct, nfake, flagged);
		else if (method == M_AUM)
			warn("no fake examples (cnn-train --aum-fake N): no threshold, nothing flagged");
		if (h->train_n > n)
			warn("%llu training examples never seen (left out by --skip): not scored",
			     (unsigned long long)(h->train_n - n));
		if (method == M_FORGETTING && never)
			warn("%llu examples never classified right: ranked first", (unsigned long long)never);
	}
	free(score), free(fk), free(ex);
	idmap_free(&at);
	dyn_reader_close(&dr);
	in_close(in);
	return 0;
}
