/*
 * cnn-train — train a network with SGD on a dataset stream and write a
 * training trace (formats/trace.md): the schedule of the traced epochs and
 * parameter snapshots. Deterministic: the same data, options and seed give
 * the same bytes, whatever the thread count. With --skip it replays exactly
 * the same batches and augmentation leaving those examples out, each batch
 * keeping its original divisor |S_t|: the true counterfactual that influence
 * estimates are judged against.
 *
 * --dynamics FILE records what each step's forward pass saw of each example
 * of its batch (formats/dynamics.md): the margin of its logits, its loss and
 * whether it was classified right, from the step's own forward pass (no
 * second one; on a GPU the logits and losses come to the host once a step).
 * The trace is the same bytes with it or without. --aum-fake N gives N
 * examples (seeded) a fake extra class for the whole run, as Pleiss et al.
 * (2020) do to set the threshold of the area under the margin (dyn-score):
 * the network then has K + 1 outputs, and its trace models no dataset of K
 * classes (cnn-eval and the replays refuse it).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/nn/data.h"
#include "../lib/nn/nn.h"
#include "../lib/nn/train.h"
#include "../lib/stream/ids.h"
#include "../lib/stream/idset.h"
#include "../lib/stream/trace.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: cnn-train [options] [TRAIN]\n"
	"  --net SPEC           conv6 (default), hara-mnist, linear, mlp:H, or a layer list\n"
	"  --lr F               learning rate (default 0.05)\n"
	"  --schedule S         const (default), step (--lr-decay per epoch), linear or cosine\n"
	"                       (decay to --lr-min over all the steps after the warm-up)\n"
	"  --lr-decay F         step: multiply the learning rate by F after each epoch\n"
	"  --lr-min F           linear, cosine: the floor they decay to (default 0)\n"
	"  --warmup N           N steps of linear warm-up from lr/N to the schedule (default 0)\n"
	"  --drop-last          drop each epoch's partial last batch (a new one every epoch)\n"
	"  --batch N            batch size (default 32)\n"
	"  --epochs N           epochs (default 20)\n"
	"  --momentum F         heavy-ball momentum (default 0)\n"
	"  --weight-decay F     L2 coefficient (default 0)\n"
	"  --seed S             initialisation, batch order, augmentation (default 0)\n"
	"  --augment A          none (default), crop:P, flip, crop:P,flip\n"
	"  --trace-epochs E     last (default), all, none, or a list like 0,5,19\n"
	"  --snapshots S        none, final (default), every, every:K (in traced epochs)\n"
	"  --skip IDS           leave these examples out (ids stream or text): counterfactual replay\n"
	"  --skip-from E        leave them out from epoch E (0-based) on only: with the last\n"
	"                       epoch, Hara et al.'s retraining of the last epoch from its start\n"
	"  --dynamics FILE      each step's margins, losses and hits per example (dyn-score)\n"
	"  --aum-fake N         with --dynamics: N examples (seeded) trained as a fake extra class\n"
	"  --aum-seed S         which examples are fake (default: --seed)\n"
	"  --threads N          CPU threads (default: all cores); the results do not depend on it\n"
	"  --device D           auto (default: a CUDA GPU when there is one), cpu, cuda\n"
	"  -o OUT               write the trace to OUT (default stdout)\n"
	"  -f                   write to a terminal anyway;  -q  no progress on stderr\n";

static int *parse_epochs(const char *s, int epochs, int *n)
{
	int *v = ecalloc((size_t)epochs, sizeof *v);
	*n = 0;
	if (!strcmp(s, "none"))
		return v;
	if (!strcmp(s, "last")) {
		v[(*n)++] = epochs - 1;
		return v;
	}
	if (!strcmp(s, "all")) {
		for (int e = 0; e < epochs; e++)
			v[(*n)++] = e;
		return v;
	}
	char *copy = estrdup(s), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int e = (int)estrtou64(t, (uint64_t)epochs - 1, "--trace-epochs entry");
		if (*n && e <= v[*n - 1])
			die_usage("--trace-epochs must be increasing");
		v[(*n)++] = e;
	}
	free(copy);
	return v;
}

/* --snapshots: none or final (0), every (1) or every:K (K) */
static int parse_snapshots(const char *s)
{
	int every = 0;
	if (!strcmp(s, "every"))
		every = 1;
	else if (!strncmp(s, "every:", 6))
		every = (int)estrtou64(s + 6, 1 << 30, "--snapshots every:K");
	else if (strcmp(s, "none") && strcmp(s, "final"))
		die_usage("bad --snapshots '%s' (want none, final, every or every:K)", s);
	if (every < 0 || (!strncmp(s, "every:", 6) && every == 0))
		die_usage("--snapshots every:K needs K >= 1");
	return every;
}

/* --dynamics, --aum-fake and --aum-seed, checked against each other */
static void dynamics_check(const char *dyn_path, const char *out_path, uint64_t aum_fake,
			   int have_aum_seed)
{
	if (aum_fake && !dyn_path)
		die_usage("--aum-fake goes with --dynamics FILE (the fake examples' margins set the "
			  "threshold)");
	if (have_aum_seed && !aum_fake)
		die_usage("--aum-seed goes with --aum-fake N");
	if (dyn_path && !strcmp(dyn_path, "-") && (!out_path || !strcmp(out_path, "-")))
		die_usage("--dynamics and the trace cannot both go to stdout");
}

/* the schedule options, checked against each other, into th */
static void schedule_check(trace_header *th, const char *sched, int have_decay, int have_min)
{
	th->schedule = sched ? trace_schedule_parse(sched) :
		       have_decay && th->lr_decay != 1 ? TRACE_SCHED_STEP : TRACE_SCHED_CONST;
	if (th->schedule < 0)
		die_usage("bad --schedule '%s' (want const, step, linear or cosine)", sched);
	int decays = th->schedule == TRACE_SCHED_LINEAR || th->schedule == TRACE_SCHED_COSINE;
	if (have_decay && th->schedule != TRACE_SCHED_STEP && th->lr_decay != 1)
		die_usage("--lr-decay goes with --schedule step (this is %s)",
			  trace_schedule_name(th->schedule));
	if (have_min && !decays)
		die_usage("--lr-min goes with --schedule linear or cosine");
	if (th->lr_min > th->lr)
		die_usage("--lr-min %g is above --lr %g", th->lr_min, th->lr);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "net", required_argument, 0, 'N' }, { "lr", required_argument, 0, 'l' },
		{ "lr-decay", required_argument, 0, 'D' }, { "batch", required_argument, 0, 'b' },
		{ "epochs", required_argument, 0, 'e' }, { "momentum", required_argument, 0, 'm' },
		{ "weight-decay", required_argument, 0, 'w' }, { "seed", required_argument, 0, 's' },
		{ "augment", required_argument, 0, 'a' }, { "trace-epochs", required_argument, 0, 'T' },
		{ "snapshots", required_argument, 0, 'S' }, { "skip", required_argument, 0, 'k' },
		{ "skip-from", required_argument, 0, 'F' }, { "aum-seed", required_argument, 0, 'E' },
		{ "schedule", required_argument, 0, 'C' }, { "lr-min", required_argument, 0, 'M' },
		{ "warmup", required_argument, 0, 'W' }, { "drop-last", no_argument, 0, 'L' },
		{ "dynamics", required_argument, 0, 'Y' }, { "aum-fake", required_argument, 0, 'A' },
		{ "threads", required_argument, 0, 't' }, { "device", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	trace_header th = { .net = "conv6", .lr = 0.05, .lr_decay = 1, .batch = 32,
			    .epochs = 20, .augment = "none", .snapshots = "final" };
	const char *trace_opt = "last", *skip_path = NULL, *out_path = NULL;
	int force = 0, quiet = 0, device = DEV_AUTO, opt, skip_from = -1, have_decay = 0;
	int have_min = 0, have_aum_seed = 0;
	const char *sched = NULL, *dyn_path = NULL;
	uint64_t aum_fake = 0, aum_seed = 0;
	engine_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'N': th.net = optarg; break;
		case 'l': th.lr = estrtod(optarg, 0, 1e3, "--lr"); break;
		case 'D': th.lr_decay = estrtod(optarg, 0, 1, "--lr-decay"), have_decay = 1; break;
		case 'C': sched = optarg; break;
		case 'M': th.lr_min = estrtod(optarg, 0, 1e3, "--lr-min"), have_min = 1; break;
		case 'W': th.warmup = (long)estrtou64(optarg, 1ull << 40, "--warmup"); break;
		case 'L': th.drop_last = 1; break;
		case 'Y': dyn_path = optarg; break;
		case 'A': aum_fake = estrtou64(optarg, UINT32_MAX, "--aum-fake"); break;
		case 'E': aum_seed = estrtou64(optarg, UINT64_MAX, "--aum-seed"), have_aum_seed = 1; break;
		case 'b': th.batch = (int)estrtou64(optarg, 1 << 16, "--batch"); break;
		case 'e': th.epochs = (int)estrtou64(optarg, 100000, "--epochs"); break;
		case 'm': th.momentum = estrtod(optarg, 0, 0.9999, "--momentum"); break;
		case 'w': th.weight_decay = estrtod(optarg, 0, 1, "--weight-decay"); break;
		case 's': th.seed = estrtou64(optarg, UINT64_MAX, "--seed"); break;
		case 'a': th.augment = optarg; break;
		case 'T': trace_opt = optarg; break;
		case 'S': th.snapshots = optarg; break;
		case 'k': skip_path = optarg; break;
		case 'F': skip_from = (int)estrtou64(optarg, 100000, "--skip-from"); break;
		case 't': engine_threads(optarg); break;
		case 'd': device = engine_parse(optarg); break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (th.batch < 1 || th.epochs < 1)
		die_usage("--batch and --epochs must be at least 1");
	if (argc - optind > 1)
		die_usage("at most one TRAIN dataset");
	schedule_check(&th, sched, have_decay, have_min);
	if (skip_from >= 0 && !skip_path)
		die_usage("--skip-from needs --skip");
	dynamics_check(dyn_path, out_path, aum_fake, have_aum_seed);
	if (!have_aum_seed)
		aum_seed = th.seed;
	if (skip_from >= th.epochs)
		die_usage("--skip-from %d: the run has epochs 0 to %d", skip_from, th.epochs - 1);
	augment aug;
	if (augment_parse(&aug, th.augment) < 0)
		die_usage("bad --augment '%s' (want none, crop:P, flip or crop:P,flip)", th.augment);
	int every = parse_snapshots(th.snapshots);
	th.trace_epochs = parse_epochs(trace_opt, th.epochs, &th.ntrace);

	/* the data, padded to the network's input */
	const char *in_path = optind < argc ? argv[optind] : NULL;
	const char *in_name = in_path && strcmp(in_path, "-") ? in_path : "stdin";
	data d;
	train_data(&d, in_path, in_name, th.net);
	th.train_n = d.n;
	int K = d.classes;      /* the dataset's; --aum-fake adds one */
	if (aum_fake)
		train_aum_fake(&d, aum_fake, aum_seed, in_name);
	if (th.drop_last && d.n < (size_t)th.batch)
		die_usage("--drop-last: %s has %zu examples, fewer than a batch of %d", in_name, d.n,
			  th.batch);
	if ((uint64_t)th.warmup >= trace_steps_per_epoch(&th) * (uint64_t)th.epochs)
		die_usage("--warmup %ld: the run has %llu steps", th.warmup,
			  (unsigned long long)(trace_steps_per_epoch(&th) * (uint64_t)th.epochs));

	nn_net net;
	char err[256];
	if (nn_init(&net, th.net, d.c, d.h, d.w, d.classes, err, sizeof err) < 0)
		die_usage("%s", err);
	train_header(&th, &net, &d);

	/* counterfactual: which examples are left out */
	idset skip;
	id_list skip_ids = { 0 };
	train_skip(&skip_ids, &skip, skip_path, &d);
	th.skip = skip_ids.v, th.nskip = skip_ids.n;
	th.skip_from = skip_from > 0 ? skip_from : 0;

	trainer t;
	train_init(&t, &th, &net, &d, &aug, th.nskip ? &skip : NULL, every, device, quiet);
	out_file out;
	out_open(&out, out_path, force);
	trace_writer tw;
	trace_writer_open(&tw, out.f, out_path ? out_path : "stdout", &th);
	out_file dout;
	rec_writer *dw = NULL;
	if (dyn_path) {
		out_open(&dout, dyn_path, force);
		dw = train_dynamics(&t, dout.f, strcmp(dyn_path, "-") ? dyn_path : "stdout", K,
				    aum_fake, aum_seed);
	}
	if (!quiet) {
		char desc[1024];
		nn_describe(&net, desc, sizeof desc);
		warn("%s; %zu examples, batch %d%s, lr %g (%s%s), %d epochs%s; on %s", desc, d.n,
		     th.batch, th.drop_last ? " (the partial one dropped)" : "", th.lr,
		     trace_schedule_name(th.schedule), th.warmup ? ", warm-up" : "", th.epochs,
		     th.nskip ? ", counterfactual" : "", engine_name(t.eng));
	}
	for (int e = 0; e < th.epochs; e++) {
		train_stats st;
		train_epoch(&t, &tw, e, &st);
		if (!quiet)
			warn("epoch %d/%d: loss %.4f, train accuracy %.2f%% (%.1f s, %.0f images/s)",
			     e + 1, th.epochs, st.loss, 100 * st.acc, st.secs,
			     (double)st.seen / st.secs);
	}
	train_final(&t, &tw);
	trace_writer_close(&tw);
	if (dw) {
		rec_writer_close(dw);
		out_finish(&dout);      /* committed with the trace */
	}
	out_close(&out);

	train_free(&t);
	free(th.trace_epochs);
	nn_free(&net);
	data_free(&d);
	idset_free(&skip);
	ids_free(&skip_ids);
	return 0;
}
