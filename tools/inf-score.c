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
 *   sgd-last       θ_T in place of every θ_t — Suzuki et al.
 *   tracin-last    the same sum without the u update (no Hessian)
 *   counterfactual the true L_val(θ_T without j) − L_val(θ_T), by replaying
 *                  the traced epochs without j (needs the θ at their start)
 * Negative: removing the example is predicted to lower the validation loss.
 * Memory: O(|θ| + batch + N); every-step parameters are spooled to a
 * temporary file and read back in reverse.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/data.h"
#include "../lib/engine.h"
#include "../lib/ids.h"
#include "../lib/nn.h"
#include "../lib/scores.h"
#include "../lib/sgd.h"
#include "../lib/trace.h"
#include "../lib/util.h"

static const char *usage_text =
	"usage: inf-score --method M --train TRAIN --val VAL [options] [CACHE]\n"
	"  --method M      sgd, sgd-last, tracin-last or counterfactual\n"
	"  --train TRAIN   the training set the cache was made from\n"
	"  --val VAL       the validation set\n"
	"  --ids IDS       score only these training examples (ids stream or text)\n"
	"  --ref-u-scale   u <- u - (eta/|S|) H u, as both published implementations do\n"
	"                  (the derivation has no 1/|S|; default off)\n"
	"  --csv FILE      also write CSV x:image,y:label,influence,datasource_index,\n"
	"                  most negative first (x:image and datasource_index hold the id)\n"
	"  --device D      auto (default), cpu or cuda\n"
	"  -o OUT          the scores (default stdout);  -f  to a terminal;  -q  quiet\n";

enum { M_SGD, M_LAST, M_TRACIN, M_CF };

typedef struct step {
	int epoch;
	long step;
	double lr;
	int n;                  /* |S_t| */
	size_t *idx;            /* indices into the training data */
} step;

typedef struct cache {
	trace_header th;
	char *policy;
	step *steps;
	size_t nsteps, capsteps;
	real *theta_T, *state_T;
	/* snapshots at traced steps: checkpoints in memory, every-step spooled */
	size_t nsnap;
	long *snap_step;
	real **snap_theta, **snap_state;        /* checkpoints only */
	FILE *spool;                            /* every-step */
	real *start_theta, *start_state;        /* the first snapshot */
} cache;

static void cache_free(cache *c)
{
	for (size_t t = 0; t < c->nsteps; t++)
		free(c->steps[t].idx);
	for (size_t k = 0; c->snap_theta && k < c->nsnap; k++)
		free(c->snap_theta[k]), free(c->snap_state[k]);
	free(c->snap_theta), free(c->snap_state), free(c->snap_step);
	free(c->steps), free(c->policy), free(c->theta_T), free(c->state_T);
	free(c->start_theta), free(c->start_state);
	if (c->spool)
		fclose(c->spool);
	trace_header_free(&c->th);
}

/* the records of a cache whose header tr->h was read */
static void read_cache(cache *c, trace_reader *tr, const char *name, const data *train,
		       const idmap *where)
{
	c->policy = estrdup(tr->policy);
	const trace_header *th = &tr->h;
	if (th->train_n != train->n || th->train_digest != train->digest)
		die("%s: made from another training set (%llu examples, digest %08x; "
		    "this one has %zu, digest %08x)", name, (unsigned long long)th->train_n,
		    th->train_digest, train->n, train->digest);
	size_t nb = th->nparams * sizeof(real), ns = th->nstate * sizeof(real);
	int rt;
	while ((rt = trace_reader_next(tr))) {
		if (rt == TRACE_REC_STEP) {
			const trace_step *s = &tr->step;
			if (c->nsteps == c->capsteps) {
				c->capsteps = c->capsteps ? 2 * c->capsteps : 256;
				c->steps = erealloc(c->steps, c->capsteps * sizeof *c->steps);
			}
			step *p = &c->steps[c->nsteps++];
			p->epoch = s->epoch, p->step = s->step, p->lr = s->lr, p->n = s->n;
			p->idx = emalloc((size_t)s->n * sizeof *p->idx);
			for (int j = 0; j < s->n; j++)
				if (!idmap_get(where, s->ids[j], &p->idx[j]))
					die("%s: step %llu names an id not in the training set",
					    name, (unsigned long long)s->step);
			continue;
		}
		if (rt != TRACE_REC_THETA)
			continue;
		const real *buf = tr->theta.theta, *sp = tr->theta.state;
		if (tr->theta.at == TRACE_AT_FINAL) {
			c->theta_T = emalloc(nb + 1);
			c->state_T = emalloc(ns + 1);
			memcpy(c->theta_T, buf, nb);
			memcpy(c->state_T, sp, ns);
			continue;
		}
		c->snap_step = erealloc(c->snap_step, (c->nsnap + 1) * sizeof *c->snap_step);
		c->snap_step[c->nsnap] = tr->theta.step;
		if (c->nsnap == 0) {
			c->start_theta = emalloc(nb + 1);
			c->start_state = emalloc(ns + 1);
			memcpy(c->start_theta, buf, nb);
			memcpy(c->start_state, sp, ns);
		}
		if (!strcmp(c->policy, "every-step")) {
			if (!c->spool && !(c->spool = tmpfile()))
				die("tmpfile:");
			if (fwrite(buf, 1, nb, c->spool) != nb)
				die("write temporary file:");
		} else {
			c->snap_theta = erealloc(c->snap_theta, (c->nsnap + 1) * sizeof(real *));
			c->snap_state = erealloc(c->snap_state, (c->nsnap + 1) * sizeof(real *));
			c->snap_theta[c->nsnap] = emalloc(nb + 1);
			c->snap_state[c->nsnap] = emalloc(ns + 1);
			memcpy(c->snap_theta[c->nsnap], buf, nb);
			memcpy(c->snap_state[c->nsnap], sp, ns);
		}
		c->nsnap++;
	}
	if (!c->theta_T)
		die("%s: no final parameters", name);
	if (c->spool && fflush(c->spool) != 0)
		die("write temporary file:");
}

/* a replay must land on the θ the run recorded. On the CPU, and on the GPU
 * for a run made on the same GPU, that is bit for bit; a run made on
 * another device lands within float round-off, accepted with a note. */
static int replay_lands(const engine *eng, const real *got, const real *want, size_t P,
			const char *cname, const char *what, int quiet)
{
	if (!memcmp(got, want, P * sizeof *got))
		return 1;
	double maxd = 0, maxw = 1;
	for (size_t k = 0; k < P; k++) {
		double d = fabs((double)got[k] - want[k]);
		maxd = d > maxd || isnan(d) ? d : maxd;
		maxw = fabs(want[k]) > maxw ? fabs(want[k]) : maxw;
	}
	if (!engine_is_cuda(eng) || !(maxd <= 1e-3 * maxw))
		return 0;
	static int noted;
	if (!quiet && !noted++)
		warn("%s: %s lands within %.2g of the run's parameters, not bit for bit "
		     "(the run was made on another device)", cname, what, maxd);
	return 1;
}

/* mean loss over d at (theta, state) in evaluation mode; grad (may be NULL;
 * zero on entry) gets its gradient added. All vectors are engine vectors. */
static double val_loss(engine *eng, size_t P, int bs, const data *d, const real *theta,
		       real *state, real *grad, real *tmp)
{
	double total = 0;
	for (size_t at = 0; at < d->n; at += (size_t)bs) {
		int B = (int)(d->n - at < (size_t)bs ? d->n - at : (size_t)bs);
		/* each batch's loss divided by the whole count: the sum is the mean */
		batch b = { .d = d, .n = B, .first = at };
		engine_forward(eng, theta, state, &b, (double)d->n, NN_EVAL);
		total += engine_loss(eng);
		if (grad) {
			engine_backward(eng, theta, tmp);
			engine_add(eng, grad, tmp, P);
		}
	}
	return total;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "method", required_argument, 0, 'm' }, { "train", required_argument, 0, 'T' },
		{ "val", required_argument, 0, 'V' }, { "ids", required_argument, 0, 'i' },
		{ "ref-u-scale", no_argument, 0, 'R' }, { "csv", required_argument, 0, 'c' },
		{ "device", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 },
	};
	const char *method = NULL, *train_path = NULL, *val_path = NULL, *ids_path = NULL;
	const char *csv_path = NULL, *out_path = NULL;
	int ref = 0, force = 0, quiet = 0, device = DEV_AUTO, opt;
	util_init(argv[0]);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'm': method = optarg; break;
		case 'T': train_path = optarg; break;
		case 'V': val_path = optarg; break;
		case 'i': ids_path = optarg; break;
		case 'R': ref = 1; break;
		case 'c': csv_path = optarg; break;
		case 'd': device = engine_parse(optarg); break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (!method || !train_path || !val_path)
		die_usage("--method, --train and --val are required");
	int m = !strcmp(method, "sgd") ? M_SGD : !strcmp(method, "sgd-last") ? M_LAST :
		!strcmp(method, "tracin-last") ? M_TRACIN :
		!strcmp(method, "counterfactual") ? M_CF : -1;
	if (m < 0)
		die_usage("unknown --method '%s' (want sgd, sgd-last, tracin-last or "
			  "counterfactual)", method);
	if (argc - optind > 1)
		die_usage("at most one CACHE");
	const char *cache_path = optind < argc ? argv[optind] : NULL;
	const char *cname = cache_path ? cache_path : "stdin";
	int from_stdin = (!cache_path || !strcmp(cache_path, "-")) + !strcmp(train_path, "-") +
			 !strcmp(val_path, "-");
	if (from_stdin > 1)
		die_usage("only one of the cache, --train and --val can come from stdin");

	FILE *cf = in_open(cache_path);
	trace_reader tr;
	trace_reader_open(&tr, cf, cname, FMT_KIND_CACHE);
	cache c;
	memset(&c, 0, sizeof c);
	trace_header *th = &tr.h;

	/* the data, as the network saw it */
	data train, val;
	FILE *f = in_open(train_path);
	data_load(&train, f, train_path, th->input[0], th->input[1], th->input[2]);
	in_close(f);
	data_load_for(&val, val_path, th, "validation ");
	idmap where;
	idmap_init(&where);
	for (size_t i = 0; i < train.n; i++)
		idmap_put(&where, train.id[i], i);
	read_cache(&c, &tr, cname, &train, &where);
	c.th = tr.h;    /* the cache owns the header now */
	memset(&tr.h, 0, sizeof tr.h);
	th = &c.th;
	trace_reader_close(&tr);
	in_close(cf);
	if (c.nsteps == 0)
		die("%s: no traced steps (train with --trace-epochs)", cname);
	if (c.spool && c.nsnap != c.nsteps)
		die("%s: %zu parameter snapshots for %zu traced steps", cname, c.nsnap, c.nsteps);

	nn_net net;
	char err[256];
	if (nn_init(&net, th->net, th->input[0], th->input[1], th->input[2], th->classes,
		    err, sizeof err) < 0)
		die("%s: %s", cname, err);
	if (net.nparams != th->nparams || net.nstate != th->nstate)
		die("%s: '%s' has %zu parameters here, the cache says %llu", cname, th->net,
		    net.nparams, (unsigned long long)th->nparams);
	augment aug;
	if (augment_parse(&aug, th->augment) < 0)
		die("%s: bad augmentation '%s'", cname, th->augment);
	idset skip;
	idset_init(&skip);
	for (size_t i = 0; i < th->nskip; i++)
		idset_add(&skip, th->skip[i]);
	if (m == M_SGD && strcmp(c.policy, "every-step") && strncmp(c.policy, "checkpoints:", 12))
		die("%s: --method sgd needs every θ_t: make the cache with --keep every-step "
		    "or checkpoints:K (this one is '%s'); or use sgd-last", cname, c.policy);
	if ((m == M_CF || (m == M_SGD && c.snap_theta)) && th->momentum != 0)
		die("%s: replay is plain SGD; this run used momentum", cname);
	if (th->momentum != 0 && !quiet)
		warn("the run used momentum %g; the estimate assumes plain SGD steps",
		     th->momentum);
	if (m == M_CF && !c.start_theta)
		die("%s: counterfactual replays the traced epochs from their start: make the "
		    "cache with --keep every-step or checkpoints:K", cname);

	/* which examples to report */
	unsigned char *want = NULL;
	size_t nwant = train.n;
	if (ids_path) {
		id_list l;
		FILE *fi = in_open(ids_path);
		ids_read(&l, fi, ids_path);
		in_close(fi);
		want = ecalloc(train.n, 1);
		for (size_t i = 0; i < l.n; i++) {
			size_t k;
			if (!idmap_get(&where, l.v[i], &k))
				die("%s: id %llu is not in the training set", ids_path,
				    (unsigned long long)l.v[i]);
			want[k] = 1;
		}
		nwant = l.n;
		ids_free(&l);
	}

	int BS = th->batch > 256 ? th->batch : 256;
	size_t P = net.nparams, S = net.nstate + 1;
	size_t nb = P * sizeof(real);
	engine *eng = engine_new(&net, BS, device, quiet);
	/* engine vectors */
	real *u = engine_alloc(eng, P), *tmp = engine_alloc(eng, P), *hv = engine_alloc(eng, P);
	real *theta = engine_alloc(eng, P), *state = engine_alloc(eng, S);
	real *thT = engine_alloc(eng, P), *stT = engine_alloc(eng, S);
	engine_put(eng, thT, c.theta_T, P);
	engine_put(eng, stT, c.state_T, net.nstate);
	real *host = emalloc(nb + 1);   /* a host copy of one θ */
	double L0 = val_loss(eng, P, BS, &val, thT, stT, u, tmp);
	double *score = ecalloc(train.n, sizeof *score);
	sgd sg;
	sgd_init(&sg, eng, &net, &train, th->batch, &aug, th->seed, th->weight_decay, 0,
		 th->nskip ? &skip : NULL);
	real *dots = emalloc((size_t)th->batch * sizeof *dots);
	int progress = !quiet && isatty(STDERR_FILENO);

	if (m == M_CF) {
		/* replay without nothing must give θ_T back, bit for bit */
		for (size_t pass = 0, done = 0; pass <= train.n; pass++) {
			size_t j = pass == 0 ? SIZE_MAX : pass - 1;
			if (j != SIZE_MAX && want && !want[j])
				continue;
			engine_put(eng, theta, c.start_theta, P);
			engine_put(eng, state, c.start_state, net.nstate);
			sgd_reset(&sg);
			for (size_t t = 0; t < c.nsteps; t++) {
				step *p = &c.steps[t];
				sgd_step(&sg, theta, state, p->idx, p->n, p->epoch, p->lr, j);
			}
			long bad = sgd_read(&sg, NULL, NULL);
			if (bad >= 0)
				die("replay diverged at step %ld", c.steps[bad].step);
			if (j == SIZE_MAX) {
				engine_get(eng, host, theta, P);
				if (!replay_lands(eng, host, c.theta_T, P, cname, "the replay", quiet))
					die("%s: replaying the traced steps does not reproduce θ_T: "
					    "the training set or the program differs from the run's",
					    cname);
				continue;
			}
			score[j] = val_loss(eng, P, BS, &val, theta, state, NULL, NULL) - L0;
			if (progress && ++done % 10 == 0)
				fprintf(stderr, "\r%s: counterfactual %zu/%zu ", argv0, done, nwant);
		}
	} else {
		/* checkpoints: replay each segment forward, newest first, then walk
		 * it backwards; every-step: read the spooled θ_t in reverse */
		size_t K = c.snap_theta ? c.nsnap : 0;
		size_t *pos = ecalloc(K + 1, sizeof *pos);
		for (size_t k = 0; k < K; k++) {
			while (pos[k] < c.nsteps && c.steps[pos[k]].step != c.snap_step[k])
				pos[k]++;
			if (pos[k] == c.nsteps)
				die("%s: checkpoint at step %ld is not a traced step", cname,
				    c.snap_step[k]);
		}
		pos[K] = c.nsteps;
		size_t seglen = 0;
		for (size_t k = 0; k < K; k++)
			seglen = pos[k + 1] - pos[k] > seglen ? pos[k + 1] - pos[k] : seglen;
		/* the θ_t of one segment, on the host */
		real *seg = m == M_SGD && K ? emalloc(emul(seglen ? seglen : 1, nb)) : NULL;
		size_t k = K;
		for (size_t t = c.nsteps; t-- > 0;) {
			step *p = &c.steps[t];
			const real *th_t = thT;
			if (m == M_SGD && c.spool) {
				if (pread(fileno(c.spool), host, nb, (off_t)(t * nb)) != (ssize_t)nb)
					die("read temporary file:");
				engine_put(eng, theta, host, P);
				th_t = theta;
			} else if (m == M_SGD) {
				if (k == K || t < pos[k]) {
					k--;    /* replay segment k: steps pos[k] .. pos[k+1]-1 */
					engine_put(eng, theta, c.snap_theta[k], P);
					sgd_reset(&sg);
					for (size_t q = pos[k]; q < pos[k + 1]; q++) {
						engine_get(eng, seg + (q - pos[k]) * P, theta, P);
						step *sq = &c.steps[q];
						sgd_step(&sg, theta, NULL, sq->idx, sq->n, sq->epoch,
							 sq->lr, SIZE_MAX);
					}
					long bad = sgd_read(&sg, NULL, NULL);
					if (bad >= 0)
						die("replay diverged at step %ld",
						    c.steps[pos[k] + (size_t)bad].step);
					const real *next = k + 1 < K ? c.snap_theta[k + 1] : c.theta_T;
					engine_get(eng, host, theta, P);
					if (!replay_lands(eng, host, next, P, cname,
							  "a checkpoint replay", quiet))
						die("%s: replay from the checkpoint at step %ld does not "
						    "reproduce the next one bit for bit", cname, c.snap_step[k]);
				}
				engine_put(eng, theta, seg + (t - pos[k]) * P, P);
				th_t = theta;
			}
			int B = sgd_batch(&sg, p->idx, p->n, p->epoch, SIZE_MAX);
			if (B == 0)
				continue;
			engine_forward(eng, th_t, NULL, &sg.b, p->n, NN_TRAIN);
			if (m != M_TRACIN)
				engine_backward(eng, th_t, tmp);
			engine_rforward(eng, th_t, u, dots);
			for (int b = 0; b < B; b++)
				score[sg.row[b]] += p->lr / p->n * (double)dots[b];
			if (m != M_TRACIN) {
				engine_rbackward(eng, th_t, u, hv);
				engine_u_update(eng, u, hv, P, ref ? p->lr / p->n : p->lr,
						th->weight_decay);
			}
			if (progress && t % 50 == 0)
				fprintf(stderr, "\r%s: %zu steps to go ", argv0, t);
		}
		free(seg);
		free(pos);
	}
	if (progress)
		fputc('\r', stderr);

	/* the scores, in training-set order */
	out_file out;
	out_open(&out, out_path, force);
	rec_writer *w = rec_writer_open(out.f, out_path ? out_path : "stdout");
	msgpack_packer *pk = rec_writer_pk(w);
	rec_header_begin(w, FMT_KIND_SCORES, FMT_VERSION_SCORES, 8);
	pk_kv_str(pk, "method", method);
	pk_kv_str(pk, "net", th->net);
	pk_kv_u64(pk, "train_n", train.n);
	pk_kv_u64(pk, "train_digest", train.digest);
	pk_kv_u64(pk, "val_n", val.n);
	pk_kv_f64(pk, "val_loss", L0);
	pk_str(pk, "ref_u_scale");
	ref ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	pk_kv_u64(pk, "n", nwant);
	rec_writer_begin(w);
	for (size_t i = 0; i < train.n; i++) {
		if (want && !want[i])
			continue;
		if (!isfinite(score[i]))
			die("score of example %llu is not finite", (unsigned long long)train.id[i]);
		msgpack_pack_map(pk, 3);
		pk_kv_u64(pk, "id", train.id[i]);
		pk_kv_u64(pk, "y", (uint64_t)train.y[i]);
		pk_kv_f64(pk, "score", score[i]);
		rec_writer_commit(w);
	}
	rec_writer_close(w);
	out_close(&out);
	if (csv_path) {
		size_t *ord = emalloc(emul(nwant ? nwant : 1, sizeof *ord)), n = 0;
		for (size_t i = 0; i < train.n; i++)
			if (!want || want[i])
				ord[n++] = i;
		scores_order(ord, n, score, train.id);
		out_file co;
		out_open(&co, csv_path, 1);
		fprintf(co.f, "x:image,y:label,influence,datasource_index\n");
		for (size_t q = 0; q < n; q++)
			fprintf(co.f, "%llu,%d,%.9g,%llu\n", (unsigned long long)train.id[ord[q]],
				train.y[ord[q]], score[ord[q]], (unsigned long long)train.id[ord[q]]);
		out_close(&co);
		free(ord);
	}
	if (!quiet)
		warn("%s: %zu training examples scored over %zu traced steps; validation loss "
		     "%.6f on %zu examples", method, nwant, c.nsteps, L0, val.n);
	sgd_free(&sg);
	engine_release(eng, u), engine_release(eng, tmp), engine_release(eng, hv);
	engine_release(eng, theta), engine_release(eng, state);
	engine_release(eng, thT), engine_release(eng, stT);
	engine_free(eng);
	data_free(&train), data_free(&val);
	idmap_free(&where);
	idset_free(&skip);
	cache_free(&c);
	nn_free(&net);
	free(score), free(want), free(host), free(dots);
	return 0;
}
