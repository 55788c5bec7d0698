/*
 * inf-score — score every training example by its estimated effect on the
 * validation loss, from a cache (formats/cache.md), the training set and the
 * validation set; writes a scores stream (formats/scores.md).
 *
 * u = ∇ of the mean validation loss at θ_T (batch-norm in evaluation mode,
 * with the running statistics, as the papers did). Then the traced steps are
 * walked backwards, t = T−1 … 0:
 *   every example j of S_t gains (η_t/|S_t|)·⟨u, g(z_j; θ_t)⟩   (R-forward pass)
 *   u ← u − η_t·(H_t u + λu)                                    (R-backward pass)
 * with H_t the exact Hessian of S_t's batch-mean loss and λ the weight decay.
 *   sgd            θ_t of every step (every-step cache, or exact replay from
 *                  checkpoints) — Hara et al.
 *   sgd-last       θ_T in place of every θ_t — Suzuki et al.: the default,
 *                  chosen on converged training (docs/results.md: it finds
 *                  the flipped labels and removing them raises accuracy)
 *   sgd-last-ref   sgd-last with u ← u − (η_t/|S_t|)(H_t u + λu), as both
 *                  published implementations do (--ref-u-scale): a u-walk
 *                  |S_t| times shorter, nearer tracin-last
 *   tracin-last    the same sum without the u update (no Hessian)
 *   sgd-flow, sgd-last-flow  sgd and sgd-last with each u update replaced
 *                  by m sub-steps u ← u − (η_t/m)(H_t u + λu), i.e.
 *                  exp(−η_t H_t) u, gradient flow over the step: bounded
 *                  where η_t·λ > 2 makes the papers' walk explode; m =
 *                  ⌈2η·λ⌉ from the measured top eigenvalue λ (m = 1, the
 *                  papers' update exactly, while η·λ ≤ 1/2). Bounded for
 *                  positive curvature only: a negative eigenvalue grows
 *                  as exp does
 *   sgd-gn, sgd-last-gn  the same flow with the Gauss-Newton matrix G_t =
 *                  J_tᵀ H_z J_t (positive semi-definite) in place of H_t: every
 *                  sub-step contracts, so ‖u‖ never grows; G = H where the
 *                  network is linear in θ (softmax regression)
 *   counterfactual the true L_val(θ_T without j) − L_val(θ_T), by replaying
 *                  the traced epochs without j (needs the θ at their start)
 *   if             influence functions (Koh & Liang) at θ_T with the Hessian
 *                  of a subset S (--hessian-ids, or a seeded random subset):
 *                  s = (H_S + λI)⁻¹ u by CG or LiSSA (lib/score/ihvp.c;
 *                  without --damping, CG takes the least λ of 0.01 … 100
 *                  under which it works: lib/score/hsub.h), and
 *                  example j scores ⟨s, ∇ℓ(z_j; θ_T)⟩ / n, n the examples
 *                  trained on (formats/scores.md derives it); no walk
 * Every u-walk measures its stability — the top eigenvalue λ of the last
 * batch's Hessian at θ_T by power iteration (and, for sgd, at θ_t of the
 * last, middle and first steps), and how much ‖u‖ grew — into the scores
 * header, and warns when η·λ > 2 or ‖u‖ grew over 100×: the scores are then
 * dominated by the instability.
 * Negative: removing the example is predicted to lower the validation loss.
 * Memory: O(|θ| + batch + N); every-step parameters are spooled to a
 * temporary file and read back in reverse.
 *
 * The algorithms are lib/score/influence.c's, the cache is read by lib/score/cache.c;
 * this file picks the method, checks the cache can serve it, and writes
 * the scores (lib/stream/scores.c).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/nn/data.h"
#include "../lib/nn/engine.h"
#include "../lib/nn/nn.h"
#include "../lib/nn/sgd.h"
#include "../lib/score/cache.h"
#include "../lib/score/cache_run.h"
#include "../lib/score/hsub.h"
#include "../lib/score/influence.h"
#include "../lib/show/scores_csv.h"
#include "../lib/stream/ids.h"
#include "../lib/stream/idset.h"
#include "../lib/stream/scores.h"
#include "../lib/util/progress.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: inf-score [--method M] --train TRAIN --val VAL [options] [CACHE]\n"
	"  --method M      sgd-last (default), sgd, sgd-flow, sgd-gn, sgd-last-ref,\n"
	"                  sgd-last-flow, sgd-last-gn, tracin-last, counterfactual or if\n"
	"  --train TRAIN   the training set the cache was made from\n"
	"  --val VAL       the validation set\n"
	"  --ids IDS       score only these training examples (ids stream or text)\n"
	"  --ref-u-scale   u <- u - (eta/|S|) H u, as both published implementations do\n"
	"                  (the derivation has no 1/|S|; default off)\n"
	"  --flow-steps M  sub-steps per step of the -flow and -gn methods (default: from the\n"
	"                  measured top eigenvalue, ceil(2*eta*lambda))\n"
	"influence functions (--method if):\n"
	HSUB_USAGE
	"  --csv FILE      also write CSV x:image,y:label,influence,datasource_index,\n"
	"                  most negative first (x:image and datasource_index hold the id),\n"
	"                  with label_name when the training set names its classes\n"
	"  --image-dir DIR with --csv: each example as DIR/ID.png, its path in x:image\n"
	"  --threads N     CPU threads (default: all cores); the results do not depend on it\n"
	"  --device D      auto (default), cpu or cuda\n"
	"  -o OUT          the scores (default stdout);  -f  to a terminal;  -q  quiet\n";

enum { M_SGD, M_LAST, M_TRACIN, M_CF, M_IF };

static const struct {
	const char *name;
	int m, curv, flow, ref;
} methods[] = {
	{ "sgd", M_SGD, INFL_HESSIAN, 0, 0 }, { "sgd-flow", M_SGD, INFL_HESSIAN, 1, 0 },
	{ "sgd-gn", M_SGD, INFL_GN, 1, 0 }, { "sgd-last", M_LAST, INFL_HESSIAN, 0, 0 },
	{ "sgd-last-ref", M_LAST, INFL_HESSIAN, 0, 1 },
	{ "sgd-last-flow", M_LAST, INFL_HESSIAN, 1, 0 }, { "sgd-last-gn", M_LAST, INFL_GN, 1, 0 },
	{ "tracin-last", M_TRACIN, INFL_NONE, 0, 0 }, { "counterfactual", M_CF, INFL_NONE, 0, 0 },
	{ "if", M_IF, INFL_NONE, 0, 0 },
};

/* the batch of --method if's products and dots: the run's with batch-norm
 * (per-batch statistics), else up to IF_BATCH (the same results, up to the
 * order of float sums, in fewer and larger GEMMs) */
#define IF_BATCH 256
static int if_batch(const nn_net *net, const trace_header *th)
{
	return hsub_batch(net, th->batch, IF_BATCH);
}

/* the method named: M_* into *m and its curvature, flow and ref_u_scale,
 * or a usage error */
static void method_of(const char *name, int *m, int *curv, int *flow, int *ref)
{
	*m = -1;
	for (size_t k = 0; k < sizeof methods / sizeof *methods; k++)
		if (!strcmp(name, methods[k].name))
			*m = methods[k].m, *flow = methods[k].flow, *curv = methods[k].curv,
			*ref |= methods[k].ref;
	if (*m < 0)
		die_usage("unknown --method '%s' (want sgd, sgd-flow, sgd-gn, sgd-last, "
			  "sgd-last-ref, sgd-last-flow, sgd-last-gn, tracin-last, counterfactual "
			  "or if)", name);
}

/* what inf-score runs when no --method is named: the method that found
 * mislabelled examples best in docs/stability.md's evidence */
#define DEFAULT_METHOD "sgd-last"

/* the thresholds of the instability warning: |1 − ηλ| > 1 once ηλ > 2,
 * and a walk whose ‖u‖ grew a hundredfold is led by what it amplified */
#define WARN_ETA_LAMBDA 2.0
#define WARN_U_GROWTH 100.0

/* the walk's stability on stderr (unless quiet), and the warning when it
 * was unstable (always) */
static void note_stability(const char *method, int flow, const scores_stability *s, int quiet)
{
	if (!quiet)
		warn("%s: top Hessian eigenvalue %.4g at theta_T, eta*lambda %.3g, |u| grew "
		     "%.3gx; %d u sub-step%s per step", method, s->lambda, s->eta_lambda,
		     s->u_growth, s->flow_steps, s->flow_steps == 1 ? "" : "s");
	int bad_eta = !flow && s->eta_lambda > WARN_ETA_LAMBDA;
	if (!bad_eta && !(s->u_growth > WARN_U_GROWTH))
		return;
	warn("%s: the u-walk is unstable (eta*lambda = %.3g%s, |u| grew %.3gx, %.3gx at "
	     "most in one step): the scores are dominated by the instability; use "
	     "--method %s", method, s->eta_lambda,
	     s->eta_lambda > WARN_ETA_LAMBDA ? " > 2" : "", s->u_growth, s->u_step_max,
	     strncmp(method, "sgd-last", 8) ? "sgd-gn (bounded) or sgd-last-ref" :
	     strcmp(method, "sgd-last-ref") ? "sgd-last-ref (docs/stability.md) or sgd-last-gn (bounded)" :
					      "sgd-last-gn (bounded) or tracin-last");
}

/* the scores to out_path (NULL: stdout) and, with csv_path, as CSV: both
 * committed together; returns how many were written */
static size_t write_scores(const char *out_path, int force, const char *csv_path,
			   const char *image_dir, const char *train_path, const scores_meta *sm,
			   const data *train, const double *score, const unsigned char *want)
{
	out_file out;
	out_open(&out, out_path, force);
	size_t nwant = scores_write(out.f, out_path ? out_path : "stdout", sm, train->n,
				    train->id, train->y, score, want);
	out_finish(&out);
	if (csv_path) {
		out_file co;
		out_open(&co, csv_path, 1);
		scores_csv_write_from(co.f, train->n, train->id, train->y, score, want, train_path,
				      image_dir);
		out_finish(&co);
	}
	out_commit();           /* -o and --csv together, or neither */
	return nwant;
}

/* what method m needs of the cache c: exits when it cannot serve */
static void check_method(int m, const cache *c, const char *cname, int quiet)
{
	const trace_header *th = &c->tr.h;
	const char *policy = c->tr.policy;
	if (m == M_SGD && strcmp(policy, "every-step") && strncmp(policy, "checkpoints:", 12))
		die("%s: --method sgd needs every θ_t: make the cache with --keep every-step "
		    "or checkpoints:K (this one is '%s'); or use sgd-last", cname, policy);
	if ((m == M_CF || (m == M_SGD && c->snap_theta)) && th->momentum != 0)
		die("%s: replay is plain SGD; this run used momentum", cname);
	if (th->momentum != 0 && !quiet)
		warn("the run used momentum %g; the estimate assumes plain SGD steps",
		     th->momentum);
	if (m == M_CF && !c->start_theta)
		die("%s: counterfactual replays the traced epochs from their start: make the "
		    "cache with --keep every-step or checkpoints:K", cname);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "method", required_argument, 0, 'm' }, { "train", required_argument, 0, 'T' },
		{ "val", required_argument, 0, 'V' }, { "ids", required_argument, 0, 'i' },
		{ "ref-u-scale", no_argument, 0, 'R' }, { "csv", required_argument, 0, 'c' }, { "image-dir", required_argument, 0, 'P' },
		{ "device", required_argument, 0, 'd' },
		{ "flow-steps", required_argument, 0, 'F' },
		HSUB_LONGOPTS,
		{ "threads", required_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	hsub_args ia;
	int if_opt = 0, li = 0;
	hsub_args_init(&ia);
	const char *method = NULL, *train_path = NULL, *val_path = NULL, *ids_path = NULL;
	const char *csv_path = NULL, *image_dir = NULL, *out_path = NULL;
	int ref = 0, force = 0, quiet = 0, device = DEV_AUTO, opt, flow_steps = 0;
	engine_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, &li)) != -1) {
		if (hsub_parse_arg(&ia, opt, longopts[li].name, optarg)) {
			if_opt = 1;
			continue;
		}
		switch (opt) {
		case 'm': method = optarg; break;
		case 'T': train_path = optarg; break;
		case 'V': val_path = optarg; break;
		case 'i': ids_path = optarg; break;
		case 'R': ref = 1; break;
		case 'c': csv_path = optarg; break;
		case 'P': image_dir = optarg; break;
		case 'd': device = engine_parse(optarg); break;
		case 'F':
			if ((flow_steps = (int)estrtou64(optarg, 100000, "--flow-steps")) < 1)
				die_usage("--flow-steps must be 1 to 100000");
			break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'j': engine_threads(optarg); break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (!train_path || !val_path)
		die_usage("--train and --val are required");
	if (!method)
		method = DEFAULT_METHOD;
	int m = -1, flow = 0, curv = 0;
	method_of(method, &m, &curv, &flow, &ref);
	if (if_opt && m != M_IF)
		die_usage("the Hessian subset and solver options go with --method if");
	hsub_args_check(&ia);
	if (flow_steps && !flow)
		die_usage("--flow-steps goes with a -flow or -gn method");
	if (image_dir && !csv_path)
		die_usage("--image-dir goes with --csv");
	if (argc - optind > 1)
		die_usage("at most one CACHE");
	const char *cache_path = optind < argc ? argv[optind] : NULL;
	const char *cname = cache_path && strcmp(cache_path, "-") ? cache_path : "stdin";
	int from_stdin = (!cache_path || !strcmp(cache_path, "-")) + !strcmp(train_path, "-") +
			 !strcmp(val_path, "-");
	if (from_stdin > 1)
		die_usage("only one of the cache, --train and --val can come from stdin");

	/* the cache's header, the data as the network saw it, the cache */
	cache c;
	data train, val;
	cache_run_load(&c, &train, &val, cache_path, cname, train_path, val_path);
	const trace_header *th = &c.tr.h;
	nn_net net;
	augment aug;
	idset skip;
	cache_run_setup(&net, &aug, &skip, &c);
	check_method(m, &c, cname, quiet);
	unsigned char *want = ids_path ? ids_flags(ids_path, train.id, train.n) : NULL;

	/* u = ∇L_val at θ_T; then the method. The validation pass runs at the
	 * run's batch, as the walk does, so the engine's workspace (a, d, R{a},
	 * R{d} at every layer boundary, per example of its batch: 4.8 MB for
	 * conv6) is sized by the training batch alone: at 256 it was 1.2 GB */
	int BS = th->batch, EB = m == M_IF ? if_batch(&net, th) : BS;
	size_t P = net.nparams;
	engine *eng = engine_new(&net, EB, device, quiet);
	real *u = engine_alloc(eng, P), *tmp = engine_alloc(eng, P);
	real *thT = engine_alloc(eng, P), *stT = engine_alloc(eng, net.nstate + 1);
	engine_put(eng, thT, c.theta_T, P);
	engine_put(eng, stT, c.state_T, net.nstate);
	sgd sg;
	sgd_init(&sg, eng, &net, &train, th->batch, &aug, th->seed, th->weight_decay, 0,
		 th->nskip ? &skip : NULL);
	influence in = { .sg = &sg, .steps = c.steps, .nsteps = c.nsteps, .val = &val,
			 .val_batch = BS, .name = cname, .quiet = quiet,
			 .progress = !quiet };
	double t_u = progress_now();
	double L0 = influence_val_loss(u, tmp, &in, thT, stT);
	t_u = progress_now() - t_u;
	double t_all = progress_now(), walk_s = -1;
	double *score = ecalloc(train.n, sizeof *score);
	scores_stability stab = { 0 }, *st = NULL;
	scores_kv kv[HSUB_SCORES_KV + 1];
	size_t nkv = 0;
	if (m == M_IF) {
		nkv = hsub_scores(score, kv, eng, &train, thT, u, EB, th->weight_decay,
				  th->nskip ? &skip : NULL, &ia, quiet);
	} else if (m == M_CF) {
		influence_counterfactual(score, &in, c.start_theta, c.start_state, c.theta_T, L0,
					 want);
	} else {
		st = m != M_TRACIN && c.nsteps > 0 ? &stab : NULL;
		walk_s = cache_run_walk(score, u, &in, &c, thT, m == M_SGD, curv, ref,
					flow ? flow_steps : 1, st);
	}

	/* a run with momentum: the estimate assumes plain SGD steps, and the
	 * header says so beside the warning (check_method) */
	if (th->momentum != 0)
		kv[nkv++] = (scores_kv){ .key = "momentum", .f64 = 1, .f = th->momentum };

	/* the scores, in training-set order */
	scores_meta sm = { .method = method, .net = th->net, .train_n = train.n,
			   .train_digest = train.digest, .val_n = val.n, .val_loss = L0,
			   .ref_u_scale = ref, .stability = st, .nkv = nkv, .kv = kv };
	size_t nwant = write_scores(out_path, force, csv_path, image_dir, train_path, &sm, &train,
				    score, want);
	if (st)
		note_stability(method, flow, &stab, quiet);
	t_all = progress_now() - t_all;
	if (!quiet && walk_s >= 0)
		warn("%s: seconds: u %.2f, stability probes %.2f, u-walk %.2f (%.3g per step)",
		     method, t_u, t_all - walk_s, walk_s, c.nsteps ? walk_s / c.nsteps : 0);
	if (!quiet)
		warn("%s: %zu training examples scored over %zu traced steps; validation loss "
		     "%.6f on %zu examples", method, nwant, c.nsteps, L0, val.n);
	sgd_free(&sg);
	engine_release(eng, u), engine_release(eng, tmp);
	engine_release(eng, thT), engine_release(eng, stT);
	engine_free(eng);
	data_free(&train), data_free(&val);
	idset_free(&skip);
	cache_free(&c);
	nn_free(&net);
	free(score), free(want);
	return 0;
}
