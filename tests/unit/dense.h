/*
 * dense.h — the dense oracle of test-spectrum and test-ihvp, in double: a
 * tiny network with batch-norm ("affine:4,bn,relu,affine" on 2×2 inputs, 3
 * classes, batch 6, seed 5: its Hessian is indefinite) forwarded and
 * backwarded at θ; its Hessian H built column by column from Hessian-vector
 * products (checked against finite differences by test-grad) and
 * symmetrised; and LAPACK's dsyev (OpenBLAS ships it) for its spectrum.
 */
#ifndef DENSE_H
#define DENSE_H

#include <math.h>
#include <string.h>

#include "../../lib/nn/nn.h"
#include "../../lib/util/rand.h"
#include "../../lib/util/util.h"
#include "check.h"

extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
		   double *w, double *work, const int *lwork, int *info);

typedef struct dense {
	nn_net net;
	nn_ws *ws;
	const nn_backend *bk;
	double *th, *st, *g;    /* θ, the running state, ∇L */
	double *H;              /* n × n, symmetric */
	int n;
	rng r;                  /* what is left of the seed's stream */
} dense;

/* H v at the forwarded batch (ctx: the dense) */
static void dense_hvp(void *ctx, double *hv, const double *v)
{
	dense *d = ctx;
	nn_rforward(d->ws, d->th, v, NULL);
	nn_rbackward(d->ws, d->th, v, hv);
}

static void dense_init(dense *d)
{
	char err[256];
	int B = 6, K = 3;
	CHECK(nn_init(&d->net, "affine:4,bn,relu,affine", 1, 2, 2, K, err, sizeof err) == 0, "%s",
	      err);
	int n = d->n = (int)d->net.nparams;
	rng_init(&d->r, 5);
	d->th = emalloc((size_t)n * sizeof *d->th);
	d->st = emalloc((d->net.nstate + 1) * sizeof *d->st);
	nn_init_params(&d->net, d->th, d->st, 5);
	double x[6 * 4];
	int y[6];
	for (int i = 0; i < B * 4; i++)
		x[i] = rng_uniform(&d->r) * 2 - 1;
	for (int b = 0; b < B; b++)
		y[b] = (int)rng_below(&d->r, (uint64_t)K);
	d->ws = nn_ws_new(&d->net, B);
	d->bk = nn_ws_backend(d->ws);
	nn_forward(d->ws, d->th, NULL, x, y, B, B, NN_TRAIN);
	d->g = emalloc((size_t)n * sizeof *d->g);
	nn_backward(d->ws, d->th, d->g);

	double *H = d->H = emalloc((size_t)n * n * sizeof *H);
	double *e = ecalloc((size_t)n, sizeof *e), *col = emalloc((size_t)n * sizeof *col);
	for (int j = 0; j < n; j++) {
		e[j] = 1;
		dense_hvp(d, col, e);
		e[j] = 0;
		for (int i = 0; i < n; i++)
			H[(size_t)j * n + i] = col[i];
	}
	double asym = 0;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++) {
			double a = H[(size_t)i * n + j], b = H[(size_t)j * n + i];
			asym = fmax(asym, fabs(a - b));
			H[(size_t)i * n + j] = H[(size_t)j * n + i] = (a + b) / 2;
		}
	CHECK(asym < 1e-10, "Hessian not symmetric: %g", asym);
	free(e), free(col);
}

/* the eigenvalues of H, ascending, into lam (n); with V (n × n) not NULL,
 * the eigenvectors too (row k of V: the k-th) */
static void dense_eig(const dense *d, double *lam, double *V)
{
	int n = d->n, lwork = -1, info = 0;
	double wq, *A = V ? V : emalloc((size_t)n * n * sizeof *A);
	memcpy(A, d->H, (size_t)n * n * sizeof *A);
	dsyev_(V ? "V" : "N", "U", &n, A, &n, lam, &wq, &lwork, &info);
	lwork = (int)wq;
	double *work = emalloc((size_t)lwork * sizeof *work);
	dsyev_(V ? "V" : "N", "U", &n, A, &n, lam, work, &lwork, &info);
	CHECK(info == 0, "dsyev: info %d", info);
	free(work);
	if (!V)
		free(A);
}

static void dense_free(dense *d)
{
	free(d->th), free(d->st), free(d->g), free(d->H);
	nn_ws_free(d->ws);
	nn_free(&d->net);
}

#endif
