/*
 * influence.c — the u-walk, checkpoint replay and the counterfactual (see
 * influence.h). Everything computes through lib/nn/engine.h.
 */
#include "influence.h"

#include "spectrum.h"

#include <assert.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../util/progress.h"
#include "../util/util.h"

static_assert(sizeof(real) == sizeof(float), "θ is stored as f32");

double influence_val_loss(real *grad, real *tmp, const influence *in, const real *theta,
			  real *state)
{
	engine *eng = in->sg->eng;
	const data *d = in->val;
	size_t bs = (size_t)in->val_batch;
	double total = 0;
	for (size_t at = 0; at < d->n; at += bs) {
		int B = (int)(d->n - at < bs ? d->n - at : bs);
		/* each batch's loss divided by the whole count: the sum is the mean */
		batch b = { .d = d, .n = B, .first = at };
		engine_forward(eng, theta, state, &b, (double)d->n, NN_EVAL);
		total += engine_loss(eng);
		if (grad) {
			engine_backward(eng, theta, tmp);
			engine_add(eng, grad, tmp, in->sg->net->nparams);
		}
	}
	return total;
}

long influence_replay(float *seg, real *theta, real *state, sgd *sg, const infl_step *steps,
		      size_t n, size_t leave_out)
{
	size_t P = sg->net->nparams;
	sgd_reset(sg);
	for (size_t q = 0; q < n; q++) {
		const infl_step *p = &steps[q];
		if (seg)
			engine_get(sg->eng, seg + q * P, theta, P);
		sgd_step(sg, theta, state, p->idx, p->n, p->epoch, p->lr, leave_out);
	}
	return sgd_read(sg, NULL, NULL);
}

int influence_lands(const engine *eng, const float *got, const float *want, size_t nparams,
		    const char *name, const char *what, int quiet)
{
	if (!memcmp(got, want, nparams * sizeof *got))
		return 1;
	double maxd = 0, maxw = 1;
	for (size_t k = 0; k < nparams; k++) {
		double d = fabs((double)got[k] - want[k]);
		maxd = d > maxd || isnan(d) ? d : maxd;
		maxw = fabs(want[k]) > maxw ? fabs(want[k]) : maxw;
	}
	if (!engine_is_cuda(eng) || !(maxd <= 1e-3 * maxw))
		return 0;
	static int noted;
	if (!quiet && !noted++)
		warn("%s: %s lands within %.2g of the run's parameters, not bit for bit "
		     "(the run was made on another device)", name, what, maxd);
	return 1;
}

/* ------------------------------------------------------------ θ_t */

static void thetas_init(infl_thetas *s, const influence *in)
{
	memset(s, 0, sizeof *s);
	s->in = in;
}

void influence_thetas_fixed(infl_thetas *s, const influence *in, const real *theta)
{
	thetas_init(s, in);
	s->fixed = theta;
}

void influence_thetas_spool(infl_thetas *s, const influence *in, FILE *spool)
{
	size_t P = in->sg->net->nparams;
	thetas_init(s, in);
	s->spool = spool;
	s->theta = engine_alloc(in->sg->eng, P);
	s->host = emalloc(P * sizeof *s->host + 1);
}

void influence_thetas_checkpoints(infl_thetas *s, const influence *in,
				  const float *const *ckpt, const long *ckpt_step, size_t K,
				  const float *theta_T)
{
	size_t P = in->sg->net->nparams, T = in->nsteps;
	thetas_init(s, in);
	s->K = K, s->ckpt = ckpt, s->theta_T = theta_T;
	s->pos = ecalloc(K + 1, sizeof *s->pos);
	for (size_t k = 0; k < K; k++) {
		while (s->pos[k] < T && in->steps[s->pos[k]].step != ckpt_step[k])
			s->pos[k]++;
		if (s->pos[k] == T)
			die("%s: checkpoint at step %ld is not a traced step", in->name,
			    ckpt_step[k]);
	}
	if (K == 0 || s->pos[0] != 0)
		die("%s: no checkpoint at the first traced step", in->name);
	s->pos[K] = T;
	size_t seglen = 1;
	for (size_t k = 0; k < K; k++)
		seglen = s->pos[k + 1] - s->pos[k] > seglen ? s->pos[k + 1] - s->pos[k] : seglen;
	s->seg = emalloc(emul(seglen, P * sizeof *s->seg));
	s->host = emalloc(P * sizeof *s->host + 1);
	s->theta = engine_alloc(in->sg->eng, P);
	s->k = K;
}

/* replay segment k: steps pos[k] .. pos[k+1]−1, from checkpoint k */
static void replay_segment(infl_thetas *s, size_t k)
{
	const influence *in = s->in;
	sgd *sg = in->sg;
	size_t P = sg->net->nparams;
	engine_put(sg->eng, s->theta, s->ckpt[k], P);
	long bad = influence_replay(s->seg, s->theta, NULL, sg, in->steps + s->pos[k],
				    s->pos[k + 1] - s->pos[k], SIZE_MAX);
	if (bad >= 0)
		die("replay diverged at step %ld", in->steps[s->pos[k] + (size_t)bad].step);
	const float *next = k + 1 < s->K ? s->ckpt[k + 1] : s->theta_T;
	engine_get(sg->eng, s->host, s->theta, P);
	if (!influence_lands(sg->eng, s->host, next, P, in->name, "a checkpoint replay",
			     in->quiet))
		die("%s: replay from the checkpoint at step %ld does not reproduce the next "
		    "one bit for bit", in->name, in->steps[s->pos[k]].step);
}

const real *influence_thetas_at(infl_thetas *s, size_t t)
{
	engine *eng = s->in->sg->eng;
	size_t P = s->in->sg->net->nparams, nb = P * sizeof *s->host;
	if (s->fixed)
		return s->fixed;
	if (s->spool) {
		if (pread(fileno(s->spool), s->host, nb, (off_t)(t * nb)) != (ssize_t)nb)
			die("read temporary file:");
		engine_put(eng, s->theta, s->host, P);
		return s->theta;
	}
	/* checkpoints: the walk goes backwards, so each segment is replayed
	 * once, when its last step is first asked for */
	if (s->k == s->K || t < s->pos[s->k])
		replay_segment(s, --s->k);
	engine_put(eng, s->theta, s->seg + (t - s->pos[s->k]) * P, P);
	return s->theta;
}

void influence_thetas_free(infl_thetas *s)
{
	if (s->theta)
		engine_release(s->in->sg->eng, s->theta);
	free(s->pos), free(s->host), free(s->seg);
	memset(s, 0, sizeof *s);
}

/* ------------------------------------------------------------ the walk */

/* H v (or G v) of the batch of the last engine_forward and engine_backward
 * at th */
typedef struct hvp_at {
	engine *eng;
	const real *th;
	int gn;
} hvp_at;

static void batch_hvp(void *ctx, real *hv, const real *v)
{
	hvp_at *h = ctx;
	engine_rforward(h->eng, h->th, v, NULL);
	if (h->gn)
		engine_gnvp(h->eng, h->th, hv);
	else
		engine_rbackward(h->eng, h->th, v, hv);
}

/* power iteration on the batch already forwarded and backwarded at th */
static double batch_curvature(engine *eng, const real *th, size_t P, int gn, uint64_t seed,
			      int *hvps)
{
	real *tmp[3] = { engine_alloc(eng, P), engine_alloc(eng, P), engine_alloc(eng, P) };
	hvp_at h = { eng, th, gn };
	power_result r = spectrum_power(engine_backend(eng), P, batch_hvp, &h, POWER_ITERS,
					POWER_TOL, seed, tmp);
	for (int k = 0; k < 3; k++)
		engine_release(eng, tmp[k]);
	*hvps = r.iters;
	return r.lambda;
}

double influence_curvature(const influence *in, const real *theta, size_t t, int gn, int *hvps)
{
	sgd *sg = in->sg;
	engine *eng = sg->eng;
	size_t P = sg->net->nparams;
	const infl_step *p = &in->steps[t];
	*hvps = 0;
	if (sgd_batch(sg, p->idx, p->n, p->epoch, SIZE_MAX) == 0)
		return 0;
	engine_forward(eng, theta, NULL, &sg->b, p->n, NN_TRAIN);
	if (!gn)        /* H v needs the activations' gradients; G v does not */
		engine_backward(eng, theta, NULL);
	return batch_curvature(eng, theta, P, gn, (uint64_t)t, hvps);
}

int influence_probe(infl_stability *st, const influence *in, const real *theta, int curv,
		    int ref_u_scale, int at_t)
{
	size_t T = in->nsteps;
	double a = 0;   /* the largest step the walk takes */
	for (size_t k = 0; k < INFL_PROBES && k < T; k++) {
		int hvps;
		double l = influence_curvature(in, theta, T - 1 - k * T / INFL_PROBES,
					       curv == INFL_GN, &hvps);
		st->hvps += hvps, st->probes++;
		if (fabs(l) > fabs(st->lambda))
			st->lambda = l;
	}
	for (size_t t = 0; t < T; t++) {
		const infl_step *p = &in->steps[t];
		double at = ref_u_scale ? p->lr / p->n : p->lr;  /* the step the walk takes */
		if (!at_t && at * fabs(st->lambda) > st->eta_lambda)
			st->eta_lambda = at * fabs(st->lambda);
		a = fmax(a, at);
	}
	return spectrum_flow_steps(a, st->lambda);
}

void influence_walk(double *score, real *u, const influence *in, infl_thetas *thetas,
		    int hessian, int ref_u_scale)
{
	influence_walk_ex(score, u, in, thetas, hessian, ref_u_scale, 1, NULL);
}

void influence_walk_ex(double *score, real *u, const influence *in, infl_thetas *thetas,
		       int hessian, int ref_u_scale, int flow_steps, infl_stability *st)
{
	sgd *sg = in->sg;
	engine *eng = sg->eng;
	size_t P = sg->net->nparams, T = in->nsteps;
	real *hv = engine_alloc(eng, P);
	real *dots = emalloc((size_t)sg->batch * sizeof *dots);
	int m = flow_steps < 1 ? 1 : flow_steps;
	double u0 = st ? sqrt(engine_dot(eng, u, u, P)) : 0, un = u0;
	int probe_t = st && hessian && !thetas->fixed;
	progress pg;
	progress_begin(&pg, "u-walk", T, "steps", !in->progress);
	for (size_t t = T; t-- > 0;) {
		const infl_step *p = &in->steps[t];
		const real *th_t = influence_thetas_at(thetas, t);
		int B = sgd_batch(sg, p->idx, p->n, p->epoch, SIZE_MAX);
		if (B == 0)
			continue;
		engine_forward(eng, th_t, NULL, &sg->b, p->n, NN_TRAIN);
		if (hessian == INFL_HESSIAN)    /* H v needs the activations' gradients */
			engine_backward(eng, th_t, NULL);
		if (probe_t && (t == T - 1 || t == T / 2 || t == 0)) {
			int k;
			double l = batch_curvature(eng, th_t, P, hessian == INFL_GN, (uint64_t)t, &k);
			st->hvps += k, st->probes++;
			if (fabs(l) > fabs(st->lambda_t))
				st->lambda_t = l;
			double at = ref_u_scale ? p->lr / p->n : p->lr;
			if (at * fabs(l) > st->eta_lambda)
				st->eta_lambda = at * fabs(l);
		}
		engine_rforward(eng, th_t, u, dots);
		for (int b = 0; b < B; b++)
			score[sg->row[b]] += p->lr / p->n * (double)dots[b];
		if (hessian) {
			/* the step's rforward along u above is the first sub-step's */
			hvp_at h = { eng, th_t, hessian == INFL_GN };
			if (h.gn)
				engine_gnvp(eng, th_t, hv);
			else
				engine_rbackward(eng, th_t, u, hv);
			spectrum_flow(engine_backend(eng), P, batch_hvp, &h, u,
				      ref_u_scale ? p->lr / p->n : p->lr, sg->weight_decay, m, hv, 1);
		}
		if (st) {
			double un1 = sqrt(engine_dot(eng, u, u, P));
			if (un > 0 && un1 / un > st->u_step_max)
				st->u_step_max = un1 / un;
			un = un1;
		}
		progress_set(&pg, T - t, NULL);
	}
	progress_end(&pg);
	if (st) {
		st->u_growth = u0 > 0 ? un / u0 : 1;
		st->flow_steps = m;
	}
	engine_release(eng, hv);
	free(dots);
}

/* ------------------------------------------------------------ counterfactual */

void influence_counterfactual(double *score, const influence *in, const float *theta0,
			      const float *state0, const float *theta_T, double L0,
			      const unsigned char *want)
{
	sgd *sg = in->sg;
	engine *eng = sg->eng;
	const data *train = sg->d;
	size_t P = sg->net->nparams, S = sg->net->nstate;
	real *theta = engine_alloc(eng, P), *state = engine_alloc(eng, S + 1);
	float *host = emalloc(P * sizeof *host + 1);
	size_t nwant = train->n;
	if (want)
		for (size_t j = nwant = 0; j < train->n; j++)
			nwant += want[j] != 0;
	progress pg;
	progress_begin(&pg, "counterfactual", nwant, "replays", !in->progress);
	/* pass 0 replays without nothing: it must give θ_T back, bit for bit */
	for (size_t pass = 0, done = 0; pass <= train->n; pass++) {
		size_t j = pass == 0 ? SIZE_MAX : pass - 1;
		if (j != SIZE_MAX && want && !want[j])
			continue;
		engine_put(eng, theta, theta0, P);
		engine_put(eng, state, state0, S);
		long bad = influence_replay(NULL, theta, state, sg, in->steps, in->nsteps, j);
		if (bad >= 0)
			die("replay diverged at step %ld", in->steps[bad].step);
		if (j == SIZE_MAX) {
			engine_get(eng, host, theta, P);
			if (!influence_lands(eng, host, theta_T, P, in->name, "the replay", in->quiet))
				die("%s: replaying the traced steps does not reproduce θ_T: "
				    "the training set or the program differs from the run's",
				    in->name);
			continue;
		}
		score[j] = influence_val_loss(NULL, NULL, in, theta, state) - L0;
		progress_set(&pg, ++done, NULL);
	}
	progress_end(&pg);
	engine_release(eng, theta), engine_release(eng, state);
	free(host);
}
