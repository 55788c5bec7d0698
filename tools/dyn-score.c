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
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
#include "../lib/score/dyn_score.h"
#include "../lib/stream/dynamics.h"
#include "../lib/stream/rec.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: dyn-score --method M [--percentile Q] [-o OUT] [-f] [-q] [DYNAMICS]\n"
	"  DYNAMICS        cnn-train --dynamics (default stdin)\n"
	"  --method M      aum (area under the margin), forgetting (minus the forgetting\n"
	"                  events) or mean-loss (minus the mean training loss)\n"
	"  --percentile Q  aum with fake examples: flag below the Q-th percentile of\n"
	"                  their AUM (default 99)\n"
	"  -o OUT          the scores (default stdout);  -f  to a terminal;  -q  quiet\n";

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
	if ((method = dyn_score_parse(method_name)) < 0)
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
	dyn_tally t;
	dyn_tally_read(&t, &dr, in_name);
	dyn_scores r;
	dyn_score_run(&r, &t, method, pct);

	out_file out;
	out_open(&out, out_path, force);
	rec_writer *w = rec_writer_open(out.f, out_path ? out_path : "stdout");
	msgpack_packer *pk = rec_writer_pk(w);
	rec_header_begin(w, FMT_KIND_SCORES, FMT_VERSION_SCORES,
			 9 + (r.flags ? 3 : 0) + (method == DYN_FORGETTING));
	pk_kv_str(pk, "method", dyn_score_name(method));
	pk_kv_str(pk, "net", h->net);
	pk_kv_u64(pk, "train_n", h->train_n);
	pk_kv_u64(pk, "train_digest", h->train_digest);
	pk_kv_u64(pk, "n", r.nreal);
	pk_kv_u64(pk, "epochs", (uint64_t)h->epochs);
	pk_kv_u64(pk, "steps", t.steps);
	pk_kv_u64(pk, "fake", r.nfake);
	pk_kv_u64(pk, "unseen", h->train_n - t.n);
	if (r.flags) {
		pk_kv_f64(pk, "percentile", pct);
		pk_kv_f64(pk, "threshold", r.threshold);
		pk_kv_u64(pk, "flagged", r.flagged);
	}
	if (method == DYN_FORGETTING)
		pk_kv_u64(pk, "never_learned", r.never);
	rec_writer_begin(w);
	for (size_t i = 0; i < t.n; i++) {
		if (t.ex[i].y == t.fake)
			continue;
		msgpack_pack_map(pk, r.flags ? 4 : 3);
		pk_kv_u64(pk, "id", t.ex[i].id);
		pk_kv_u64(pk, "y", t.ex[i].y);
		pk_kv_f64(pk, "score", r.score[i]);
		if (r.flags) {
			pk_str(pk, "flag");
			r.score[i] < r.threshold ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		}
		rec_writer_commit(w);
	}
	rec_writer_close(w);
	out_close(&out);
	if (!quiet) {
		warn("%zu examples scored by %s over %llu steps of %d epochs%s", r.nreal,
		     dyn_score_name(method), (unsigned long long)t.steps, h->epochs,
		     r.nfake ? "; the fake examples left out" : "");
		if (r.flags)
			warn("threshold %.6g (percentile %g of %zu fake examples' AUM): %zu "
			     "flagged", r.threshold, pct, r.nfake, r.flagged);
		else if (method == DYN_AUM)
			warn("no fake examples (cnn-train --aum-fake N): no threshold, nothing flagged");
		if (h->train_n > t.n)
			warn("%llu training examples never seen (left out by --skip): not scored",
			     (unsigned long long)(h->train_n - t.n));
		if (method == DYN_FORGETTING && r.never)
			warn("%llu examples never classified right: ranked first", (unsigned long long)r.never);
	}
	dyn_scores_free(&r);
	dyn_tally_free(&t);
	dyn_reader_close(&dr);
	in_close(in);
	return 0;
}
