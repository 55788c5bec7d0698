/*
 * hsub.h — influence functions on an engine (lib/nn/engine.h): the Hessian of
 * the training objective over a subset S of the training set,
 *   H_S = (1/|S|) Σ_{j∈S} ∇²ℓ(z_j; θ) + λ_wd·I
 * (λ_wd the run's weight decay: SGD minimised the mean loss plus
 * λ_wd‖θ‖²/2), or (gn) the generalised Gauss-Newton matrix
 *   G_S = (1/|S|) Σ_{j∈S} J_jᵀ ∇²_z ℓ_j J_j + λ_wd·I
 * (J_j the Jacobian of example j's logits: positive semi-definite, so
 * H_S's negative curvature at a θ_T that is not a minimum cannot make the
 * solve diverge; G = H where the network is linear in θ), their products
 * batched over S, and the first-order pieces the
 * scores and the removal update need: per-example ⟨v, ∇ℓ(z_j; θ)⟩ for every
 * example and Σ_{j∈R} ∇ℓ(z_j; θ) over a set R. inf-score --method if and
 * inf-update solve (H_S + λI)s = v with lib/score/ihvp.c through these.
 *
 * Batch-norm: the R-passes exist in training mode only, so H_S, the
 * per-example gradients and the gradient sums are all taken in training
 * mode, each batch under its own batch statistics and differentiated
 * through them (as the u-walk does): S in batches of the run's batch size
 * in the order given, the training set in batches of that size in its own
 * order (networks without batch-norm: batches of any size, hsub_batch). The examples are seen without augmentation. The validation
 * gradient (lib/score/influence.c) is in evaluation mode.
 */
#ifndef HSUB_H
#define HSUB_H

#include <stdint.h>

#include "../nn/data.h"
#include "../nn/engine.h"
#include "../stream/idset.h"
#include "../stream/scores.h"
#include "ihvp.h"

typedef struct hsub {
	engine *eng;
	const data *d;          /* the training set */
	const real *theta;      /* θ (engine vector) */
	const size_t *rows;     /* S: rows of d */
	size_t n;               /* |S| */
	int batch;              /* the batch of the products (≤ the engine's) */
	double wd;              /* λ_wd, added to every product */
	int gn;                 /* 1: the Gauss-Newton matrix G_S in place of H_S */
	int sample;             /* LiSSA: examples of S per step (0: all of S) */
	uint64_t seed;          /* LiSSA: the steps' batches */
	real *t;                /* scratch (engine vector) */
	size_t *srow;           /* (sample) */
} hsub;

void hsub_init(hsub *h, engine *eng, const data *d, const real *theta, const size_t *rows,
	       size_t n, int batch, double wd, int gn, int sample, uint64_t seed);
void hsub_free(hsub *h);

/* the options of an influence-function solve (H + λI) s = v, as --help shows
 * them: inf-score --method if (v = ∇L_val) and inf-update (v = the removed
 * examples' gradients, summed) */
#define HSUB_USAGE \
	"  --hessian-ids IDS   H over these training examples (hess-sample's output)\n" \
	"  --hessian-size K    or over K drawn at random with --seed (default 1024, at most\n" \
	"                      the training set)\n" \
	"  --seed S            the random subset and LiSSA's batches (default 0)\n" \
	"  --curvature C       hessian (default) or gn: the Gauss-Newton matrix (positive\n" \
	"                      semi-definite)\n" \
	"  --solver S          cg (default) or lissa\n" \
	"  --damping L         solve (H + L*I) s = v (default 0.01; CG: the least of 0.01,\n" \
	"                      0.1, 1, 10 and 100 under which H + L*I is positive definite)\n" \
	"  --cg-tol T          CG: relative residual to stop at (default 1e-6)\n" \
	"  --max-iter N        CG: most iterations (default 500)\n" \
	"  --lissa-depth N     LiSSA: recursion depth (default 1000)\n" \
	"  --lissa-scale X     LiSSA: scale (default 1.1 * (top eigenvalue + L), measured)\n" \
	"  --lissa-repeats R   LiSSA: recursions averaged (default 1)\n" \
	"  --lissa-batch B     LiSSA: examples of S per step (default all of S)\n"

/* those options as the programs take them: HSUB_LONGOPTS in a getopt_long
 * table, each option found given to hsub_parse_arg, then hsub_args_check */
typedef struct hsub_args {
	const char *ids;        /* --hessian-ids */
	uint64_t size;          /* --hessian-size (UINT64_MAX: not given) */
	uint64_t seed;          /* --seed */
	int lissa_batch;        /* --lissa-batch */
	int gn;                 /* --curvature gn */
	int damping_set;        /* --damping given: no auto-damping */
	ihvp_opts o;            /* the solver's */
} hsub_args;

#define HSUB_LONGOPTS \
	{ "hessian-ids", required_argument, 0, 'I' }, \
	{ "hessian-size", required_argument, 0, 'K' }, \
	{ "seed", required_argument, 0, 's' }, { "lissa-batch", required_argument, 0, 'B' }, \
	{ "curvature", required_argument, 0, 'G' }, \
	{ "solver", required_argument, 0, 'Z' }, { "damping", required_argument, 0, 'Z' }, \
	{ "cg-tol", required_argument, 0, 'Z' }, { "max-iter", required_argument, 0, 'Z' }, \
	{ "lissa-depth", required_argument, 0, 'Z' }, \
	{ "lissa-scale", required_argument, 0, 'Z' }, \
	{ "lissa-repeats", required_argument, 0, 'Z' }

/* the defaults */
void hsub_args_init(hsub_args *a);
/* option opt of HSUB_LONGOPTS (name: its long name) with its argument:
 * 1 when opt is one of them, else 0; a bad argument is a usage error */
int hsub_parse_arg(hsub_args *a, int opt, const char *name, const char *arg);
/* after the options: at most one of --hessian-ids and --hessian-size */
void hsub_args_check(const hsub_args *a);

/* the batch the products, dots and sums run in: the run's batch when the
 * network has batch-norm (its statistics are per batch), else max (the
 * results do not depend on it, up to the order of float sums) */
int hsub_batch(const nn_net *net, int run_batch, int max);

/* hv = H_S v (an hvp_fn; ctx an hsub) */
void hsub_hvp(void *ctx, real *hv, const real *v);
/* hv = the same over `sample` examples of S drawn for step j of repeat r
 * (an ihvp_sample_fn; all of S when sample is 0 or ≥ |S|) */
void hsub_hvp_sample(void *ctx, real *hv, const real *v, int r, int j);

/* rows[0..k) = k distinct rows of 0..n) drawn with the seed, ascending
 * (k ≤ n); hess-sample --by random and inf-score's default subset */
void hsub_rows_random(size_t *rows, size_t n, size_t k, uint64_t seed);
/* the rows of d of the ids in path (ids stream or text), in its order;
 * *k gets their count. Exits naming path on an id not in d or none. */
size_t *hsub_rows_ids(const char *path, const data *d, size_t *k);

/* S as the tools' options say: the ids in ids_path (not NULL), else size
 * rows drawn with seed (size UINT64_MAX: HSUB_DEFAULT_SIZE, or all of d when
 * smaller); *k gets |S|. Exits when size exceeds d or an id is not in d. */
#define HSUB_DEFAULT_SIZE 1024
size_t *hsub_rows(const char *ids_path, uint64_t size, uint64_t seed, const data *d, size_t *k);

/* out[i] = ⟨v, ∇ℓ(z_i; θ)⟩ for every example of d, in batches of `bsize`
 * in order (training mode) */
void hsub_dots(double *out, engine *eng, const data *d, const real *theta, const real *v,
	       int bsize);
/* g = Σ ∇ℓ(z_j; θ) over rows[0..m) of d, in batches of `bsize` (training
 * mode); tmp scratch (engine vectors) */
void hsub_grad_sum(real *g, real *tmp, engine *eng, const data *d, const real *theta,
		   const size_t *rows, size_t m, int bsize);

/* solve (H_S + λI)s = v with o; one line on stderr (unless quiet) with the
 * solver, products and residual; exits 1 with a message when the solver
 * diverged or H_S + λI is not positive definite, warns when it stopped at
 * the iteration limit (hsub_try, then hsub_report) */
ihvp_result hsub_solve(hsub *h, real *s, const real *v, const ihvp_opts *o, int quiet);
/* the solve alone: never exits, says nothing */
ihvp_result hsub_try(hsub *h, real *s, const real *v, const ihvp_opts *o);
/* what hsub_solve says of a solve's result r, and where it exits */
void hsub_report(const hsub *h, const ihvp_result *r, const ihvp_opts *o, int quiet);

/* Auto-damping, CG's default when --damping is not given: at θ_T of a
 * real network H_S is indefinite, and CG at a damping below its most
 * negative eigenvalue stops at a direction of curvature <= 0 (an mlp,
 * hara-mnist and conv6 on 500 MNIST images all did at 0.01; tools/
 * inf-score.1 has the figures). So CG is tried at each damping of
 * HSUB_DAMPINGS in turn until a try does not fail that way (not positive
 * definite, or diverged), and that damping is kept (o->damping; the scores
 * header records it). A run that converged at 0.01, or stopped at the
 * iteration limit there, is the run it was without auto-damping, bit for
 * bit. A failed try costs the products it spent (CG meets the negative
 * curvature within a few). When the last fails too, its error stands, as
 * hsub_solve reports it. With auto_damping 0, or LiSSA (whose damping
 * goes with its scale), hsub_solve at o->damping. */
#define HSUB_DAMPINGS { 0.01, 0.1, 1, 10, 100 }
ihvp_result hsub_solve_auto(hsub *h, real *s, const real *v, ihvp_opts *o, int auto_damping,
			    int quiet);

/* inf-score --method if: score[j] = ⟨(H_S + λI)⁻¹ u, ∇ℓ(z_j; θ)⟩ / n for
 * every example of train, n the examples trained on (those in skip, which
 * may be NULL, score 0), S and the solve as a says, products in batches of
 * `batch` (hsub_batch) with the run's weight decay wd; θ and u are engine
 * vectors. The solve's figures go to kv (room for HSUB_SCORES_KV), as the
 * scores header records them; returns how many. Exits as hsub_solve does. */
#define HSUB_SCORES_KV 8
size_t hsub_scores(double *score, scores_kv *kv, engine *eng, const data *train,
		   const real *theta, const real *u, int batch, double wd, const idset *skip,
		   const hsub_args *a, int quiet);

/* inf-score --method if: score[j] = ⟨(H_S + λI)⁻¹ u, ∇ℓ(z_j; θ)⟩ / n for
 * every example of train, n the examples trained on (those in skip, which
 * may be NULL, score 0), S and the solve as a says, products in batches of
 * `batch` (hsub_batch) with the run's weight decay wd; θ and u are engine
 * vectors. The solve's figures go to kv (room for HSUB_SCORES_KV), as the
 * scores header records them; returns how many. Exits as hsub_solve does. */
#define HSUB_SCORES_KV 8
size_t hsub_scores(double *score, scores_kv *kv, engine *eng, const data *train,
		   const real *theta, const real *u, int batch, double wd, const idset *skip,
		   const hsub_args *a, int quiet);

#endif
