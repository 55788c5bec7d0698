/*
 * hsub.c — the subset Hessian's products, per-example gradient products and
 * gradient sums on an engine (see hsub.h).
 */
#include "hsub.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../stream/ids.h"
#include "../stream/idset.h"
#include "../util/rand.h"
#include "../util/util.h"

void hsub_init(hsub *h, engine *eng, const data *d, const real *theta, const size_t *rows,
	       size_t n, int batch, double wd, int gn, int sample, uint64_t seed)
{
	size_t P = engine_nparams(eng);
	*h = (hsub){ .eng = eng, .d = d, .theta = theta, .rows = rows, .n = n, .batch = batch,
		     .wd = wd, .sample = sample > 0 && (size_t)sample < n ? sample : 0,
		     .seed = seed, .gn = gn };
	h->t = engine_alloc(eng, P);
	h->srow = emalloc((size_t)(h->sample ? h->sample : 1) * sizeof *h->srow);
}

int hsub_batch(const nn_net *net, int run_batch, int max)
{
	for (int i = 0; i < net->nl; i++)
		if (net->l[i].type == NN_BN)
			return run_batch;
	return max > run_batch ? max : run_batch;
}

void hsub_free(hsub *h)
{
	engine_release(h->eng, h->t);
	free(h->srow);
}

/* hv = (1/m) Σ_{rows} ∇²ℓ v + λ_wd v */
static void hvp_rows(hsub *h, real *hv, const real *v, const size_t *rows, size_t m)
{
	size_t P = engine_nparams(h->eng), bs = (size_t)h->batch;
	const nn_backend *bk = engine_backend(h->eng);
	bk->zero(bk->ctx, hv, P);
	for (size_t at = 0; at < m; at += bs) {
		int B = (int)(m - at < bs ? m - at : bs);
		/* each batch's loss divided by m: the products sum to the mean's */
		batch b = { .d = h->d, .n = B, .row = rows + at };
		engine_forward(h->eng, h->theta, NULL, &b, (double)m, NN_TRAIN);
		if (!h->gn)     /* H v needs the activations' gradients; G v does not */
			engine_backward(h->eng, h->theta, NULL);
		engine_rforward(h->eng, h->theta, v, NULL);
		if (h->gn)
			engine_gnvp(h->eng, h->theta, h->t);
		else
			engine_rbackward(h->eng, h->theta, v, h->t);
		engine_add(h->eng, hv, h->t, P);
	}
	engine_axpby(h->eng, hv, h->wd, v, 1, P);
}

void hsub_hvp(void *ctx, real *hv, const real *v)
{
	hsub *h = ctx;
	hvp_rows(h, hv, v, h->rows, h->n);
}

void hsub_hvp_sample(void *ctx, real *hv, const real *v, int r, int j)
{
	hsub *h = ctx;
	if (!h->sample) {
		hvp_rows(h, hv, v, h->rows, h->n);
		return;
	}
	/* `sample` distinct members of S for (seed, r, j): a partial shuffle
	 * keyed on the step, so any step's batch can be drawn on its own */
	rng g;
	rng_init_for(&g, rng_key(h->seed, (uint64_t)r, (uint64_t)j), "lissa batch");
	size_t *pick = emalloc(h->n * sizeof *pick);
	for (size_t i = 0; i < h->n; i++)
		pick[i] = i;
	for (int i = 0; i < h->sample; i++) {
		size_t k = (size_t)i + (size_t)rng_below(&g, h->n - (size_t)i);
		size_t t = pick[i];
		pick[i] = pick[k], pick[k] = t;
		h->srow[i] = h->rows[pick[i]];
	}
	free(pick);
	hvp_rows(h, hv, v, h->srow, (size_t)h->sample);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

void hsub_rows_random(size_t *rows, size_t n, size_t k, uint64_t seed)
{
	rng g;
	rng_init_for(&g, seed, "hessian subset");
	size_t *all = emalloc((n ? n : 1) * sizeof *all);
	for (size_t i = 0; i < n; i++)
		all[i] = i;
	for (size_t i = 0; i < k; i++) {
		size_t j = i + (size_t)rng_below(&g, n - i);
		size_t t = all[i];
		all[i] = all[j], all[j] = t;
	}
	for (size_t i = 0; i < k; i++)
		rows[i] = all[i];
	free(all);
	qsort(rows, k, sizeof *rows, cmp_size);
}

size_t *hsub_rows_ids(const char *path, const data *d, size_t *k)
{
	id_list l;
	FILE *f = in_open(path);
	ids_read(&l, f, path);
	in_close(f);
	if (l.n == 0)
		die("%s: no ids", path);
	idmap where;
	idmap_init(&where);
	for (size_t i = 0; i < d->n; i++)
		idmap_put(&where, d->id[i], i);
	size_t *rows = emalloc(l.n * sizeof *rows);
	for (size_t i = 0; i < l.n; i++)
		if (!idmap_get(&where, l.v[i], &rows[i]))
			die("%s: id %llu is not in the training set", path,
			    (unsigned long long)l.v[i]);
	*k = l.n;
	idmap_free(&where);
	ids_free(&l);
	return rows;
}

size_t *hsub_rows(const char *ids_path, uint64_t size, uint64_t seed, const data *d, size_t *k)
{
	if (ids_path)
		return hsub_rows_ids(ids_path, d, k);
	if (size != UINT64_MAX && size > d->n)
		die("--hessian-size %llu: only %zu training examples", (unsigned long long)size,
		    d->n);
	*k = size != UINT64_MAX ? size : d->n < HSUB_DEFAULT_SIZE ? d->n : HSUB_DEFAULT_SIZE;
	size_t *rows = emalloc((*k ? *k : 1) * sizeof *rows);
	hsub_rows_random(rows, d->n, *k, seed);
	return rows;
}

void hsub_dots(double *out, engine *eng, const data *d, const real *theta, const real *v,
	       int bsize)
{
	size_t bs = (size_t)bsize;
	real *dots = emalloc(bs * sizeof *dots);
	for (size_t at = 0; at < d->n; at += bs) {
		int B = (int)(d->n - at < bs ? d->n - at : bs);
		batch b = { .d = d, .n = B, .first = at };
		engine_forward(eng, theta, NULL, &b, 1, NN_TRAIN);
		engine_rforward(eng, theta, v, dots);
		for (int j = 0; j < B; j++)
			out[at + (size_t)j] = dots[j];
	}
	free(dots);
}

void hsub_grad_sum(real *g, real *tmp, engine *eng, const data *d, const real *theta,
		   const size_t *rows, size_t m, int bsize)
{
	size_t P = engine_nparams(eng), bs = (size_t)bsize;
	const nn_backend *bk = engine_backend(eng);
	bk->zero(bk->ctx, g, P);
	for (size_t at = 0; at < m; at += bs) {
		int B = (int)(m - at < bs ? m - at : bs);
		batch b = { .d = d, .n = B, .row = rows + at };
		engine_forward(eng, theta, NULL, &b, 1, NN_TRAIN);
		engine_backward(eng, theta, tmp);
		engine_add(eng, g, tmp, P);
	}
}

ihvp_result hsub_try(hsub *h, real *s, const real *v, const ihvp_opts *o)
{
	size_t P = engine_nparams(h->eng);
	real *tmp[4];
	for (int k = 0; k < 4; k++)
		tmp[k] = engine_alloc(h->eng, P);
	ihvp_result r = ihvp_solve(engine_backend(h->eng), P, hsub_hvp, hsub_hvp_sample, h, s, v,
				   o, tmp);
	for (int k = 0; k < 4; k++)
		engine_release(h->eng, tmp[k]);
	return r;
}

void hsub_report(const hsub *h, const ihvp_result *rp, const ihvp_opts *o, int quiet)
{
	ihvp_result r = *rp;
	const char *name = o->solver == IHVP_LISSA ? "lissa" : "cg";
	if (r.status == IHVP_DIVERGED && o->solver == IHVP_LISSA)
		die("lissa diverged after %d steps (top eigenvalue of H_S %.4g, scale %.4g, "
		    "damping %g): the recursion needs 0 < (c + damping)/scale < 2 for every "
		    "eigenvalue c of H_S; raise --lissa-scale or --damping, or use --solver cg",
		    r.iters, r.lambda_top, r.scale, o->damping);
	if (r.status == IHVP_WORSE)
		die("lissa ended worse than s = 0 after %d steps (residual %.3g; top eigenvalue of "
		    "H_S %.4g, scale %.4g, damping %g): it has not converged; raise --lissa-depth, "
		    "--lissa-repeats, or --lissa-batch for less noisy steps; check that "
		    "--lissa-scale exceeds (top eigenvalue + damping)/2, or use --solver cg",
		    r.iters, r.residual, r.lambda_top, r.scale, o->damping);
	if (r.status == IHVP_DIVERGED)
		die("cg diverged after %d iterations: raise --damping, or use --curvature gn",
		    r.iters);
	if (o->solver == IHVP_LISSA && !quiet)
		warn("lissa: top eigenvalue of H_S %.4g, scale %.4g, damping %g", r.lambda_top,
		     r.scale, o->damping);
	if (o->solver == IHVP_LISSA && fabs(r.lambda_top) >= r.scale)
		warn("lissa: |lambda_top| %.4g >= scale %.4g: Koh & Liang's condition |H/scale| < 1 "
		     "does not hold; the recursion converged here (residual %.3g)",
		     fabs(r.lambda_top), r.scale, r.residual);
	if (r.status == IHVP_NOT_PD)
		die("cg: H_S + damping*I is not positive definite (a direction of curvature <= 0 "
		    "after %d iterations): raise --damping, or use --curvature gn", r.iters);
	if (r.status == IHVP_MAXITER)
		warn("%s: stopped at --max-iter %d with residual %.3g (tolerance %g)", name,
		     o->max_iter, r.residual, o->tol);
	if (!quiet && o->solver == IHVP_LISSA && h->sample)  /* 0 unless < |S| */
		warn("%s: %d iterations, each a Hessian-vector product over %d of the %zu examples, "
		     "and %d over all of them; residual |(H_S + %gI)s - v|/|v| = %.3g", name,
		     r.iters, h->sample, h->n, r.hvps - r.iters, o->damping, r.residual);
	else if (!quiet)
		warn("%s: %d iterations, %d Hessian-vector products over %zu examples, residual "
		     "|(H_S + %gI)s - v|/|v| = %.3g", name, r.iters, r.hvps, h->n, o->damping,
		     r.residual);
}


ihvp_result hsub_solve(hsub *h, real *s, const real *v, const ihvp_opts *o, int quiet)
{
	ihvp_result r = hsub_try(h, s, v, o);
	hsub_report(h, &r, o, quiet);
	return r;
}

ihvp_result hsub_solve_auto(hsub *h, real *s, const real *v, ihvp_opts *o, int auto_damping,
			    int quiet)
{
	static const double lambda[] = HSUB_DAMPINGS;
	size_t n = sizeof lambda / sizeof *lambda;
	if (!auto_damping || o->solver != IHVP_CG)
		return hsub_solve(h, s, v, o, quiet);
	ihvp_result r;
	for (size_t i = 0;; i++) {
		o->damping = lambda[i];
		r = hsub_try(h, s, v, o);
		if ((r.status != IHVP_NOT_PD && r.status != IHVP_DIVERGED) || i == n - 1)
			break;
		if (!quiet)
			warn("cg: damping %g: %s; trying %g", lambda[i], ihvp_status(r.status),
			     lambda[i + 1]);
	}
	hsub_report(h, &r, o, quiet);
	return r;
}

void hsub_args_init(hsub_args *a)
{
	*a = (hsub_args){ .size = UINT64_MAX };
	ihvp_defaults(&a->o);
}

int hsub_parse_arg(hsub_args *a, int opt, const char *name, const char *arg)
{
	switch (opt) {
	case 'I': a->ids = arg; return 1;
	case 'K':
		if ((a->size = estrtou64(arg, 1ull << 32, "--hessian-size")) < 1)
			die_usage("--hessian-size must be at least 1");
		return 1;
	case 's': a->seed = estrtou64(arg, UINT64_MAX, "--seed"); return 1;
	case 'B': a->lissa_batch = (int)estrtou64(arg, 1 << 20, "--lissa-batch"); return 1;
	case 'Z':
		ihvp_parse_opt(&a->o, name, arg);
		a->damping_set |= !strcmp(name, "damping");
		return 1;
	case 'G':
		if (strcmp(arg, "hessian") && strcmp(arg, "gn"))
			die_usage("unknown --curvature '%s' (want hessian or gn)", arg);
		a->gn = !strcmp(arg, "gn");
		return 1;
	}
	return 0;
}

void hsub_args_check(const hsub_args *a)
{
	if (a->ids && a->size != UINT64_MAX)
		die_usage("give at most one of --hessian-ids and --hessian-size");
}

size_t hsub_scores(double *score, scores_kv *kv, engine *eng, const data *train,
		   const real *theta, const real *u, int batch, double wd, const idset *skip,
		   const hsub_args *a, int quiet)
{
	size_t k, P = engine_nparams(eng);
	size_t *rows = hsub_rows(a->ids, a->size, a->seed, train, &k);
	hsub h;
	hsub_init(&h, eng, train, theta, rows, k, batch, wd, a->gn, a->lissa_batch, a->seed);
	real *s = engine_alloc(eng, P);
	ihvp_opts o = a->o;
	ihvp_result r = hsub_solve_auto(&h, s, u, &o, !a->damping_set, quiet);
	hsub_dots(score, eng, train, theta, s, batch);
	size_t n = train->n;
	for (size_t i = 0; i < train->n; i++)
		if (skip && idset_has(skip, train->id[i]))
			n--, score[i] = 0;
	for (size_t i = 0; i < train->n; i++)
		score[i] /= (double)(n ? n : 1);
	size_t nkv = 0;
	kv[nkv++] = (scores_kv){ .key = "hessian_n", .u = k };
	kv[nkv++] = (scores_kv){ .key = "gauss_newton", .u = (uint64_t)a->gn };
	kv[nkv++] = (scores_kv){ .key = "damping", .f64 = 1, .f = o.damping };
	kv[nkv++] = (scores_kv){ .key = "iters", .u = (uint64_t)r.iters };
	kv[nkv++] = (scores_kv){ .key = "hvps", .u = (uint64_t)r.hvps };
	kv[nkv++] = (scores_kv){ .key = "residual", .f64 = 1, .f = r.residual };
	if (a->o.solver == IHVP_LISSA) {
		kv[nkv++] = (scores_kv){ .key = "lissa_scale", .f64 = 1, .f = r.scale };
		kv[nkv++] = (scores_kv){ .key = "lambda_top", .f64 = 1, .f = r.lambda_top };
	}
	engine_release(eng, s);
	hsub_free(&h);
	free(rows);
	return nkv;
}
