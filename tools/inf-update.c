/*
 * inf-update — forget a set of training examples (a class, or any ids)
 * without retraining: the influence-function update of the parameters,
 *   θ' = θ_T + (1/n)·(H_S + λI)⁻¹ Σ_{j∈R} ∇ℓ(z_j; θ_T),
 * from a trained network (a cache, or a trace with --trace) and its
 * training set; writes a trace (formats/trace.md) holding only θ' as its
 * final parameters, with the input's header, which cnn-eval --trace reads.
 *
 * The derivation (formats/scores.md): θ_T minimises the training objective
 * R(θ) = (1/n) Σ_i ℓ(z_i; θ) + (λ_wd/2)‖θ‖² (n the examples trained on).
 * Without the examples of R it becomes R(θ) − (1/n) Σ_{j∈R} ℓ(z_j; θ),
 * whose gradient at θ_T is −(1/n) Σ_R ∇ℓ(z_j; θ_T) (∇R(θ_T) = 0); one
 * Newton step with the Hessian H of R, estimated by H_S on the subset S
 * (lib/score/hsub.h), moves θ_T by +(1/n) H⁻¹ Σ_R ∇ℓ — the sum of the examples'
 * influence-function parameter changes, and positive: along the
 * examples' own loss gradients, i.e. raising their loss. --divisor kept
 * divides by n − |R| instead: the Newton step on the mean loss over the
 * examples kept (and the Hessian of R taken as theirs), as retraining on
 * them minimises.
 * Batch-norm: as lib/score/hsub.h says (training mode, batch statistics); the
 * running statistics are carried over unchanged, so a batch-norm network's
 * evaluation mode sees θ' with θ_T's statistics.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/nn/data.h"
#include "../lib/nn/engine.h"
#include "../lib/nn/nn.h"
#include "../lib/score/hsub.h"
#include "../lib/stream/idset.h"
#include "../lib/stream/trace.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: inf-update (--class C | --remove IDS) --train TRAIN [options] [CACHE]\n"
	"  --class C           forget every training example of class C\n"
	"  --remove IDS        or these (ids stream or text)\n"
	"  --train TRAIN       the training set the network was trained on\n"
	"  --trace TRACE       take theta_T from a training trace instead of a CACHE\n"
	"  --divisor D         all (default): 1/n, n the examples trained on; kept: 1/(n - removed)\n"
	HSUB_USAGE
	"  --threads N         CPU threads (default: all cores); the results do not depend on it\n"
	"  --device D          auto (default), cpu or cuda\n"
	"  -o OUT              the trace (default stdout);  -f  to a terminal;  -q  quiet\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "class", required_argument, 0, 'c' }, { "remove", required_argument, 0, 'r' },
		{ "train", required_argument, 0, 'T' }, { "trace", required_argument, 0, 't' },
		{ "divisor", required_argument, 0, 'D' },
		HSUB_LONGOPTS,
		{ "device", required_argument, 0, 'd' },
		{ "threads", required_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *remove_path = NULL, *train_path = NULL, *trace_path = NULL;
	const char *out_path = NULL;
	uint64_t cls = UINT64_MAX;
	int kept_div = 0, force = 0, quiet = 0, device = DEV_AUTO, opt, li = 0;
	hsub_args ha;
	hsub_args_init(&ha);
	engine_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, &li)) != -1) {
		if (hsub_parse_arg(&ha, opt, longopts[li].name, optarg))
			continue;
		switch (opt) {
		case 'c': cls = estrtou64(optarg, 65535, "--class"); break;
		case 'r': remove_path = optarg; break;
		case 'T': train_path = optarg; break;
		case 't': trace_path = optarg; break;
		case 'D':
			if (strcmp(optarg, "all") && strcmp(optarg, "kept"))
				die_usage("unknown --divisor '%s' (want all or kept)", optarg);
			kept_div = !strcmp(optarg, "kept");
			break;
		case 'd': device = engine_parse(optarg); break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'j': engine_threads(optarg); break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (!train_path || (cls == UINT64_MAX) == !remove_path)
		die_usage("--train and one of --class and --remove are required");
	hsub_args_check(&ha);
	if (argc - optind > 1 || (trace_path && argc - optind > 0))
		die_usage("one network: a CACHE or --trace TRACE");
	const char *net_path = trace_path ? trace_path : optind < argc ? argv[optind] : NULL;
	int from_stdin = (!net_path || !strcmp(net_path, "-")) + !strcmp(train_path, "-") +
			 (remove_path && !strcmp(remove_path, "-")) + (ha.ids && !strcmp(ha.ids, "-"));
	if (from_stdin > 1)
		die_usage("only one of the network, --train, --remove and --hessian-ids can come "
			  "from stdin");

	trace_header th;
	real *theta, *state;
	trace_read_final(net_path, trace_path ? FMT_KIND_TRACE : FMT_KIND_CACHE,
			 "no final parameters", NULL, NULL, &th, &theta, &state);
	const char *nname = net_path && strcmp(net_path, "-") ? net_path : "stdin";
	const char *tname = strcmp(train_path, "-") ? train_path : "stdin";
	nn_net net;
	data_net_init(&net, &th, nname);
	if (th.momentum != 0 && !quiet)
		warn("the run used momentum %g; the update assumes θ_T minimises the objective",
		     th.momentum);
	data d;
	data_load_for(&d, train_path, &th, "");
	data_check_trained(&d, &th, tname, nname);

	/* R: the examples to forget, and n: those trained on */
	size_t m = 0, *rem;
	if (remove_path) {
		rem = hsub_rows_ids(remove_path, &d, &m);
	} else {
		if (cls >= (uint64_t)th.classes)
			die("--class %llu: the network has %d classes", (unsigned long long)cls,
			    th.classes);
		rem = emalloc(d.n * sizeof *rem);
		for (size_t i = 0; i < d.n; i++)
			if ((uint64_t)d.y[i] == cls)
				rem[m++] = i;
		if (m == 0)
			die("%s: no example of class %llu", tname, (unsigned long long)cls);
	}
	size_t n = d.n;
	idset skip;
	idset_init(&skip);
	for (size_t i = 0; i < th.nskip; i++)
		idset_add(&skip, th.skip[i]);
	for (size_t i = 0; i < d.n; i++)
		n -= idset_has(&skip, d.id[i]);
	if (m >= n)
		die("removing %zu of the %zu examples trained on leaves none", m, n);
	double div = kept_div ? (double)(n - m) : (double)n;

	/* S */
	size_t k, *rows = hsub_rows(ha.ids, ha.size, ha.seed, &d, &k);

	/* g = Σ_R ∇ℓ / div; s = (H_S + λI)⁻¹ g; θ' = θ_T + s */
	size_t P = net.nparams;
	/* the engine at the products' batch: the run's with batch-norm */
	int bs = hsub_batch(&net, th.batch, th.batch > 256 ? th.batch : 256);
	engine *eng = engine_new(&net, bs, device, quiet);
	real *dth = engine_alloc(eng, P), *g = engine_alloc(eng, P), *tmp = engine_alloc(eng, P);
	real *s = engine_alloc(eng, P);
	engine_put(eng, dth, theta, P);
	hsub_grad_sum(g, tmp, eng, &d, dth, rem, m, bs);
	engine_axpby(eng, g, 0, g, 1 / div, P);
	hsub h;
	hsub_init(&h, eng, &d, dth, rows, k, bs, th.weight_decay, ha.gn, ha.lissa_batch,
		  ha.seed);
	hsub_solve_auto(&h, s, g, &ha.o, !ha.damping_set, quiet);
	double sn = sqrt(engine_dot(eng, s, s, P)), tn = sqrt(engine_dot(eng, dth, dth, P));
	engine_add(eng, dth, s, P);
	engine_get(eng, theta, dth, P);
	for (size_t i = 0; i < P; i++)
		if (!isfinite(theta[i]))
			die("the update is not finite: raise --damping");

	out_file out;
	out_open(&out, out_path, force);
	/* θ' alone: no epoch of the run it came from is traced here (a reader
	 * wants every step record of a traced epoch) */
	th.ntrace = 0;
	trace_writer tw;
	trace_writer_open(&tw, out.f, out_path ? out_path : "stdout", &th);
	trace_theta tt = { .at = TRACE_AT_FINAL, .epoch = th.epochs - 1, .step = 0,
			   .theta = theta, .state = state };
	trace_write_theta(&tw, &tt, TRACE_ENC_RAW);
	trace_writer_close(&tw);
	out_close(&out);
	if (!quiet)
		warn("%zu of %zu examples forgotten (divisor %.0f): |theta' - theta_T| = %.4g, "
		     "|theta_T| = %.4g", m, n, div, sn, tn);
	hsub_free(&h);
	engine_release(eng, dth), engine_release(eng, g), engine_release(eng, tmp);
	engine_release(eng, s);
	engine_free(eng);
	idset_free(&skip);
	free(rem), free(rows), free(theta), free(state);
	nn_free(&net);
	data_free(&d);
	trace_header_free(&th);
	return 0;
}
