/*
 * influence.h — the research algorithms of inf-score (see tools/inf-score.c
 * for the methods and their papers), each over a traced schedule of SGD
 * steps and an engine (lib/nn/engine.h), so the CPU and a GPU run the same
 * code:
 *
 *   influence_val_loss       L_val and its gradient u = ∇L_val at θ_T
 *   influence_walk           the u-walk, t = T−1 … 0: every example j of S_t
 *                            gains (η_t/|S_t|)·⟨u, ∇ℓ(z_j; θ_t)⟩, then (with
 *                            the Hessian) u ← u − η_t·(H_t u + λu)
 *   infl_thetas              where the walk takes θ_t from: θ_T at every
 *                            step, an every-step spool, or checkpoints that
 *                            it replays forward, segment by segment, newest
 *                            first (influence_replay)
 *   influence_counterfactual L_val(θ_T without j) − L_val(θ_T), by
 *                            replaying the traced epochs without each j
 *
 * Replays run sgd.h's step, the very code that trained, so on the CPU they
 * land on the recorded θ bit for bit (influence_lands checks it).
 * Functions that exit do so with a message naming in->name (the cache).
 */
#ifndef INFLUENCE_H
#define INFLUENCE_H

#include <stdio.h>

#include "../nn/data.h"
#include "../nn/engine.h"
#include "../nn/sgd.h"
#include "../stream/scores.h"

/* one traced SGD step */
typedef struct infl_step {
	int epoch;
	long step;              /* its number in the run (for messages) */
	double lr;              /* η_t */
	int n;                  /* |S_t|, the divisor */
	size_t *idx;            /* (n) its examples: rows of the training data */
} infl_step;

/* what every computation here runs with */
typedef struct influence {
	sgd *sg;                /* the run's SGD over the training data: its engine,
				 * network, augmentation, skips and weight decay */
	const infl_step *steps; /* the traced steps, in order */
	size_t nsteps;
	const data *val;        /* the validation set */
	int val_batch;          /* its batch size (≤ the engine's max_batch) */
	const char *name;       /* the cache, for messages */
	int quiet;              /* no notes on stderr */
	int progress;           /* progress on stderr */
} influence;

/* the mean loss over in->val at (theta, state) in evaluation mode (each
 * batch's loss divided by the whole count); grad (may be NULL) gets its
 * gradient added, tmp (may be NULL with it) is scratch. All vectors are
 * engine vectors. */
double influence_val_loss(real *grad, real *tmp, const influence *in, const real *theta,
			  real *state);

/* replay steps[0..n) in place from theta (and state; may be NULL: the
 * running statistics are then not updated), leaving out row leave_out
 * (SIZE_MAX: none). seg (may be NULL) gets the θ each step starts from,
 * nparams host floats per step. Returns -1, or the index of the first
 * step whose loss was not finite. */
long influence_replay(float *seg, real *theta, real *state, sgd *sg, const infl_step *steps,
		      size_t n, size_t leave_out);

/* 1 if a replay's θ (host) landed on the recorded one: bit for bit, or on
 * a CUDA engine within float round-off of a run made on another device
 * (noted once on stderr unless quiet) */
int influence_lands(const engine *eng, const float *got, const float *want, size_t nparams,
		    const char *name, const char *what, int quiet);

/* where influence_walk takes θ_t from; asked for t = nsteps−1 down to 0 */
typedef struct infl_thetas {
	const influence *in;
	const real *fixed;      /* θ at every step (engine vector) */
	FILE *spool;            /* or θ_t at byte t·nparams·4 (host floats) */
	size_t K;               /* or K checkpoints: */
	size_t *pos;            /* (K+1) the step index of each, then nsteps */
	const float *const *ckpt;       /* (K) their θ (host) */
	const float *theta_T;   /* θ after the last step (host) */
	real *theta;            /* the θ_t handed out (engine vector) */
	float *host, *seg;      /* one θ; the θ_t of the segment replayed */
	size_t k;               /* the segment in seg */
} infl_thetas;

/* the same θ (an engine vector, kept by the caller) at every step:
 * sgd-last, tracin-last */
void influence_thetas_fixed(infl_thetas *s, const influence *in, const real *theta);
/* θ_t of step t at byte offset t·nparams·4 of spool (the caller's) */
void influence_thetas_spool(infl_thetas *s, const influence *in, FILE *spool);
/* checkpoints: ckpt[k] is θ before the traced step numbered ckpt_step[k]
 * (increasing, the first at the first traced step), theta_T after the
 * last; exits if a checkpoint is not at a traced step. Each segment is
 * replayed (no momentum, state untouched) when the walk first needs it,
 * and must land on the next checkpoint (or θ_T) or the program exits. */
void influence_thetas_checkpoints(infl_thetas *s, const influence *in,
				  const float *const *ckpt, const long *ckpt_step, size_t K,
				  const float *theta_T);
/* θ_t as an engine vector, valid until the next call */
const real *influence_thetas_at(infl_thetas *s, size_t t);
void influence_thetas_free(infl_thetas *s);

/* the u-walk over in->steps, newest first: score[row] (training rows) gains
 * (η_t/|S_t|)·⟨u, ∇ℓ(z_row; θ_t)⟩ for every example of step t; with hessian,
 * u ← u − a·(H_t u + λu) after each step, a = η_t (ref_u_scale: η_t/|S_t|,
 * as both published implementations do). u (engine vector) is updated. */
void influence_walk(double *score, real *u, const influence *in, infl_thetas *thetas,
		    int hessian, int ref_u_scale);

/* How stable a u-walk was (scores.h), for the scores header and the
 * warning. */
typedef scores_stability infl_stability;

/* the power iteration's budget: at most this many HVPs per probed batch,
 * stopping when the Rayleigh quotient changes by under POWER_TOL */
#define POWER_ITERS 20
#define POWER_TOL 1e-3

/* the curvature a u-walk applies: none (TracIn), the Hessian H_t (the
 * papers), or the Gauss-Newton matrix G_t (positive semi-definite) */
enum { INFL_NONE, INFL_HESSIAN, INFL_GN };

/* the eigenvalue of largest magnitude of the Hessian (gn: the Gauss-Newton
 * matrix) of traced step t's batch-mean loss at theta (engine vector), by
 * power iteration (seeded); *hvps gets the products spent */
double influence_curvature(const influence *in, const real *theta, size_t t, int gn, int *hvps);

/* the curvature a walk will meet, before it: the top eigenvalue of
 * INFL_PROBES traced batches (the last, and others spread over the steps)
 * at theta — batch Hessians differ, one is not enough — into st->lambda,
 * probes, hvps, and η·|λ| into st->eta_lambda (at_t: left for the walk's
 * own probes at θ_t). Returns the flow sub-steps that keep the walk
 * bounded for that curvature (spectrum_flow_steps of the largest step). */
#define INFL_PROBES 4
int influence_probe(infl_stability *st, const influence *in, const real *theta, int curv,
		    int ref_u_scale, int at_t);

/* influence_walk with hessian one of INFL_*, the stability measured into
 * st (may be NULL) and,
 * for flow_steps m > 1, each step's u update replaced by m sub-steps
 * u ← u − (a/m)(H_t u + λu): (I − aH/m)^m → exp(−aH), gradient flow over the
 * step, which damps instead of amplifying directions with a·c > 2. With
 * m = 1 it is influence_walk, bit for bit. With st and thetas not fixed
 * (sgd), λ is also measured at θ_t of the last, middle and first steps. */
void influence_walk_ex(double *score, real *u, const influence *in, infl_thetas *thetas,
		       int hessian, int ref_u_scale, int flow_steps, infl_stability *st);

/* score[j] = L_val(θ replayed from (theta0, state0) over in->steps without
 * row j) − L0 for every row j with want[j] (want NULL: every row). First
 * replays without nothing, which must land on theta_T, else the program
 * exits; a replay that diverges exits too. */
void influence_counterfactual(double *score, const influence *in, const float *theta0,
			      const float *state0, const float *theta_T, double L0,
			      const unsigned char *want);

#endif
