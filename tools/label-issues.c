/*
 * label-issues — find the examples whose given label is wrong by confident
 * learning (Northcutt et al., JAIR 2021; cleanlab's find_label_issues)
 * from a predictions stream (cnn-eval --predictions; several concatenated,
 * e.g. the K held-out folds of a cross-validation, read as one), and write
 * a scores stream (formats/scores.md) that top-neg, ds-remove, ds-sheet and
 * ds-relabel take: every example with its score (most negative = most
 * suspect), whether it is in the estimated set of label issues (flag) and
 * the label it would rather have (suggest). The header holds the per-class
 * thresholds, the confident joint, the calibrated joint, the noise matrix
 * and the estimated number of issues. lib/score/cl.c computes them all.
 *
 *   cat fold*.pred | label-issues --train train.ds > issues.sc
 *   top-neg --flagged issues.sc | ds-remove train.ds > cleaned.ds
 *
 * The probabilities should be out-of-sample: a network's on the examples
 * it trained on has memorised their labels. The predictions' header says
 * which they are (sample); label-issues records it and warns when they
 * are in-sample.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
#include "../lib/score/cl.h"
#include "../lib/stream/ds.h"
#include "../lib/stream/idset.h"
#include "../lib/stream/predictions.h"
#include "../lib/stream/rec.h"
#include "../lib/util/util.h"

/* the header holds three K × K matrices: 3K² values stay well inside a
 * header's 2^25 (formats/stream.md) */
#define MAX_K 1024

static const char *usage_text =
	"usage: label-issues [--filter F] [--rank R] [--train TRAIN] [-o OUT] [-f] [-q] [PREDICTIONS]\n"
	"  PREDICTIONS   cnn-eval --predictions, out-of-sample (concatenated folds); default stdin\n"
	"  --filter F    which are flagged: prune_by_noise_rate (default), prune_by_class,\n"
	"                both, confident_learning\n"
	"  --rank R      the score: self_confidence (default), normalized_margin,\n"
	"                confidence_weighted_entropy\n"
	"  --train TRAIN the dataset predicted: each example once with its label; the\n"
	"                scores are then of it (train_n, train_digest, which ds-remove checks)\n"
	"  -o OUT        the scores (default stdout);  -f  to a terminal;  -q  quiet\n";

static void pk_matrix_u64(msgpack_packer *pk, const char *key, const uint64_t *m, int K)
{
	pk_str(pk, key);
	msgpack_pack_array(pk, (size_t)K);
	for (int i = 0; i < K; i++) {
		msgpack_pack_array(pk, (size_t)K);
		for (int j = 0; j < K; j++)
			msgpack_pack_uint64(pk, m[(size_t)i * K + j]);
	}
}

static void pk_matrix_f64(msgpack_packer *pk, const char *key, const double *m, int K)
{
	pk_str(pk, key);
	msgpack_pack_array(pk, (size_t)K);
	for (int i = 0; i < K; i++) {
		msgpack_pack_array(pk, (size_t)K);
		for (int j = 0; j < K; j++)
			msgpack_pack_double(pk, m[(size_t)i * K + j]);
	}
}

/* --train: every prediction is of an example of the dataset, with its
 * label, and every example has one; its count and digest into *n, *digest */
static void check_train(const predictions_set *ps, const char *path, uint64_t *n, uint32_t *digest)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	idmap at;
	idmap_init(&at);
	for (size_t i = 0; i < ps->n; i++)
		idmap_put(&at, ps->id[i], i);
	FILE *f = in_open(path);
	ds_reader d;
	ds_reader_open(&d, f, name);
	ds_example ex = { .x = emalloc(d.xbytes ? d.xbytes : 1) };
	*n = 0, *digest = 0;
	while (ds_reader_next(&d, &ex)) {
		size_t i;
		if (!idmap_get(&at, ex.id, &i))
			die("%s: example id %llu has no prediction", name, (unsigned long long)ex.id);
		if (ps->y[i] != ex.y)
			die("%s: example id %llu is labelled %u, its prediction says %u", name,
			    (unsigned long long)ex.id, ex.y, ps->y[i]);
		*digest = ds_digest_update(*digest, ex.id, ex.y, ex.x, d.xbytes);
		(*n)++;
	}
	if (*n != ps->n)
		die("%s: %llu examples, the predictions have %zu (ids not in it)", name,
		    (unsigned long long)*n, ps->n);
	free(ex.x);
	ds_reader_close(&d);
	in_close(f);
	idmap_free(&at);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "filter", required_argument, 0, 'F' }, { "rank", required_argument, 0, 'r' },
		{ "train", required_argument, 0, 'T' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *out_path = NULL, *train_path = NULL;
	int force = 0, quiet = 0, filter = CL_PRUNE_BY_NOISE_RATE, rank = CL_SELF_CONFIDENCE, opt;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'F':
			if ((filter = cl_filter_parse(optarg)) < 0)
				die_usage("bad --filter '%s' (want prune_by_noise_rate, prune_by_class, "
					  "both or confident_learning)", optarg);
			break;
		case 'r':
			if ((rank = cl_rank_parse(optarg)) < 0)
				die_usage("bad --rank '%s' (want self_confidence, normalized_margin or "
					  "confidence_weighted_entropy)", optarg);
			break;
		case 'T': train_path = optarg; break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (argc - optind > 1)
		die_usage("at most one PREDICTIONS");
	const char *in_path = optind < argc ? argv[optind] : NULL;
	const char *in_name = in_path && strcmp(in_path, "-") ? in_path : "stdin";
	if (train_path && !strcmp(train_path, "-") && (!in_path || !strcmp(in_path, "-")))
		die_usage("the predictions and --train cannot both come from stdin");

	FILE *in = in_open_for(in_path, "pipe a predictions stream in (cat fold*.pred | "
			       "label-issues), or name the PREDICTIONS file");
	predictions_set ps;
	predictions_load(&ps, in, in_name);
	in_close(in);
	if (ps.n == 0)
		die("%s: no predictions", in_name);
	if (ps.K > MAX_K)
		die("%s: %d classes; at most %d (the header holds K x K matrices)", in_name, ps.K,
		    MAX_K);
	uint64_t train_n = ps.n;
	uint32_t digest = 0;
	if (train_path)
		check_train(&ps, train_path, &train_n, &digest);
	else if (ps.has_data && ps.data_n == ps.n)
		digest = ps.data_digest;
	else if (!quiet)
		warn("%s: %llu parts: give --train TRAIN to tie the scores to the dataset "
		     "(train_digest 0: ds-remove will not recognise it)", in_name,
		     (unsigned long long)ps.parts);

	cl_result r;
	cl_run(&r, ps.n, ps.K, ps.id, ps.y, ps.p, filter, rank);

	out_file out;
	out_open(&out, out_path, force);
	rec_writer *w = rec_writer_open(out.f, out_path ? out_path : "stdout");
	msgpack_packer *pk = rec_writer_pk(w);
	int K = ps.K;
	rec_header_begin(w, FMT_KIND_SCORES, FMT_VERSION_SCORES, 16 + (ps.net != NULL));
	pk_kv_str(pk, "method", "label-issues");
	if (ps.net)
		pk_kv_str(pk, "net", ps.net);
	pk_kv_u64(pk, "train_n", train_n);
	pk_kv_u64(pk, "train_digest", digest);
	pk_kv_u64(pk, "n", ps.n);
	pk_kv_str(pk, "rank", cl_rank_name(rank));
	pk_kv_str(pk, "filter", cl_filter_name(filter));
	pk_kv_str(pk, "sample", predictions_sample_name(ps.sample));
	pk_kv_u64(pk, "parts", ps.parts);
	pk_kv_u64(pk, "classes", (uint64_t)K);
	pk_str(pk, "label_counts");
	msgpack_pack_array(pk, (size_t)K);
	for (int j = 0; j < K; j++)
		msgpack_pack_uint64(pk, r.label_counts[j]);
	pk_str(pk, "thresholds");
	msgpack_pack_array(pk, (size_t)K);
	for (int j = 0; j < K; j++)
		isnan(r.thresholds[j]) ? msgpack_pack_nil(pk) : msgpack_pack_double(pk, r.thresholds[j]);
	pk_matrix_u64(pk, "confident_joint", r.cj, K);
	pk_matrix_f64(pk, "joint", r.joint, K);
	pk_matrix_f64(pk, "noise_matrix", r.noise, K);
	pk_kv_u64(pk, "issues", r.issues);
	pk_kv_u64(pk, "flagged", r.flagged);
	rec_writer_begin(w);
	for (size_t i = 0; i < ps.n; i++) {
		msgpack_pack_map(pk, K > 1 ? 5 : 4);
		pk_kv_u64(pk, "id", ps.id[i]);
		pk_kv_u64(pk, "y", ps.y[i]);
		pk_kv_f64(pk, "score", r.score[i]);
		pk_str(pk, "flag");
		r.flag[i] ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		if (K > 1)
			pk_kv_u64(pk, "suggest", (uint64_t)r.suggest[i]);
		rec_writer_commit(w);
	}
	rec_writer_close(w);
	out_close(&out);
	if (!quiet) {
		warn("%zu examples, %d classes (sample %s, %llu part%s): %llu label issues "
		     "estimated, %zu flagged (%s)", ps.n, K, predictions_sample_name(ps.sample),
		     (unsigned long long)ps.parts, ps.parts > 1 ? "s" : "", (unsigned long long)r.issues,
		     r.flagged, cl_filter_name(filter));
		if (ps.sample == PREDICTIONS_IN || ps.sample == PREDICTIONS_MIXED)
			warn("the network trained on %s of these examples: it has memorised their "
			     "labels, and few issues show; predict each example with a network "
			     "that did not see it (pipelines/crossval.mk)",
			     ps.sample == PREDICTIONS_IN ? "all" : "some");
		else if (ps.sample == PREDICTIONS_UNKNOWN)
			warn("whether the network trained on these examples is unknown (give "
			     "cnn-eval --train)");
	}
	cl_free(&r);
	predictions_free(&ps);
	return 0;
}
