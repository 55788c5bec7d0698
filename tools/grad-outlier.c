/*
 * grad-outlier — score every training example without a Hessian and
 * without a validation set (Chhabra et al., 2024, and the label-quality
 * baselines of cleanlab), from a trained network (a cache, or a trace with
 * --trace: θ_T and the batch-norm state) and the training set; writes a
 * scores stream (formats/scores.md) that top-neg and ds-remove take as they
 * take inf-score's.
 *
 * One forward pass over the data in evaluation mode (batch-norm on its
 * running statistics, as the paper's reference code does), batched, on the
 * CPU or the GPU (lib/score/outlier.c). Per example it keeps what the method needs:
 * the probabilities and loss, and for the oga-* methods the input h of the
 * last affine layer. The last layer's weight gradient (p − onehot(y)) ⊗ h
 * is never formed: its norms factor, and the isolation forest reads its
 * entries from the factors (lib/score/detect.h). Memory: O(n·K) and, for
 * oga-iforest, n·(K + F) floats (F: that layer's inputs).
 *
 * Most negative = most suspect = removed first; per method (lib/score/detect.h):
 *   oga-l2 −‖a‖₂‖h‖₂, oga-l1 −‖a‖₁‖h‖₁, oga-iforest −s (anomaly score),
 *   loss −ℓ, self-confidence / margin / entropy: cleanlab's quality − 1.
 *
 * --layers all takes every parameter's gradient instead, through a seeded
 * sparse random projection R (k × P, lib/score/detect.h): (R g_j)_r = ⟨r_r, ∇ℓ_j⟩
 * is one R-forward pass per row r over the same evaluation-mode batch, so
 * the per-example gradients are never formed (cost: k forward-like passes;
 * memory: k·P for R on the device, n·k for the projections). oga-l2 is
 * then −‖R g_j‖₂ and oga-iforest reads the n × k projections.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/nn/data.h"
#include "../lib/nn/engine.h"
#include "../lib/nn/nn.h"
#include "../lib/score/detect.h"
#include "../lib/score/iforest.h"
#include "../lib/score/outlier.h"
#include "../lib/show/scores_csv.h"
#include "../lib/stream/scores.h"
#include "../lib/stream/trace.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: grad-outlier --method M --train TRAIN [options] [CACHE]\n"
	"  --method M         oga-l2, oga-l1, oga-iforest (the last layer's per-example\n"
	"                     weight gradient: its L2 or L1 norm, or an isolation forest),\n"
	"                     loss, self-confidence, margin or entropy (label quality)\n"
	"  --train TRAIN      the training set the network was trained on\n"
	"  --trace TRACE      take θ_T from a training trace instead of a CACHE\n"
	"  --contamination F  flag the round(F * n) most negative (header: flagged, threshold)\n"
	"  --count N          flag the N most negative\n"
	"  --trees N          isolation forest: trees (default 100)\n"
	"  --subsample N      isolation forest: rows per tree (default 256)\n"
	"  --seed S           isolation forest and projection: seed (default 0)\n"
	"  --layers L         last (default: the last affine layer's weights) or all\n"
	"                     (every parameter, randomly projected; oga-l2, oga-iforest)\n"
	"  --dim K            --layers all: the projection's dimension (default 64)\n"
	"  --csv FILE         also write CSV x:image,y:label,influence,datasource_index,\n"
	"                     most negative first (x:image and datasource_index hold the id),\n"
	"                     with label_name when the training set names its classes\n"
	"  --image-dir DIR    with --csv: each example as DIR/ID.png, its path in x:image\n"
	"  --threads N        CPU threads (default: all cores); the results do not depend on it\n"
	"  --device D         auto (default), cpu or cuda\n"
	"  -o OUT             the scores (default stdout);  -f  to a terminal;  -q  quiet\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "method", required_argument, 0, 'm' }, { "train", required_argument, 0, 'T' },
		{ "trace", required_argument, 0, 't' },
		{ "contamination", required_argument, 0, 'C' },
		{ "count", required_argument, 0, 'N' }, { "trees", required_argument, 0, 'R' },
		{ "subsample", required_argument, 0, 'S' }, { "seed", required_argument, 0, 's' },
		{ "csv", required_argument, 0, 'c' }, { "image-dir", required_argument, 0, 'I' },
		{ "device", required_argument, 0, 'd' },
		{ "layers", required_argument, 0, 'L' }, { "dim", required_argument, 0, 'D' },
		{ "threads", required_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *method = NULL, *train_path = NULL, *trace_path = NULL, *csv_path = NULL;
	const char *image_dir = NULL;
	const char *out_path = NULL;
	double contamination = -1;
	uint64_t count = UINT64_MAX, seed = 0;
	int trees = IFOREST_TREES, psi = IFOREST_PSI;
	int force = 0, quiet = 0, device = DEV_AUTO, all = 0, dim = 64, opt;
	engine_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': method = optarg; break;
		case 'T': train_path = optarg; break;
		case 't': trace_path = optarg; break;
		case 'C': contamination = estrtod(optarg, 0, 1, "--contamination"); break;
		case 'N': count = estrtou64(optarg, UINT64_MAX - 1, "--count"); break;
		case 'R': trees = (int)estrtou64(optarg, 100000, "--trees"); break;
		case 'S': psi = (int)estrtou64(optarg, 1u << 24, "--subsample"); break;
		case 's': seed = estrtou64(optarg, UINT64_MAX, "--seed"); break;
		case 'c': csv_path = optarg; break;
		case 'L':
			if (strcmp(optarg, "last") && strcmp(optarg, "all"))
				die_usage("--layers '%s': want last or all", optarg);
			all = !strcmp(optarg, "all");
			break;
		case 'D': dim = (int)estrtou64(optarg, 4096, "--dim"); break;
		case 'I': image_dir = optarg; break;
		case 'd': device = engine_parse(optarg); break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'j': engine_threads(optarg); break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (!method || !train_path)
		die_usage("--method and --train are required");
	int m = detect_parse(method);
	if (m < 0)
		die_usage("unknown --method '%s' (want %s)", method, detect_names());
	if (trees < 1 || psi < 1)
		die_usage("--trees and --subsample must be at least 1");
	if (dim < 1)
		die_usage("--dim must be at least 1");
	if (all && m == DET_OGA_L1)
		die_usage("--layers all projects the gradient, which keeps L2 norms and distances "
			  "but not L1 norms: use oga-l2 or oga-iforest");
	if (all && !detect_needs_features(m))
		die_usage("--layers applies to the gradient methods oga-l2 and oga-iforest, not %s",
			  method);
	if (contamination >= 0 && count != UINT64_MAX)
		die_usage("give at most one of --contamination and --count");
	if (image_dir && !csv_path)
		die_usage("--image-dir goes with --csv");
	if (argc - optind > 1 || (trace_path && argc - optind > 0))
		die_usage("one network: a CACHE or --trace TRACE");
	const char *net_path = trace_path ? trace_path : optind < argc ? argv[optind] : NULL;
	if ((!net_path || !strcmp(net_path, "-")) && !strcmp(train_path, "-"))
		die_usage("the network and --train cannot both come from stdin");

	trace_header th;
	real *theta, *state;
	trace_read_final(net_path, trace_path ? FMT_KIND_TRACE : FMT_KIND_CACHE, "no final parameters",
			 NULL, NULL, &th, &theta, &state);
	const char *nname = net_path && strcmp(net_path, "-") ? net_path : "stdin";
	nn_net net;
	data_net_init(&net, &th, nname);
	const char *tname = strcmp(train_path, "-") ? train_path : "stdin";
	data d;
	data_load_for(&d, train_path, &th, "");
	if (d.n == 0)
		die("%s: no examples", tname);
	data_check_trained(&d, &th, tname, nname);
	if (count != UINT64_MAX && count > d.n)
		die("--count %llu: only %zu examples", (unsigned long long)count, d.n);

	/* one forward pass in evaluation mode, then the method */
	engine *eng = engine_new(&net, OUTLIER_BATCH, device, quiet);
	double *score = emalloc(emul(d.n, sizeof *score));
	outlier_opts oo = { .method = m, .all = all, .dim = dim, .trees = trees, .psi = psi,
			    .seed = seed, .quiet = quiet };
	double loss = outlier_score(score, eng, &net, &d, theta, state, &oo);
	psi = oo.psi;

	/* flags: the k most negative (ties by id, as top-neg -n k takes them) */
	scores_kv kv[7];
	size_t nkv = 0;
	uint64_t k = count != UINT64_MAX ? count :
		     contamination >= 0 ? (uint64_t)llround(contamination * (double)d.n) : 0;
	double thr = NAN;
	if (m == DET_OGA_IFOREST) {
		kv[nkv++] = (scores_kv){ .key = "trees", .u = (uint64_t)trees };
		kv[nkv++] = (scores_kv){ .key = "subsample", .u = (uint64_t)psi };
		kv[nkv++] = (scores_kv){ .key = "seed", .u = seed };
	}
	if (all) {
		kv[nkv++] = (scores_kv){ .key = "proj_dim", .u = (uint64_t)dim };
		if (m != DET_OGA_IFOREST)
			kv[nkv++] = (scores_kv){ .key = "seed", .u = seed };
	}
	if (count != UINT64_MAX || contamination >= 0) {
		kv[nkv++] = (scores_kv){ .key = "flagged", .u = k };
		if (k > 0) {
			thr = scores_kth(score, d.id, d.n, k);
			kv[nkv++] = (scores_kv){ .key = "threshold", .f64 = 1, .f = thr };
		}
	}
	out_file out;
	out_open(&out, out_path, force);
	scores_meta sm = { .method = method, .net = th.net, .train_n = d.n,
			   .train_digest = d.digest, .no_val = 1, .nkv = nkv, .kv = kv };
	scores_write(out.f, out_path ? out_path : "stdout", &sm, d.n, d.id, d.y, score, NULL);
	out_finish(&out);
	if (csv_path) {
		out_file co;
		out_open(&co, csv_path, 1);
		scores_csv_write_from(co.f, d.n, d.id, d.y, score, NULL, train_path,
				      image_dir);
		out_finish(&co);
	}
	out_commit();           /* -o and --csv together, or neither */
	if (!quiet) {
		warn("%s: %zu training examples scored at θ_T (evaluation mode, %s, mean loss %.4f)",
		     method, d.n, all ? "every layer, projected" : "last layer", loss / (double)d.n);
		if (count != UINT64_MAX || contamination >= 0)
			warn("%s: %llu flagged (score <= %.6g): top-neg -n %llu takes them", method,
			     (unsigned long long)k, thr, (unsigned long long)k);
	}
	engine_free(eng);
	free(score), free(theta), free(state);
	nn_free(&net);
	data_free(&d);
	trace_header_free(&th);
	return 0;
}
