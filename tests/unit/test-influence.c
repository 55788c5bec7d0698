/*
 * test-influence.c — lib/score/influence.c on small seeded nets and data built
 * here, on the CPU engine: a run of SGD is trained and recorded in the test,
 * then
 *   - the validation loss is the mean of the per-example losses, and its
 *     gradient u the mean of theirs at any validation batch size;
 *   - tracin (no Hessian, θ_T) sums, step by step, to Σ_t η_t⟨u, ∇L_t⟩, and
 *     (a net without batch-norm) each example's score to its own per-step
 *     dot products computed directly;
 *   - over a single step, sgd equals tracin bit for bit (u moves only
 *     after the step's terms), and over two it does not;
 *   - sgd from an every-step spool equals sgd from checkpoint replay (1 and
 *     3 checkpoints) bit for bit, and differs from sgd-last;
 *   - a replay without nothing reproduces θ_T, the running statistics and
 *     the validation loss exactly; the counterfactual of an example in no
 *     traced step is exactly 0, and of one that is, equals training with it
 *     skipped (sgd.h's skip set) bit for bit.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/score/influence.h"
#include "../../lib/util/rand.h"
#include "../../lib/util/util.h"
#include "check.h"

enum { N = 30, NVAL = 12, K = 3, DIM = 16, BATCH = 5, EPOCHS = 2 };
#define SPE ((N - 1 + BATCH - 1) / BATCH)       /* steps per epoch: row N-1 never used */
#define T (SPE * EPOCHS)

/* 1×4×4 examples of K classes: a class-dependent mean plus noise */
static void make_data(data *d, size_t n, uint64_t seed)
{
	rng r;
	rng_init(&r, seed);
	memset(d, 0, sizeof *d);
	d->n = n, d->c = 1, d->h = 4, d->w = 4, d->classes = K, d->dim = DIM;
	d->data_shape[0] = 1, d->data_shape[1] = 4, d->data_shape[2] = 4;
	d->x = emalloc(n * DIM * sizeof *d->x);
	d->y = emalloc(n * sizeof *d->y);
	d->id = emalloc(n * sizeof *d->id);
	for (size_t i = 0; i < n; i++) {
		d->y[i] = (int)rng_below(&r, K);
		d->id[i] = 100 + i;
		for (int k = 0; k < DIM; k++)
			d->x[i * DIM + k] = (real)((k % K == d->y[i]) + rng_uniform(&r) - 0.5);
	}
}

typedef struct run {
	nn_net net;
	engine *eng;
	data train, val;
	augment aug;
	sgd sg;
	infl_step steps[T];
	size_t rows[T][BATCH];
	float *theta_t;         /* (T, P) θ before each step */
	float *theta0, *state0, *thetaT, *stateT;
	influence in;
} run;

/* train T steps of plain SGD over rows 0..N-2 (row N-1 is in no batch),
 * recording θ_t, as cnn-train does */
static void make_run(run *R, const char *spec)
{
	char err[256];
	make_data(&R->train, N, 1);
	make_data(&R->val, NVAL, 2);
	CHECK(nn_init(&R->net, spec, 1, 4, 4, K, err, sizeof err) == 0, "%s: %s", spec, err);
	size_t P = R->net.nparams, S = R->net.nstate;
	R->eng = engine_new(&R->net, 64, DEV_CPU, 1);
	augment_parse(&R->aug, "none");
	sgd_init(&R->sg, R->eng, &R->net, &R->train, BATCH, &R->aug, 7, 0.01, 0, NULL);
	R->theta0 = emalloc(P * sizeof(float)), R->state0 = emalloc((S + 1) * sizeof(float));
	R->thetaT = emalloc(P * sizeof(float)), R->stateT = emalloc((S + 1) * sizeof(float));
	R->theta_t = emalloc((size_t)T * P * sizeof(float));
	nn_init_params(&R->net, R->theta0, R->state0, 7);
	real *theta = engine_alloc(R->eng, P), *state = engine_alloc(R->eng, S + 1);
	engine_put(R->eng, theta, R->theta0, P);
	engine_put(R->eng, state, R->state0, S);
	rng r;
	rng_init(&r, 9);
	uint32_t perm[N - 1];
	for (int e = 0, t = 0; e < EPOCHS; e++) {
		for (uint32_t i = 0; i < N - 1; i++)
			perm[i] = i;
		rng_shuffle_u32(&r, perm, N - 1);
		for (int at = 0; at < N - 1; at += BATCH, t++) {
			int n = N - 1 - at < BATCH ? N - 1 - at : BATCH;
			for (int j = 0; j < n; j++)
				R->rows[t][j] = perm[at + j];
			R->steps[t] = (infl_step){ .epoch = e, .step = 100 + t, .lr = 0.3 / (1 + e),
						   .n = n, .idx = R->rows[t] };
			engine_get(R->eng, R->theta_t + (size_t)t * P, theta, P);
			sgd_step(&R->sg, theta, state, R->rows[t], n, e, R->steps[t].lr, SIZE_MAX);
		}
	}
	CHECK(sgd_read(&R->sg, NULL, NULL) < 0, "training diverged");
	engine_get(R->eng, R->thetaT, theta, P);
	engine_get(R->eng, R->stateT, state, S);
	engine_release(R->eng, theta), engine_release(R->eng, state);
	R->in = (influence){ .sg = &R->sg, .steps = R->steps, .nsteps = T, .val = &R->val,
			     .val_batch = 5, .name = "test", .quiet = 1 };
}

static void free_run(run *R)
{
	sgd_free(&R->sg);
	engine_free(R->eng);
	nn_free(&R->net);
	data_free(&R->train), data_free(&R->val);
	free(R->theta0), free(R->state0), free(R->thetaT), free(R->stateT), free(R->theta_t);
}

/* u = ∇L_val at θ_T into u (engine vector); returns L_val */
static double grad_at_T(run *R, real *u, real *thT, real *stT)
{
	size_t P = R->net.nparams;
	real *tmp = engine_alloc(R->eng, P);
	memset(u, 0, P * sizeof *u);
	engine_put(R->eng, thT, R->thetaT, P);
	engine_put(R->eng, stT, R->stateT, R->net.nstate);
	double L = influence_val_loss(u, tmp, &R->in, thT, stT);
	engine_release(R->eng, tmp);
	return L;
}

/* a walk from a copy of u0 */
static void walk(double *score, run *R, const real *u0, infl_thetas *th, int hessian, int ref)
{
	size_t P = R->net.nparams;
	real *u = engine_alloc(R->eng, P);
	memcpy(u, u0, P * sizeof *u);     /* CPU engine: host memory */
	memset(score, 0, N * sizeof *score);
	influence_walk(score, u, &R->in, th, hessian, ref);
	engine_release(R->eng, u);
}

static double dot(const real *a, const real *b, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

static void test_net(const char *spec, int per_example)
{
	run R;
	make_run(&R, spec);
	engine *eng = R.eng;
	size_t P = R.net.nparams, S = R.net.nstate;
	real *u0 = engine_alloc(eng, P), *thT = engine_alloc(eng, P);
	real *stT = engine_alloc(eng, S + 1), *g = engine_alloc(eng, P);
	double L0 = grad_at_T(&R, u0, thT, stT);

	/* the validation loss is the mean of the examples' losses */
	double sum = 0;
	for (size_t i = 0; i < NVAL; i++) {
		batch b = { .d = &R.val, .n = 1, .first = i };
		engine_forward(eng, thT, stT, &b, 1, NN_EVAL);
		sum += engine_loss(eng);
	}
	CHECK(fabs(sum / NVAL - L0) <= 1e-6 * fabs(L0), "%s: L_val %.9g, mean of losses %.9g",
	      spec, L0, sum / NVAL);

	/* u is the mean validation gradient at any validation batch (inf-score
	 * runs it at the training batch): each batching — one example at a
	 * time, the run's 5 with a short last batch, 7, all 12 at once — agrees
	 * with the examples' own gradients averaged in double */
	{
		double *ref = ecalloc(P, sizeof *ref), dmax = 0, rmax = 0;
		for (size_t i = 0; i < NVAL; i++) {
			batch b = { .d = &R.val, .n = 1, .first = i };
			engine_forward(eng, thT, stT, &b, 1, NN_EVAL);
			engine_backward(eng, thT, g);
			for (size_t k = 0; k < P; k++)
				ref[k] += (double)g[k] / NVAL;
		}
		for (size_t k = 0; k < P; k++)
			rmax = fmax(rmax, fabs(ref[k]));
		real *u = engine_alloc(eng, P), *tmp = engine_alloc(eng, P);
		const int vb[] = { 1, 5, 7, NVAL };
		for (size_t q = 0; q < sizeof vb / sizeof *vb; q++) {
			R.in.val_batch = vb[q];
			memset(u, 0, P * sizeof *u);
			double L = influence_val_loss(u, tmp, &R.in, thT, stT);
			for (size_t k = 0; k < P; k++)
				dmax = fmax(dmax, fabs(u[k] - ref[k]));
			CHECK(dmax <= 1e-5 * rmax, "%s: u at validation batch %d is %.3g off the "
			      "mean gradient (max %.3g)", spec, vb[q], dmax, rmax);
			CHECK(fabs(L - L0) <= 1e-6 * fabs(L0), "%s: L_val at batch %d %.9g, at 5 %.9g",
			      spec, vb[q], L, L0);
		}
		R.in.val_batch = 5;
		engine_release(eng, u), engine_release(eng, tmp);
		free(ref);
	}

	/* tracin-last: each step's terms sum to η_t⟨u, ∇L_t⟩ */
	double tr[N], sg[N], total = 0, want = 0;
	infl_thetas fixed;
	influence_thetas_fixed(&fixed, &R.in, thT);
	walk(tr, &R, u0, &fixed, 0, 0);
	for (int t = 0; t < T; t++) {
		const infl_step *p = &R.steps[t];
		int B = sgd_batch(&R.sg, p->idx, p->n, p->epoch, SIZE_MAX);
		engine_forward(eng, thT, NULL, &R.sg.b, B, NN_TRAIN);
		engine_backward(eng, thT, g);
		want += p->lr * dot(u0, g, P);
	}
	for (int j = 0; j < N; j++)
		total += tr[j];
	CHECK(fabs(total - want) <= 1e-5 * fabs(want) + 1e-9,
	      "%s: tracin sums to %.9g, Σ η_t<u, ∇L_t> = %.9g", spec, total, want);
	CHECK(tr[N - 1] == 0, "%s: an example in no step scores 0", spec);
	if (per_example) {
		/* without batch-norm, ∇ℓ_j is the example's alone */
		for (int j = 0; j < N - 1; j++) {
			double s = 0;
			for (int t = 0; t < T; t++)
				for (int q = 0; q < R.steps[t].n; q++) {
					if (R.rows[t][q] != (size_t)j)
						continue;
					batch b = { .d = &R.train, .n = 1, .row = &R.rows[t][q] };
					engine_forward(eng, thT, NULL, &b, 1, NN_TRAIN);
					engine_backward(eng, thT, g);
					s += R.steps[t].lr / R.steps[t].n * dot(u0, g, P);
				}
			CHECK(fabs(tr[j] - s) <= 1e-5 * fabs(s) + 1e-9,
			      "%s: tracin of row %d is %.9g, its dot products %.9g", spec, j,
			      tr[j], s);
		}
	}

	/* one step: u moves only after the step's terms, so sgd = tracin */
	R.in.nsteps = 1;
	walk(sg, &R, u0, &fixed, 1, 0);
	walk(tr, &R, u0, &fixed, 0, 0);
	CHECK(!memcmp(sg, tr, sizeof sg), "%s: sgd over one step equals tracin", spec);
	R.in.nsteps = 2;
	walk(sg, &R, u0, &fixed, 1, 0);
	walk(tr, &R, u0, &fixed, 0, 0);
	CHECK(memcmp(sg, tr, sizeof sg), "%s: sgd over two steps differs from tracin", spec);
	R.in.nsteps = T;
	double last[N];
	walk(last, &R, u0, &fixed, 1, 0);

	/* the stable walks: one flow sub-step is the papers' update bit for bit;
	 * the Gauss-Newton walk never lets |u| grow, and where the network is
	 * linear in θ it is the Hessian walk */
	{
		double fl[N], gn[N];
		infl_stability st = { 0 };
		real *u = engine_alloc(eng, P);
		memcpy(u, u0, P * sizeof *u);
		memset(fl, 0, sizeof fl);
		influence_walk_ex(fl, u, &R.in, &fixed, INFL_HESSIAN, 0, 1, &st);
		CHECK(!memcmp(fl, last, sizeof fl), "%s: flow with one sub-step = sgd-last", spec);
		CHECK(st.flow_steps == 1 && st.u_growth > 0, "%s: stability %d %g", spec,
		      st.flow_steps, st.u_growth);
		for (int m = 1; m <= 3; m += 2) {
			memcpy(u, u0, P * sizeof *u);
			memset(gn, 0, sizeof gn);
			memset(&st, 0, sizeof st);
			influence_walk_ex(gn, u, &R.in, &fixed, INFL_GN, 0, m, &st);
			CHECK(st.u_step_max <= 1 + 1e-6,
			      "%s: the Gauss-Newton walk (m = %d) grew |u| by %.9g in a step", spec,
			      m, st.u_step_max);
		}
		if (!strcmp(spec, "linear")) {
			memcpy(u, u0, P * sizeof *u);
			memset(gn, 0, sizeof gn);
			influence_walk_ex(gn, u, &R.in, &fixed, INFL_GN, 0, 1, NULL);
			double md = 0, ms = 0;
			for (int j = 0; j < N; j++)
				md = fmax(md, fabs(gn[j] - last[j])), ms = fmax(ms, fabs(last[j]));
			CHECK(md <= 1e-5 * ms, "%s: Gauss-Newton walk %.3g off the Hessian walk", spec,
			      md);
		}
		engine_release(eng, u);
	}
	influence_thetas_free(&fixed);

	/* sgd: every-step spool against checkpoint replay */
	FILE *spool = tmpfile();
	CHECK(spool && fwrite(R.theta_t, sizeof(float) * P, T, spool) == T, "spool");
	fflush(spool);
	infl_thetas every;
	influence_thetas_spool(&every, &R.in, spool);
	walk(sg, &R, u0, &every, 1, 0);
	influence_thetas_free(&every);
	CHECK(memcmp(sg, last, sizeof sg), "%s: sgd differs from sgd-last", spec);
	const size_t at[][3] = { { 0 }, { 0, 4, 9 } };
	for (int v = 0; v < 2; v++) {
		size_t nk = v ? 3 : 1;
		const float *ck[3];
		long ckstep[3];
		for (size_t k = 0; k < nk; k++) {
			ck[k] = R.theta_t + at[v][k] * P;
			ckstep[k] = R.steps[at[v][k]].step;
		}
		infl_thetas cp;
		influence_thetas_checkpoints(&cp, &R.in, ck, ckstep, nk, R.thetaT);
		double sc[N];
		walk(sc, &R, u0, &cp, 1, 0);
		influence_thetas_free(&cp);
		CHECK(!memcmp(sc, sg, sizeof sc), "%s: sgd from %zu checkpoints = every-step", spec,
		      nk);
	}
	fclose(spool);

	/* a replay without nothing lands on θ_T, its statistics and L_val */
	real *th = engine_alloc(eng, P), *st = engine_alloc(eng, S + 1);
	float *host = emalloc((P + S + 1) * sizeof *host);
	engine_put(eng, th, R.theta0, P);
	engine_put(eng, st, R.state0, S);
	CHECK(influence_replay(NULL, th, st, &R.sg, R.steps, T, SIZE_MAX) < 0, "replay diverged");
	engine_get(eng, host, th, P);
	engine_get(eng, host + P, st, S);
	CHECK(!memcmp(host, R.thetaT, P * sizeof *host) &&
	      !memcmp(host + P, R.stateT, S * sizeof *host), "%s: replay lands on θ_T", spec);
	CHECK(influence_lands(eng, host, R.thetaT, P, "test", "replay", 1), "lands");
	CHECK(influence_val_loss(NULL, NULL, &R.in, th, st) == L0, "%s: L_val exactly", spec);
	host[3] = nextafterf(host[3], 1e30f);
	CHECK(!influence_lands(eng, host, R.thetaT, P, "test", "replay", 1),
	      "one ulp off does not land on the CPU");

	/* the counterfactual: 0 for an example in no step; for one in some
	 * step, the same as training with it skipped */
	double cf[N];
	unsigned char wantj[N] = { 0 };
	wantj[3] = wantj[N - 1] = 1;
	memset(cf, 0, sizeof cf);
	influence_counterfactual(cf, &R.in, R.theta0, R.state0, R.thetaT, L0, wantj);
	CHECK(cf[N - 1] == 0 && cf[3] != 0 && cf[4] == 0, "%s: counterfactual %g %g %g", spec,
	      cf[N - 1], cf[3], cf[4]);
	idset skip;
	idset_init(&skip);
	idset_add(&skip, R.train.id[3]);
	sgd sk;
	sgd_init(&sk, eng, &R.net, &R.train, BATCH, &R.aug, 7, 0.01, 0, &skip);
	engine_put(eng, th, R.theta0, P);
	engine_put(eng, st, R.state0, S);
	CHECK(influence_replay(NULL, th, st, &sk, R.steps, T, SIZE_MAX) < 0, "replay diverged");
	double L3 = influence_val_loss(NULL, NULL, &R.in, th, st);
	CHECK(cf[3] == L3 - L0, "%s: counterfactual %.9g, trained without %.9g", spec, cf[3],
	      L3 - L0);
	sgd_free(&sk);
	idset_free(&skip);

	free(host);
	engine_release(eng, th), engine_release(eng, st), engine_release(eng, g);
	engine_release(eng, u0), engine_release(eng, thT), engine_release(eng, stT);
	free_run(&R);
}

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	test_net("mlp:6", 1);
	test_net("conv:3:3:1,bn,relu,affine", 0);
	test_net("linear", 1);
	return 0;
}
