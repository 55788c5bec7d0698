/*
 * cnn-eval — evaluate the final parameters of a training trace on a
 * dataset: loss, accuracy, per-class accuracy and the confusion matrix, as
 * a metrics record (formats/metrics.md) and human-readable on stderr;
 * optionally one prediction record per example. Batch-norm uses its running
 * statistics (evaluation mode).
 *
 *   cnn-train ... < train.ds | cnn-eval test.ds          (trace on stdin)
 *   cnn-eval --trace run.tr test.ds
 * When stdout is a terminal the metrics record is not written (the summary
 * on stderr is the result); with -o or a pipe it is.
 *
 * The predictions record whether the network had trained on the examples
 * (header key sample: in, out, mixed or unknown), from the ids of the
 * trace's step records, or exactly from --train, its training set.
 *
 * --class C judges a network that was to forget class C (inf-update, or a
 * retraining without it): a_self, the accuracy on the examples of C (low
 * is good), a_rest, the accuracy on the others (high is good), and their
 * harmonic mean F1 = 2(1 − a_self)·a_rest / ((1 − a_self) + a_rest).
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/data.h"
#include "../lib/engine.h"
#include "../lib/nn.h"
#include "../lib/preds.h"
#include "../lib/trace.h"
#include "../lib/util.h"

static const char *usage_text =
	"usage: cnn-eval [--trace TRACE] [-o OUT] [--predictions FILE] [--train TRAIN] [--class C]\n"
	"                [--device D] [-q] [--threads N] DATASET\n"
	"  --trace TRACE       the training trace (default stdin)\n"
	"  -o OUT              the metrics record (default stdout, unless a terminal)\n"
	"  --predictions FILE  one record per example: id, label, prediction, loss, probabilities\n"
	"  --train TRAIN       the trace's training set: whether each example was trained on\n"
	"                      (the predictions' sample) by id; default: the trace's steps\n"
	"  --class C           a forgotten class: a_self (accuracy on C), a_rest (on the rest)\n"
	"                      and F1 = 2(1 - a_self) a_rest / ((1 - a_self) + a_rest)\n"
	"  --threads N         CPU threads (default: all cores); the results do not depend on it\n"
	"  --device D          auto (default), cpu or cuda\n"
	"  -q                  no summary on stderr\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trace", required_argument, 0, 't' },
		{ "predictions", required_argument, 0, 'P' },
		{ "train", required_argument, 0, 'T' },
		{ "device", required_argument, 0, 'd' },
		{ "class", required_argument, 0, 'c' },
		{ "threads", required_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *trace_path = NULL, *out_path = NULL, *pred_path = NULL, *train_path = NULL;
	int quiet = 0, device = DEV_AUTO, opt;
	uint64_t cls = UINT64_MAX;
	engine_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:qh", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': trace_path = optarg; break;
		case 'P': pred_path = optarg; break;
		case 'T': train_path = optarg; break;
		case 'd': device = engine_parse(optarg); break;
		case 'c': cls = estrtou64(optarg, 65535, "--class"); break;
		case 'o': out_path = optarg; break;
		case 'q': quiet = 1; break;
		case 'j': engine_threads(optarg); break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (argc - optind == 2)
		die_usage("give exactly one DATASET (a trace goes with --trace: "
			  "cnn-eval --trace %s %s)", argv[optind], argv[optind + 1]);
	if (argc - optind != 1)
		die_usage("give exactly one DATASET");
	const char *ds_path = argv[optind];
	if (!trace_path || !strcmp(trace_path, "-"))
		(void)in_open_for(NULL, "pipe a training trace in (cnn-train ... | cnn-eval "
				  "DATASET), or give --trace TRACE");
	if ((!trace_path || !strcmp(trace_path, "-")) && !strcmp(ds_path, "-"))
		die_usage("the trace and the dataset cannot both come from stdin");
	if (train_path && !pred_path)
		die_usage("--train goes with --predictions (it says what they are of)");
	if (train_path && !strcmp(train_path, "-") &&
	    (!trace_path || !strcmp(trace_path, "-") || !strcmp(ds_path, "-")))
		die_usage("only one of the trace, the dataset and --train can come from stdin");

	trace_header th;
	real *theta, *state;
	idset trained;
	idset_init(&trained);
	int complete = preds_trace_final(trace_path, &th, &theta, &state, &trained);
	nn_net net;
	char err[256];
	if (nn_init(&net, th.net, th.input[0], th.input[1], th.input[2], th.classes,
		    err, sizeof err) < 0)
		die("%s", err);
	if (net.nparams != th.nparams || net.nstate != th.nstate)
		die("trace: '%s' has %zu parameters here, the trace says %llu", th.net,
		    net.nparams, (unsigned long long)th.nparams);
	const char *ds_name = strcmp(ds_path, "-") ? ds_path : "stdin";
	if (cls != UINT64_MAX && cls >= (uint64_t)th.classes)
		die("--class %llu: the network has %d classes", (unsigned long long)cls, th.classes);
	data d;
	data_load_for(&d, ds_path, &th, "");
	int sample = PREDS_UNKNOWN;
	if (pred_path) {
		if (train_path) {
			idset_free(&trained);
			idset_init(&trained);
			preds_train_ids(&trained, train_path, &th);
			complete = 1;
		}
		sample = preds_sample_of(&th, &trained, complete, d.id, d.n, d.digest, NULL);
	}
	idset_free(&trained);

	int K = th.classes, BS = 256;
	engine *eng = engine_new(&net, BS, device, quiet);
	real *dtheta = engine_alloc(eng, net.nparams), *dstate = engine_alloc(eng, net.nstate + 1);
	engine_put(eng, dtheta, theta, net.nparams);
	engine_put(eng, dstate, state, net.nstate);
	uint64_t *conf = ecalloc((size_t)K * K, sizeof *conf);
	double loss = 0;
	size_t correct = 0;
	out_file po;
	rec_writer *pw = NULL;
	if (pred_path) {
		out_open(&po, pred_path, 1);
		pw = rec_writer_open(po.f, pred_path);
		rec_header_begin(pw, FMT_KIND_PREDICTIONS, FMT_VERSION_PREDICTIONS, 7);
		msgpack_packer *pk = rec_writer_pk(pw);
		pk_kv_u64(pk, "classes", (uint64_t)K);
		pk_kv_str(pk, "sample", preds_sample_name(sample));
		pk_kv_str(pk, "net", th.net);
		pk_kv_u64(pk, "train_n", th.train_n);
		pk_kv_u64(pk, "train_digest", th.train_digest);
		pk_kv_u64(pk, "data_n", d.n);
		pk_kv_u64(pk, "data_digest", d.digest);
		rec_writer_begin(pw);
	}
	float *pf = emalloc((size_t)K * sizeof *pf);
	for (size_t at = 0; at < d.n; at += (size_t)BS) {
		int B = (int)(d.n - at < (size_t)BS ? d.n - at : (size_t)BS);
		batch bt = { .d = &d, .n = B, .first = at };
		engine_forward(eng, dtheta, dstate, &bt, B, NN_EVAL);
		const real *p = engine_probs(eng), *l = engine_losses(eng);
		for (int b = 0; b < B; b++) {
			int best = nn_argmax(p + (size_t)b * K, K);
			int y = d.y[at + (size_t)b];
			conf[(size_t)y * K + best]++;
			correct += best == y;
			loss += l[b];
			if (pw) {
				msgpack_packer *pk = rec_writer_pk(pw);
				for (int k = 0; k < K; k++)
					pf[k] = (float)p[(size_t)b * K + k];
				msgpack_pack_map(pk, 5);
				pk_kv_u64(pk, "id", d.id[at + (size_t)b]);
				pk_kv_u64(pk, "y", (uint64_t)y);
				pk_kv_u64(pk, "pred", (uint64_t)best);
				pk_kv_f64(pk, "loss", l[b]);
				pk_kv_bin(pk, "p", pf, (size_t)K * sizeof *pf);
				rec_writer_commit(pw);
			}
		}
	}
	if (pw) {
		rec_writer_close(pw);
		out_finish(&po);        /* committed with -o, below */
	}
	double acc = d.n ? (double)correct / (double)d.n : 0;
	loss = d.n ? loss / (double)d.n : 0;
	/* --class: accuracy on C and on the rest, and their F1 */
	double a_self = 0, a_rest = 0, f1 = 0;
	if (cls != UINT64_MAX) {
		uint64_t ns = 0, nr = 0, cs = 0, cr = 0;
		for (int y = 0; y < K; y++)
			for (int k = 0; k < K; k++) {
				uint64_t c = conf[(size_t)y * K + k];
				if ((uint64_t)y == cls)
					ns += c, cs += k == y ? c : 0;
				else
					nr += c, cr += k == y ? c : 0;
			}
		if (ns == 0 || nr == 0)
			die("%s: --class %llu needs examples of the class and of others", ds_name,
			    (unsigned long long)cls);
		a_self = (double)cs / (double)ns, a_rest = (double)cr / (double)nr;
		f1 = (1 - a_self) + a_rest > 0 ?
		     2 * (1 - a_self) * a_rest / ((1 - a_self) + a_rest) : 0;
	}
	if (!quiet) {
		warn("%s on %s: %zu examples, loss %.4f, accuracy %.2f%%", th.net, ds_name,
		     d.n, loss, 100 * acc);
		for (int y = 0; y < K; y++) {
			uint64_t n = 0;
			for (int k = 0; k < K; k++)
				n += conf[(size_t)y * K + k];
			fprintf(stderr, "  class %2d: %6.2f%% of %llu  |", y,
				n ? 100.0 * (double)conf[(size_t)y * K + y] / (double)n : 0.0,
				(unsigned long long)n);
			for (int k = 0; k < K && K <= 20; k++)
				fprintf(stderr, " %5llu", (unsigned long long)conf[(size_t)y * K + k]);
			fputc('\n', stderr);
		}
		if (cls != UINT64_MAX)
			warn("class %llu forgotten: a_self %.2f%%, a_rest %.2f%%, F1 %.4f",
			     (unsigned long long)cls, 100 * a_self, 100 * a_rest, f1);
	}
	if (out_path || !isatty(STDOUT_FILENO)) {
		out_file out;
		out_open(&out, out_path, 0);
		rec_writer *w = rec_writer_open(out.f, out_path ? out_path : "stdout");
		msgpack_packer *pk = rec_writer_pk(w);
		rec_header_begin(w, FMT_KIND_METRICS, FMT_VERSION_METRICS, 3);
		pk_kv_str(pk, "what", "eval");
		pk_kv_str(pk, "net", th.net);
		pk_kv_str(pk, "dataset", ds_name);
		rec_writer_begin(w);
		msgpack_pack_map(pk, cls != UINT64_MAX ? 9 : 5);
		pk_kv_u64(pk, "n", d.n);
		pk_kv_f64(pk, "loss", loss);
		pk_kv_f64(pk, "acc", acc);
		pk_str(pk, "per_class");
		msgpack_pack_array(pk, (size_t)K);
		for (int y = 0; y < K; y++) {
			uint64_t n = 0;
			for (int k = 0; k < K; k++)
				n += conf[(size_t)y * K + k];
			msgpack_pack_double(pk, n ? (double)conf[(size_t)y * K + y] / (double)n : 0);
		}
		pk_str(pk, "confusion");
		msgpack_pack_array(pk, (size_t)K);
		for (int y = 0; y < K; y++) {
			msgpack_pack_array(pk, (size_t)K);
			for (int k = 0; k < K; k++)
				msgpack_pack_uint64(pk, conf[(size_t)y * K + k]);
		}
		if (cls != UINT64_MAX) {
			pk_kv_u64(pk, "class", cls);
			pk_kv_f64(pk, "a_self", a_self);
			pk_kv_f64(pk, "a_rest", a_rest);
			pk_kv_f64(pk, "f1", f1);
		}
		rec_writer_commit(w);
		rec_writer_close(w);
		out_finish(&out);
	}
	out_commit();           /* --predictions and -o together */
	free(pf), free(conf), free(theta), free(state);
	engine_release(eng, dtheta);
	engine_release(eng, dstate);
	engine_free(eng);
	nn_free(&net);
	data_free(&d);
	trace_header_free(&th);
	return 0;
}
