/*
 * top-neg — pick from a scores stream the examples to remove: the n most
 * negative scores (or a fraction of them, or all below a threshold, or the
 * ones the scores flag), or, as the control, n chosen at random (seeded)
 * from the same examples. Writes an
 * ids stream (formats/ids.md) with each id's score, or plain text.
 *
 *   top-neg -n 500 < scores | ds-remove train.ds > cleaned.ds
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/stream/ids.h"
#include "../lib/stream/scores.h"
#include "../lib/util/rand.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: top-neg (-n N | --frac F | --below T | --flagged | --random N) [--seed S] [--text]\n"
	"               [-o OUT] [-f] [-q] [SCORES]\n"
	"  -n N          the N most negative scores (ties: smaller id first)\n"
	"  --frac F      the round(F * count) most negative\n"
	"  --below T     every example scoring below T\n"
	"  --flagged     the examples the scores flag (label-issues, dyn-score, grad-outlier\n"
	"                --count), most negative first\n"
	"  --random N    N examples at random (seeded): the random-removal control\n"
	"  --text        plain text, one id per line, instead of an ids stream\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "frac", required_argument, 0, 'F' }, { "below", required_argument, 0, 'B' },
		{ "random", required_argument, 0, 'r' }, { "seed", required_argument, 0, 's' },
		{ "text", no_argument, 0, 't' }, { "flagged", no_argument, 0, 'g' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *out_path = NULL;
	int force = 0, quiet = 0, text = 0, modes = 0, flagged = 0, opt;
	uint64_t n = 0, seed = 0, nrand = 0;
	double frac = -1, below = NAN;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "n:o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': n = estrtou64(optarg, UINT64_MAX, "-n"); modes++; break;
		case 'F': frac = estrtod(optarg, 0, 1, "--frac"); modes++; break;
		case 'B': below = estrtod(optarg, -1e300, 1e300, "--below"); modes++; break;
		case 'r': nrand = estrtou64(optarg, UINT64_MAX, "--random"); modes++; break;
		case 's': seed = estrtou64(optarg, UINT64_MAX, "--seed"); break;
		case 't': text = 1; break;
		case 'g': flagged = 1; modes++; break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (modes != 1)
		die_usage("give exactly one of -n, --frac, --below, --flagged and --random");
	if (argc - optind > 1)
		die_usage("at most one SCORES");
	const char *in_path = optind < argc ? argv[optind] : NULL;
	FILE *in = in_open_for(in_path, "pipe a scores stream in (inf-score ... | top-neg), "
			       "or name the SCORES file");
	score_set s;
	const char *in_name = in_path && strcmp(in_path, "-") ? in_path : "stdin";
	scores_load(&s, in, in_name);
	in_close(in);

	size_t *ord = emalloc(emul(s.n ? s.n : 1, sizeof *ord)), k;
	for (size_t i = 0; i < s.n; i++)
		ord[i] = i;
	const char *what = "top-neg";
	if (nrand) {
		if (nrand > s.n)
			die("--random %llu: only %zu examples scored", (unsigned long long)nrand, s.n);
		/* id order first, so the choice does not depend on the stream's order */
		double *zero = ecalloc(s.n ? s.n : 1, sizeof *zero);
		scores_order(ord, s.n, zero, s.id);
		free(zero);
		rng r;
		rng_init_for(&r, seed, "top-neg random");
		for (size_t i = s.n; i > 1; i--) {
			size_t j = (size_t)rng_below(&r, i), t = ord[i - 1];
			ord[i - 1] = ord[j];
			ord[j] = t;
		}
		k = (size_t)nrand;
		what = "random";
	} else {
		scores_order(ord, s.n, s.score, s.id);
		if (flagged && s.has_flag) {
			/* the flagged records, in score order */
			for (size_t q = k = 0; q < s.n; q++)
				if (s.flag[ord[q]])
					ord[k++] = ord[q];
			what = "flagged";
		} else if (flagged) {
			/* grad-outlier --count: the `flagged` most negative */
			if (s.flagged < 0)
				die("%s: no example is flagged: no record has a flag and the header no "
				    "flagged count", in_name);
			if ((uint64_t)s.flagged > s.n)
				die("%s: the header flags %lld examples, the stream has %zu", in_name,
				    (long long)s.flagged, s.n);
			k = (size_t)s.flagged;
			what = "flagged";
		} else if (frac >= 0)
			k = (size_t)(frac * (double)s.n + 0.5);
		else if (!isnan(below))
			for (k = 0; k < s.n && s.score[ord[k]] < below; k++)
				;
		else {
			if (n > s.n)
				die("-n %llu: only %zu examples scored", (unsigned long long)n, s.n);
			k = (size_t)n;
		}
	}
	size_t nonneg = 0;
	out_file out;
	out_open(&out, out_path, force || text);
	ids_source src = { .has_train = s.train_n > 0, .train_n = s.train_n,
			   .train_digest = s.train_digest, .method = s.method, .scores = in_name };
	rec_writer *w = text ? NULL : ids_writer_open_from(out.f, out_path ? out_path : "stdout",
							   what, &src);
	for (size_t q = 0; q < k; q++) {
		size_t i = ord[q];
		nonneg += s.score[i] >= 0;
		if (text) {
			fprintf(out.f, "%llu\n", (unsigned long long)s.id[i]);
			continue;
		}
		msgpack_packer *pk = rec_writer_pk(w);
		msgpack_pack_map(pk, 2);
		pk_kv_u64(pk, "id", s.id[i]);
		pk_kv_f64(pk, "score", s.score[i]);
		rec_writer_commit(w);
	}
	if (w)
		rec_writer_close(w);
	out_close(&out);
	if (!quiet) {
		warn("%s %zu of %zu examples (%s scores)", nrand ? "picked at random" :
		     flagged ? "kept the flagged" : "kept the most negative", k, s.n, s.method);
		if (nonneg && !nrand && !flagged)
			warn("%zu of them score >= 0 (not predicted harmful)", nonneg);
	}
	free(ord);
	scores_free(&s);
	return 0;
}
