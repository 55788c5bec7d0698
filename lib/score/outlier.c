/*
 * outlier.c — grad-outlier's scores (see outlier.h).
 */
#include "outlier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/progress.h"
#include "../util/util.h"
#include "detect.h"
#include "iforest.h"

double outlier_score(double *score, engine *eng, const nn_net *net, const data *d,
		     const real *theta, const real *state, outlier_opts *o)
{
	int m = o->method, all = o->all, dim = o->dim, K = net->classes, BS = OUTLIER_BATCH;
	int F = 0;
	const nn_layer *L = &net->l[net->nl - 1];
	int Fl = L->ic * L->ih * L->iw;
	real *dtheta = engine_alloc(eng, net->nparams), *dstate = engine_alloc(eng, net->nstate + 1);
	engine_put(eng, dtheta, theta, net->nparams);
	engine_put(eng, dstate, state, net->nstate);
	real *a = NULL, *h = NULL, *proj = NULL, *dR = NULL, *dots = NULL;
	if (all) {
		/* R is made on the host and copied once; rows are the R-passes' v */
		real *R = emalloc(emul(emul((size_t)dim, net->nparams), sizeof *R));
		detect_projection(R, dim, net->nparams, o->seed);
		dR = engine_alloc(eng, (size_t)dim * net->nparams);
		engine_put(eng, dR, R, (size_t)dim * net->nparams);
		free(R);
		proj = emalloc(emul(d->n, (size_t)dim * sizeof *proj));
		dots = emalloc((size_t)BS * sizeof *dots);
	} else if (m == DET_OGA_IFOREST) {
		a = emalloc(emul(d->n, (size_t)K * sizeof *a));
		h = emalloc(emul(d->n, (size_t)Fl * sizeof *h));
	}
	progress pg;
	progress_begin(&pg, "forward pass", d->n, "examples", o->quiet);
	double loss = 0;
	for (size_t at = 0; at < d->n; at += (size_t)BS) {
		int B = (int)(d->n - at < (size_t)BS ? d->n - at : (size_t)BS);
		batch bt = { .d = d, .n = B, .first = at };
		engine_forward(eng, dtheta, dstate, &bt, B, NN_EVAL);
		const real *p = engine_probs(eng), *l = engine_losses(eng), *hb = NULL;
		if (all) {
			for (int b = 0; b < B; b++)
				loss += l[b];
			for (int r = 0; r < dim; r++) {
				engine_rforward(eng, dtheta, dR + (size_t)r * net->nparams, dots);
				for (int b = 0; b < B; b++)
					proj[(at + (size_t)b) * (size_t)dim + (size_t)r] = dots[b];
			}
			goto next;
		}
		if (detect_needs_features(m)) {
			hb = engine_features(eng, &F);
			if (F != Fl)
				die("internal error: %d features, the last layer takes %d", F, Fl);
		}
		for (int b = 0; b < B; b++) {
			size_t i = at + (size_t)b;
			const real *pb = p + (size_t)b * K, *hj = hb ? hb + (size_t)b * F : NULL;
			loss += l[b];
			if (m == DET_OGA_IFOREST) {
				detect_residual(a + i * (size_t)K, pb, d->y[i], K);
				memcpy(h + i * (size_t)F, hj, (size_t)F * sizeof *h);
			} else {
				score[i] = detect_score(m, pb, l[b], d->y[i], K, hj, F);
			}
		}
next:
		progress_set(&pg, at + (size_t)B, NULL);
	}
	progress_end(&pg);
	detect_dense dm = { .n = d->n, .d = (size_t)dim, .m = proj };
	if (all && m == DET_OGA_L2) {
		for (size_t i = 0; i < d->n; i++) {
			double s = 0;
			for (int r = 0; r < dim; r++)
				s += (double)proj[i * (size_t)dim + (size_t)r] *
				     proj[i * (size_t)dim + (size_t)r];
			score[i] = -sqrt(s);
		}
	} else if (m == DET_OGA_IFOREST) {
		detect_grads g = { .n = d->n, .K = K, .F = F, .a = a, .h = h };
		iforest_src src = all ? detect_dense_src(&dm) : detect_src(&g);
		iforest fo;
		iforest_fit(&fo, &src, o->trees, o->psi, o->seed);
		iforest_scores(&fo, &src, score);
		for (size_t i = 0; i < d->n; i++)
			score[i] = -score[i];
		o->psi = fo.psi;
		iforest_free(&fo);
	}
	if (dR)
		engine_release(eng, dR);
	engine_release(eng, dtheta);
	engine_release(eng, dstate);
	free(proj), free(dots), free(a), free(h);
	return loss;
}
