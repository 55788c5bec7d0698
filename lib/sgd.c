/*
 * sgd.c — the SGD step (see sgd.h).
 */
#include "sgd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void sgd_init(sgd *s, engine *eng, const nn_net *net, const data *d, int batch,
	      const augment *aug, uint64_t seed, double weight_decay, double momentum,
	      const idset *skip)
{
	memset(s, 0, sizeof *s);
	s->eng = eng, s->net = net, s->d = d, s->batch = batch, s->aug = *aug;
	s->seed = seed, s->weight_decay = weight_decay, s->momentum = momentum;
	s->skip = skip;
	s->grad = engine_alloc(eng, net->nparams);
	s->vel = momentum > 0 ? engine_alloc(eng, net->nparams) : NULL;
	s->xb = emalloc(emul((size_t)batch, d->dim * sizeof *s->xb));
	s->yb = emalloc((size_t)batch * sizeof *s->yb);
}

void sgd_free(sgd *s)
{
	engine_release(s->eng, s->grad);
	if (s->vel)
		engine_release(s->eng, s->vel);
	free(s->xb), free(s->yb);
	memset(s, 0, sizeof *s);
}

int sgd_batch(sgd *s, const size_t *idx, int n, int epoch, size_t also, size_t *kept)
{
	const data *d = s->d;
	int B = 0;
	for (int j = 0; j < n; j++) {
		size_t i = idx[j];
		if (i == also || (s->skip && idset_has(s->skip, d->id[i])))
			continue;
		augment_apply(&s->aug, d, i, s->seed, epoch, s->xb + (size_t)B * d->dim);
		if (kept)
			kept[B] = i;
		s->yb[B++] = d->y[i];
	}
	return B;
}

int sgd_step(sgd *s, real *theta, real *state, const size_t *idx, int n, int epoch,
	     double lr, size_t also, double *loss_sum, size_t *correct)
{
	const nn_net *net = s->net;
	int B = sgd_batch(s, idx, n, epoch, also, NULL);
	if (B == 0)
		return 0;               /* every example left out: no update */
	double L = engine_forward(s->eng, theta, state, s->xb, s->yb, B, n, NN_TRAIN);
	if (!isfinite(L))
		return -1;
	engine_backward(s->eng, theta, s->grad);
	if (loss_sum || correct) {
		const real *p = engine_probs(s->eng), *l = engine_losses(s->eng);
		int K = net->classes;
		for (int b = 0; b < B; b++) {
			int best = 0;
			for (int k = 1; k < K; k++)
				if (p[(size_t)b * K + k] > p[(size_t)b * K + best])
					best = k;
			if (correct)
				*correct += best == s->yb[b];
			if (loss_sum)
				*loss_sum += l[b];
		}
	}
	engine_sgd(s->eng, theta, s->grad, s->vel, net->nparams, lr, s->weight_decay,
		   s->momentum);
	return B;
}
