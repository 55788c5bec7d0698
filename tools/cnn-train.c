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
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/data.h"
#include "../lib/dynamics.h"
#include "../lib/idset.h"
#include "../lib/ids.h"
#include "../lib/nn.h"
#include "../lib/rand.h"
#include "../lib/sgd.h"
#include "../lib/trace.h"
#include "../lib/progress.h"
#include "../lib/util.h"


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

/* --dynamics: each step's batch as the forward pass saw it (sgd's hook) */
typedef struct dyn_ctx {
	rec_writer *w;
	int K;                  /* the network's outputs */
	int epoch;
	long step;
	dyn_step st;            /* a batch's worth */
	float *z;               /* (K) one example's logits */
} dyn_ctx;

static void dyn_seen(void *ctx, const sgd *s)
{
	dyn_ctx *c = ctx;
	const real *z = engine_logits(s->eng), *l = engine_losses(s->eng);
	const data *d = s->d;
	int B = s->b.n, K = c->K;
	for (int j = 0; j < B; j++) {
		size_t i = s->row[j];
		double m;
		int hit;
		for (int k = 0; k < K; k++)
			c->z[k] = (float)z[(size_t)j * K + k];
		dyn_margin(c->z, K, d->y[i], &m, &hit);
		c->st.ids[j] = d->id[i];
		c->st.y[j] = (uint32_t)d->y[i];
		c->st.margin[j] = (float)m;
		c->st.loss[j] = (float)l[j];
		c->st.hit[j] = (unsigned char)hit;
	}
	c->st.n = B, c->st.epoch = c->epoch, c->st.step = c->step;
	dyn_write_step(c->w, &c->st);
}

/* θ and state are engine vectors; hbuf holds np + ns host floats */
static void put_theta(trace_writer *tw, engine *eng, real *hbuf, int at, int epoch,
		      long step, const real *theta, size_t np, const real *state, size_t ns)
{
	engine_get(eng, hbuf, theta, np);
	engine_get(eng, hbuf + np, state, ns);
	trace_theta t = { .at = at, .epoch = epoch, .step = step, .theta = hbuf,
			  .state = hbuf + np };
	trace_write_theta(tw, &t, TRACE_ENC_RAW);
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

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
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
		{ "skip-from", required_argument, 0, 'F' },
		{ "schedule", required_argument, 0, 'C' }, { "lr-min", required_argument, 0, 'M' },
		{ "warmup", required_argument, 0, 'W' }, { "drop-last", no_argument, 0, 'L' },
		{ "dynamics", required_argument, 0, 'Y' }, { "aum-fake", required_argument, 0, 'A' },
		{ "aum-seed", required_argument, 0, 'E' },
		{ "threads", required_argument, 0, 't' }, { "device", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	trace_header th = { .net = "conv6", .lr = 0.05, .lr_decay = 1, .batch = 32,
			    .epochs = 20, .augment = "none", .snapshots = "final" };
	const char *trace_opt = "last", *skip_path = NULL, *out_path = NULL;
	int force = 0, quiet = 0, device = DEV_AUTO, opt, skip_from = -1, have_decay = 0;
	int have_min = 0;
	const char *sched = NULL, *dyn_path = NULL;
	uint64_t aum_fake = 0, aum_seed = 0;
	int have_aum_seed = 0;
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
	if (aum_fake && !dyn_path)
		die_usage("--aum-fake goes with --dynamics FILE (the fake examples' margins set the "
			  "threshold)");
	if (have_aum_seed && !aum_fake)
		die_usage("--aum-seed goes with --aum-fake N");
	if (!have_aum_seed)
		aum_seed = th.seed;
	if (dyn_path && !strcmp(dyn_path, "-") && (!out_path || !strcmp(out_path, "-")))
		die_usage("--dynamics and the trace cannot both go to stdout");
	if (skip_from >= th.epochs)
		die_usage("--skip-from %d: the run has epochs 0 to %d", skip_from, th.epochs - 1);
	augment aug;
	if (augment_parse(&aug, th.augment) < 0)
		die_usage("bad --augment '%s' (want none, crop:P, flip or crop:P,flip)", th.augment);
	int every = 0;
	if (!strcmp(th.snapshots, "every"))
		every = 1;
	else if (!strncmp(th.snapshots, "every:", 6))
		every = (int)estrtou64(th.snapshots + 6, 1 << 30, "--snapshots every:K");
	else if (strcmp(th.snapshots, "none") && strcmp(th.snapshots, "final"))
		die_usage("bad --snapshots '%s' (want none, final, every or every:K)", th.snapshots);
	if (every < 0 || (!strncmp(th.snapshots, "every:", 6) && every == 0))
		die_usage("--snapshots every:K needs K >= 1");
	th.trace_epochs = parse_epochs(trace_opt, th.epochs, &th.ntrace);

	/* the data, padded to the network's input */
	const char *in_path = optind < argc ? argv[optind] : NULL;
	const char *in_name = in_path && strcmp(in_path, "-") ? in_path : "stdin";
	FILE *in = in_open(in_path);
	data d;
	ds_set s;
	ds_set_load(&s, in, in_name);
	int ic = (int)s.h.c, ih = (int)s.h.h, iw = (int)s.h.w;
	nn_input_shape(th.net, &ic, &ih, &iw);
	data_from_set(&d, &s, in_name, ic, ih, iw);
	ds_set_free(&s);
	in_close(in);
	if (d.n == 0)
		die("%s: no training examples", in_name);
	th.train_n = d.n;
	/* --aum-fake: N examples trained as class K, the network one output
	 * more; the digest stays the dataset's */
	int K = d.classes;
	if (aum_fake) {
		if (aum_fake >= d.n)
			die_usage("--aum-fake %llu: %s has %zu examples", (unsigned long long)aum_fake,
				  in_name, d.n);
		if ((unsigned)K + 1 > FMT_MAX_CLASSES)
			die("%s: %d classes: no room for a fake one", in_name, K);
		uint32_t *idx = emalloc(emul(d.n, sizeof *idx));
		for (uint32_t i = 0; i < d.n; i++)
			idx[i] = i;
		rng r;
		rng_init_for(&r, aum_seed, "aum fake");
		rng_shuffle_u32(&r, idx, (uint32_t)d.n);
		for (uint64_t q = 0; q < aum_fake; q++)
			d.y[idx[q]] = K;
		d.classes = K + 1;
		free(idx);
	}
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
	th.input[0] = d.c, th.input[1] = d.h, th.input[2] = d.w;
	memcpy(th.data_shape, d.data_shape, sizeof th.data_shape);
	th.classes = d.classes;
	th.nparams = net.nparams;
	th.nstate = net.nstate;
	th.train_digest = d.digest;

	/* counterfactual: which examples are left out */
	idset skip;
	idset_init(&skip);
	id_list skip_ids = { 0 };
	if (skip_path) {
		FILE *f = in_open(skip_path);
		ids_read(&skip_ids, f, skip_path);
		in_close(f);
		idset present;
		idset_init(&present);
		for (size_t i = 0; i < d.n; i++)
			idset_add(&present, d.id[i]);
		for (size_t i = 0; i < skip_ids.n; i++) {
			if (!idset_has(&present, skip_ids.v[i]))
				die("--skip: id %llu is not in the training set",
				    (unsigned long long)skip_ids.v[i]);
			idset_add(&skip, skip_ids.v[i]);
		}
		idset_free(&present);
	}
	th.skip = skip_ids.v;
	th.nskip = skip_ids.n;
	th.skip_from = skip_from > 0 ? skip_from : 0;

	engine *eng = engine_new(&net, th.batch, device, quiet);
	real *hbuf = emalloc((net.nparams + net.nstate + 1) * sizeof *hbuf);
	nn_init_params(&net, hbuf, hbuf + net.nparams, th.seed);
	real *theta = engine_alloc(eng, net.nparams);
	real *state = engine_alloc(eng, net.nstate + 1);
	engine_put(eng, theta, hbuf, net.nparams);
	engine_put(eng, state, hbuf + net.nparams, net.nstate);
	sgd opt_sgd;
	sgd_init(&opt_sgd, eng, &net, &d, th.batch, &aug, th.seed, th.weight_decay, th.momentum,
		 th.nskip ? &skip : NULL);
	uint32_t *perm = emalloc(emul(d.n, sizeof *perm));
	size_t *bidx = emalloc((size_t)th.batch * sizeof *bidx);

	out_file out;
	out_open(&out, out_path, force);
	trace_writer tw;
	trace_writer_open(&tw, out.f, out_path ? out_path : "stdout", &th);
	out_file dout;
	dyn_ctx dc = { .K = d.classes };
	if (dyn_path) {
		out_open(&dout, dyn_path, force);
		dyn_header dh = { .net = th.net, .classes = K, .outputs = d.classes,
				  .fake = aum_fake > 0, .aum_fake = aum_fake, .aum_seed = aum_seed,
				  .train_n = d.n, .train_digest = d.digest, .epochs = th.epochs,
				  .batch = th.batch, .steps_per_epoch = trace_steps_per_epoch(&th),
				  .seed = th.seed };
		dc.w = dyn_writer_open(dout.f, strcmp(dyn_path, "-") ? dyn_path : "stdout", &dh);
		dc.st.ids = emalloc((size_t)th.batch * sizeof *dc.st.ids);
		dc.st.y = emalloc((size_t)th.batch * sizeof *dc.st.y);
		dc.st.margin = emalloc((size_t)th.batch * sizeof *dc.st.margin);
		dc.st.loss = emalloc((size_t)th.batch * sizeof *dc.st.loss);
		dc.st.hit = emalloc((size_t)th.batch);
		dc.z = emalloc((size_t)d.classes * sizeof *dc.z);
		opt_sgd.seen = dyn_seen;
		opt_sgd.seen_ctx = &dc;
	}
	uint64_t *sids = emalloc((size_t)th.batch * sizeof *sids);
	if (!quiet) {
		char desc[1024];
		nn_describe(&net, desc, sizeof desc);
		warn("%s; %zu examples, batch %d%s, lr %g (%s%s), %d epochs%s; on %s", desc, d.n,
		     th.batch, th.drop_last ? " (the partial one dropped)" : "", th.lr,
		     trace_schedule_name(th.schedule), th.warmup ? ", warm-up" : "", th.epochs,
		     th.nskip ? ", counterfactual" : "", engine_name(eng));
	}

	long step = 0;
	long steps_per_epoch = (long)trace_steps_per_epoch(&th);
	for (int e = 0; e < th.epochs; e++) {
		double t0 = now(), loss_sum = 0;
		char pwhat[48], ploss[48] = "";
		snprintf(pwhat, sizeof pwhat, "epoch %d/%d", e + 1, th.epochs);
		progress pg;
		progress_begin(&pg, pwhat, (uint64_t)steps_per_epoch, "steps", quiet);
		size_t seen = 0, correct = 0;
		int traced = trace_has_epoch(&th, e);
		rng r;
		rng_init_for(&r, rng_key(th.seed, (uint64_t)e, 0), "batch order");
		/* before skip_from the run is the original one, bit for bit */
		opt_sgd.skip = th.nskip && e >= th.skip_from ? &skip : NULL;
		sgd_reset(&opt_sgd);
		for (uint32_t i = 0; i < d.n; i++)
			perm[i] = i;
		rng_shuffle_u32(&r, perm, (uint32_t)d.n);
		if (traced)
			put_theta(&tw, eng, hbuf, TRACE_AT_EPOCH, e, step, theta, net.nparams, state,
				  net.nstate);
		for (long j = 0; j < steps_per_epoch; j++, step++) {
			size_t at = (size_t)j * (size_t)th.batch;
			int full = (int)(d.n - at < (size_t)th.batch ? d.n - at : (size_t)th.batch);
			double lr = trace_lr_at(&th, step);
			if (traced && every && (step - (long)e * steps_per_epoch) % every == 0)
				put_theta(&tw, eng, hbuf, TRACE_AT_STEP, e, step, theta, net.nparams,
					  state, net.nstate);
			if (traced) {
				for (int j = 0; j < full; j++)
					sids[j] = d.id[perm[at + (size_t)j]];
				trace_step ts = { .epoch = e, .step = step, .lr = lr, .n = full,
						  .ids = sids };
				trace_write_step(&tw, &ts);
			}
			for (int j = 0; j < full; j++)
				bidx[j] = perm[at + (size_t)j];
			dc.epoch = e, dc.step = step;
			seen += (size_t)sgd_step(&opt_sgd, theta, state, bidx, full, e, lr, SIZE_MAX);
			/* the loss is checked every 50 steps and at the end of the epoch:
			 * on a GPU that is when the host waits for the device */
			int last = j == steps_per_epoch - 1;
			progress_set(&pg, (uint64_t)(step + 1 - (long)e * steps_per_epoch),
				     *ploss ? ploss : NULL);
			if (step % 50 != 49 && !last)
				continue;
			long bad = sgd_read(&opt_sgd, &loss_sum, &correct);
			if (bad >= 0)
				die("training diverged at epoch %d step %ld (loss not finite); "
				    "lower --lr", e, (long)e * steps_per_epoch + bad);
			snprintf(ploss, sizeof ploss, "loss %.4f", loss_sum / (double)(seen ? seen : 1));
		}
		double secs = now() - t0;
		double mloss = loss_sum / (double)(seen ? seen : 1);
		double acc = (double)correct / (double)(seen ? seen : 1);
		/* no wall time in the trace: it would break bit-exact determinism */
		trace_write_metric(&tw, &(trace_metric){ .epoch = e, .loss = mloss, .acc = acc });
		progress_end(&pg);
		if (!quiet)
			warn("epoch %d/%d: loss %.4f, train accuracy %.2f%% (%.1f s, %.0f images/s)",
			     e + 1, th.epochs, mloss, 100 * acc, secs, (double)seen / secs);
	}
	put_theta(&tw, eng, hbuf, TRACE_AT_FINAL, th.epochs - 1, step, theta, net.nparams, state,
		  net.nstate);
	trace_writer_close(&tw);
	if (dyn_path) {
		rec_writer_close(dc.w);
		out_finish(&dout);      /* committed with the trace */
		free(dc.st.ids), free(dc.st.y), free(dc.st.margin), free(dc.st.loss);
		free(dc.st.hit), free(dc.z);
	}
	out_close(&out);

	free(perm), free(bidx), free(sids), free(th.trace_epochs), free(hbuf);
	sgd_free(&opt_sgd);
	engine_release(eng, theta);
	engine_release(eng, state);
	engine_free(eng);
	nn_free(&net);
	data_free(&d);
	idset_free(&skip);
	ids_free(&skip_ids);
	return 0;
}
