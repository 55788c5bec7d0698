/*
 * detect.c — the Hessian-free detectors' per-example scores (see detect.h).
 * Host code: it reads the probabilities and features the engine copies back
 * (engine_probs, engine_features), whichever device computed them.
 */
#include "detect.h"

#include <math.h>
#include <string.h>

#include "../util/rand.h"

static const char *names[DET_NMETHODS] = {
	"oga-l2", "oga-l1", "oga-iforest", "loss", "self-confidence", "margin", "entropy",
};

int detect_parse(const char *name)
{
	for (int m = 0; m < DET_NMETHODS; m++)
		if (!strcmp(name, names[m]))
			return m;
	return -1;
}

const char *detect_name(int method) { return names[method]; }

const char *detect_names(void)
{
	return "oga-l2, oga-l1, oga-iforest, loss, self-confidence, margin or entropy";
}

int detect_needs_features(int method)
{
	return method == DET_OGA_L2 || method == DET_OGA_L1 || method == DET_OGA_IFOREST;
}

void detect_residual(real *a, const real *p, int y, int K)
{
	for (int k = 0; k < K; k++)
		a[k] = p[k] - (real)(k == y);
}

double detect_score(int method, const real *p, double loss, int y, int K,
		    const real *h, int F)
{
	double sa = 0, sh = 0, py = p[y];
	switch (method) {
	case DET_OGA_L2:
		for (int k = 0; k < K; k++) {
			double a = (double)p[k] - (k == y);
			sa += a * a;
		}
		for (int f = 0; f < F; f++)
			sh += (double)h[f] * h[f];
		return -sqrt(sa) * sqrt(sh);
	case DET_OGA_L1:
		for (int k = 0; k < K; k++)
			sa += fabs((double)p[k] - (k == y));
		for (int f = 0; f < F; f++)
			sh += fabs((double)h[f]);
		return -sa * sh;
	case DET_LOSS:
		return -loss;
	case DET_SELF_CONFIDENCE:
		return py - 1;
	case DET_MARGIN: {
		double other = 0;
		for (int k = 0; k < K; k++)
			if (k != y && p[k] > other)
				other = p[k];
		return (py - other + 1) / 2 - 1;
	}
	case DET_ENTROPY: {
		/* cleanlab's get_confidence_weighted_entropy_for_each_label,
		 * except near x = 0: cleanlab divides by max(x, 1e-6), which
		 * sends a certain, right prediction (x → 0) to q → 0, the most
		 * suspect; log(1 + x)/x → 1 there, and so do we */
		const double lo = 1e-6;
		double ent = 0;
		for (int k = 0; k < K; k++)
			ent -= (double)p[k] * log(p[k] > lo ? (double)p[k] : lo);
		ent /= K > 1 ? log((double)K) : 1;
		double x = ent / (py > lo ? py : lo);
		return (x > lo ? log1p(x) / x : 1 - x / 2) - 1;
	}
	}
	return NAN;
}

static double grads_get(const void *ctx, size_t i, size_t j)
{
	const detect_grads *g = ctx;
	size_t F = (size_t)g->F;
	return (double)g->a[i * (size_t)g->K + j / F] * (double)g->h[i * F + j % F];
}

iforest_src detect_src(const detect_grads *g)
{
	iforest_src s = { .n = g->n, .d = (size_t)g->K * (size_t)g->F, .get = grads_get,
			  .ctx = g };
	return s;
}

void detect_projection(real *R, int k, size_t P, uint64_t seed)
{
	real a = (real)sqrt(3.0 / k);
	uint64_t key = rng_key(seed, 0x6a6c, 0);        /* "jl": not top-neg's or iforest's */
	for (int r = 0; r < k; r++)
		for (size_t i = 0; i < P; i++) {
			uint64_t u = rng_key(key, (uint64_t)r, i) % 6;
			R[(size_t)r * P + i] = u == 0 ? a : u == 1 ? -a : 0;
		}
}

static double dense_get(const void *ctx, size_t i, size_t j)
{
	const detect_dense *m = ctx;
	return m->m[i * m->d + j];
}

iforest_src detect_dense_src(const detect_dense *m)
{
	iforest_src s = { .n = m->n, .d = m->d, .get = dense_get, .ctx = m };
	return s;
}
