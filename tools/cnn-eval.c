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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/nn/data.h"
#include "../lib/nn/engine.h"
#include "../lib/nn/eval.h"
#include "../lib/nn/nn.h"
#include "../lib/stream/metrics.h"
#include "../lib/stream/predictions.h"
#include "../lib/stream/trace.h"
#include "../lib/util/util.h"

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

/* the result on stderr: the loss and accuracy, each class's accuracy and
 * its row of the confusion matrix, and a forgotten class's figures */
static void summary(const metrics_eval *m, const trace_header *th)
{
	int K = m->K;
	warn("%s on %s: %zu examples, loss %.4f, accuracy %.2f%%", th->net, m->dataset,
	     (size_t)m->n, m->loss, 100 * m->acc);
	for (int y = 0; y < K; y++) {
		uint64_t n = metrics_class_n(m, y);
		fprintf(stderr, "  class %2d: %6.2f%% of %llu  |", y,
			n ? 100.0 * (double)m->conf[(size_t)y * K + y] / (double)n : 0.0,
			(unsigned long long)n);
		for (int k = 0; k < K && K <= 20; k++)
			fprintf(stderr, " %5llu", (unsigned long long)m->conf[(size_t)y * K + k]);
		fputc('\n', stderr);
	}
	if (m->cls != UINT64_MAX)
		warn("class %llu forgotten: a_self %.2f%%, a_rest %.2f%%, F1 %.4f",
		     (unsigned long long)m->cls, 100 * m->a_self, 100 * m->a_rest, m->f1);
}

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
	int complete = predictions_trace_final(trace_path, &th, &theta, &state, &trained);
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
	int sample = pred_path ? predictions_sample(&th, &trained, complete, train_path, d.id, d.n,
						    d.digest) : PREDICTIONS_UNKNOWN;
	idset_free(&trained);

	int K = th.classes;
	engine *eng = engine_new(&net, EVAL_BATCH, device, quiet);
	out_file po;
	rec_writer *pw = NULL;
	if (pred_path) {
		out_open(&po, pred_path, 1);
		predictions_header ph = { .K = K, .sample = sample, .net = th.net,
					  .train_n = th.train_n, .train_digest = th.train_digest,
					  .data_n = d.n, .data_digest = d.digest };
		pw = predictions_writer_open(po.f, pred_path, &ph);
	}
	metrics_eval me = { .net = th.net, .dataset = ds_name };
	eval_run(&me, eng, &net, &d, theta, state, pw);
	if (pw) {
		rec_writer_close(pw);
		out_finish(&po);        /* committed with -o, below */
	}
	/* --class: accuracy on C and on the rest, and their F1 */
	if (cls != UINT64_MAX && eval_forget(&me, cls) < 0)
		die("%s: --class %llu needs examples of the class and of others", ds_name,
		    (unsigned long long)cls);
	if (!quiet)
		summary(&me, &th);
	if (out_path || !isatty(STDOUT_FILENO)) {
		out_file out;
		out_open(&out, out_path, 0);
		metrics_write_eval(out.f, out_path ? out_path : "stdout", &me);
		out_finish(&out);
	}
	out_commit();           /* --predictions and -o together */
	free(me.conf), free(theta), free(state);
	engine_free(eng);
	nn_free(&net);
	data_free(&d);
	trace_header_free(&th);
	return 0;
}
