/*
 * hess-sample — choose the subset S of the training set whose Hessian
 * stands in for the whole set's in influence functions (inf-score --method
 * if, inf-update), from a trained network (a cache, or a trace with
 * --trace) and the training set; writes an ids stream (formats/ids.md) of
 * K examples in training-set order.
 *
 *   --by random    K examples uniformly without replacement, seeded: the
 *                  same subset inf-score and inf-update draw with
 *                  --hessian-size K --seed S
 *   --by features  stratified by k-means in the space of the input of the
 *                  last affine layer at θ_T (evaluation mode)
 *   --by logits    the same in the space of that layer's output
 *
 * The stratified samplers are ours (Koh et al., 2024 describe theirs only
 * as "considering the stochastic distribution of features or logits"):
 * k-means++ seeds and Lloyd iterations (lib/score/kmeans.c) split the training
 * set into C clusters; each cluster gets a share of K proportional to its
 * size (largest remainders, ties to the lower cluster), and its share is
 * drawn uniformly inside it (--pick random, default: proportional
 * stratified sampling, so H_S stays an unbiased estimate of the mean
 * Hessian with the between-cluster part of its variance removed) or taken
 * nearest its centroid (--pick nearest: the most typical members).
 * Deterministic for a seed; memory O(N·d) for N examples of d values.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/nn/data.h"
#include "../lib/nn/engine.h"
#include "../lib/nn/nn.h"
#include "../lib/score/hsub.h"
#include "../lib/score/kmeans.h"
#include "../lib/stream/ids.h"
#include "../lib/stream/trace.h"
#include "../lib/util/rand.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: hess-sample --by M -k K --train TRAIN [options] [CACHE]\n"
	"  --by M          random, features (input of the last affine layer) or logits\n"
	"  -k K            how many examples to choose\n"
	"  --train TRAIN   the training set the network was trained on\n"
	"  --trace TRACE   take the network from a training trace instead of a CACHE\n"
	"  --seed S        seed (default 0)\n"
	"  --clusters C    k-means clusters (default ceil(K/8), at most the examples)\n"
	"  --iters N       most Lloyd iterations (default 20)\n"
	"  --pick P        within a cluster: random (default) or nearest its centroid\n"
	"  --threads N     CPU threads (default: all cores); the results do not depend on it\n"
	"  --device D      auto (default), cpu or cuda\n"
	"  -o OUT          the ids (default stdout);  -f  to a terminal;  -q  quiet\n";

enum { BY_RANDOM, BY_FEATURES, BY_LOGITS };

static int show_progress;

static void progress(int iter, size_t moved)
{
	if (show_progress)
		warn("k-means iteration %d: %zu examples moved", iter, moved);
}

/* the features or logits of every example at θ (evaluation mode), (n, *dim) */
static float *embed(engine *eng, const data *d, const real *theta, const real *state, int by,
		    int K, size_t *dim)
{
	int BS = 256, F = 0;
	float *x = NULL;
	for (size_t at = 0; at < d->n; at += (size_t)BS) {
		int B = (int)(d->n - at < (size_t)BS ? d->n - at : (size_t)BS);
		batch bt = { .d = d, .n = B, .first = at };
		engine_forward(eng, theta, (real *)state, &bt, B, NN_EVAL);
		const real *h = by == BY_FEATURES ? engine_features(eng, &F) : engine_logits(eng);
		if (by == BY_LOGITS)
			F = K;
		if (!x)
			x = emalloc(emul(d->n, (size_t)F * sizeof *x));
		for (size_t i = 0; i < (size_t)B * (size_t)F; i++)
			x[at * (size_t)F + i] = (float)h[i];
	}
	*dim = (size_t)F;
	return x;
}

/* K of n rows by proportional allocation over the clusters of km, into
 * pick[0..K) (flags per row) */
static void stratify(unsigned char *pick, const kmeans *km, size_t n, size_t K, int nearest,
		     const float *x, uint64_t seed)
{
	size_t C = km->k, given = 0;
	size_t *share = ecalloc(C, sizeof *share);
	double *rem = ecalloc(C, sizeof *rem);
	for (size_t j = 0; j < C; j++) {
		double q = (double)K * (double)km->size[j] / (double)n;
		share[j] = (size_t)floor(q);
		rem[j] = q - floor(q);
		given += share[j];
	}
	while (given < K) {     /* largest remainders; ties to the lower cluster */
		size_t best = C;
		for (size_t j = 0; j < C; j++)
			if (share[j] < km->size[j] && (best == C || rem[j] > rem[best]))
				best = j;
		share[best]++, rem[best] = -1, given++;
	}
	/* the members of each cluster, in row order */
	size_t *start = ecalloc(C + 1, sizeof *start), *fill = ecalloc(C, sizeof *fill);
	size_t *member = emalloc(n * sizeof *member);
	for (size_t j = 0; j < C; j++)
		start[j + 1] = start[j] + km->size[j];
	for (size_t p = 0; p < n; p++)
		member[start[km->assign[p]] + fill[km->assign[p]]++] = p;
	for (size_t j = 0; j < C; j++) {
		size_t *m = member + start[j], sz = km->size[j];
		rng g;
		rng_init_for(&g, rng_key(seed, j, 0), "hess-sample cluster");
		for (size_t a = 0; a < share[j]; a++) {
			/* random: a partial shuffle; nearest: selection by distance */
			size_t b = a;
			if (nearest) {
				for (size_t c = a; c < sz; c++) {
					if (kmeans_dist2(km, x + m[c] * km->d, j) <
					    kmeans_dist2(km, x + m[b] * km->d, j))
						b = c;
				}
			} else {
				b = a + (size_t)rng_below(&g, sz - a);
			}
			size_t t = m[a];
			m[a] = m[b], m[b] = t;
			pick[m[a]] = 1;
		}
	}
	free(share), free(rem), free(start), free(fill), free(member);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "by", required_argument, 0, 'b' }, { "train", required_argument, 0, 'T' },
		{ "trace", required_argument, 0, 't' }, { "seed", required_argument, 0, 's' },
		{ "clusters", required_argument, 0, 'C' }, { "iters", required_argument, 0, 'I' },
		{ "pick", required_argument, 0, 'p' }, { "device", required_argument, 0, 'd' },
		{ "threads", required_argument, 0, 'j' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *by_s = NULL, *train_path = NULL, *trace_path = NULL, *out_path = NULL;
	uint64_t K = 0, C = 0, seed = 0;
	int iters = 20, nearest = 0, force = 0, quiet = 0, device = DEV_AUTO, opt, have_k = 0;
	engine_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "k:o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'b': by_s = optarg; break;
		case 'k': K = estrtou64(optarg, 1ull << 32, "-k"), have_k = 1; break;
		case 'T': train_path = optarg; break;
		case 't': trace_path = optarg; break;
		case 's': seed = estrtou64(optarg, UINT64_MAX, "--seed"); break;
		case 'C': C = estrtou64(optarg, 1ull << 24, "--clusters"); break;
		case 'I': iters = (int)estrtou64(optarg, 100000, "--iters"); break;
		case 'p':
			if (strcmp(optarg, "random") && strcmp(optarg, "nearest"))
				die_usage("unknown --pick '%s' (want random or nearest)", optarg);
			nearest = !strcmp(optarg, "nearest");
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
	if (!by_s || !have_k || !train_path)
		die_usage("--by, -k and --train are required");
	int by = !strcmp(by_s, "random") ? BY_RANDOM : !strcmp(by_s, "features") ? BY_FEATURES :
		 !strcmp(by_s, "logits") ? BY_LOGITS : -1;
	if (by < 0)
		die_usage("unknown --by '%s' (want random, features or logits)", by_s);
	if (K < 1)
		die_usage("-k must be at least 1");
	if (argc - optind > 1 || (trace_path && argc - optind > 0))
		die_usage("one network: a CACHE or --trace TRACE");
	const char *net_path = trace_path ? trace_path : optind < argc ? argv[optind] : NULL;
	if ((!net_path || !strcmp(net_path, "-")) && !strcmp(train_path, "-"))
		die_usage("the network and --train cannot both come from stdin");
	show_progress = !quiet;

	trace_header th;
	real *theta, *state;
	trace_read_final(net_path, trace_path ? FMT_KIND_TRACE : FMT_KIND_CACHE,
			 "no final parameters", NULL, NULL, &th, &theta, &state);
	const char *nname = net_path && strcmp(net_path, "-") ? net_path : "stdin";
	const char *tname = strcmp(train_path, "-") ? train_path : "stdin";
	data d;
	data_load_for(&d, train_path, &th, "");
	data_check_trained(&d, &th, tname, nname);
	if (K > d.n)
		die("-k %llu: only %zu training examples", (unsigned long long)K, d.n);

	unsigned char *pick = ecalloc(d.n, 1);
	size_t dim = 0;
	kmeans km = { 0 };
	if (by == BY_RANDOM) {
		size_t *rows = emalloc(K * sizeof *rows);
		hsub_rows_random(rows, d.n, K, seed);
		for (size_t i = 0; i < K; i++)
			pick[rows[i]] = 1;
		free(rows);
	} else {
		nn_net net;
		data_net_init(&net, &th, nname);
		engine *eng = engine_new(&net, 256, device, quiet);
		real *dth = engine_alloc(eng, net.nparams), *dst = engine_alloc(eng, net.nstate + 1);
		engine_put(eng, dth, theta, net.nparams);
		engine_put(eng, dst, state, net.nstate);
		float *x = embed(eng, &d, dth, dst, by, th.classes, &dim);
		engine_release(eng, dth), engine_release(eng, dst);
		engine_free(eng);
		nn_free(&net);
		if (C == 0)
			C = (K + 7) / 8;
		if (C > d.n)
			C = d.n;
		if (!quiet)
			warn("k-means: %zu examples of %zu %s into %llu clusters", d.n, dim, by_s,
			     (unsigned long long)C);
		kmeans_fit(&km, x, d.n, dim, C, iters, seed, progress);
		stratify(pick, &km, d.n, K, nearest, x, seed);
		free(x);
	}

	size_t nout = 0;
	for (size_t i = 0; i < d.n; i++)
		nout += pick[i];
	if (nout != K)
		die("internal error: %zu chosen, want %llu", nout, (unsigned long long)K);
	out_file out;
	out_open(&out, out_path, force);
	rec_writer *w = ids_writer_open(out.f, out_path ? out_path : "stdout", "hessian");
	for (size_t i = 0; i < d.n; i++) {
		if (!pick[i])
			continue;
		msgpack_packer *pk = rec_writer_pk(w);
		msgpack_pack_map(pk, 1);
		pk_kv_u64(pk, "id", d.id[i]);
		rec_writer_commit(w);
	}
	rec_writer_close(w);
	out_close(&out);
	if (!quiet && by != BY_RANDOM)
		warn("%s: %llu of %zu examples from %zu clusters (%d Lloyd iterations, inertia "
		     "%.4g), %s within each", by_s, (unsigned long long)K, d.n, km.k, km.iters,
		     km.inertia, nearest ? "nearest the centroid" : "at random");
	else if (!quiet)
		warn("random: %llu of %zu examples", (unsigned long long)K, d.n);
	kmeans_free(&km);
	free(pick), free(theta), free(state);
	data_free(&d);
	trace_header_free(&th);
	return 0;
}
