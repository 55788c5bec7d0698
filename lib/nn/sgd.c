/*
 * sgd.c — the SGD step (see sgd.h).
 */
#include "sgd.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

void sgd_init(sgd *s, engine *eng, const nn_net *net, const data *d, int batch,
	      const augment *aug, uint64_t seed, double weight_decay, double momentum,
	      const idset *skip)
{
	memset(s, 0, sizeof *s);
	s->eng = eng, s->net = net, s->d = d, s->batch = batch, s->aug_opt = *aug;
	s->seed = seed, s->weight_decay = weight_decay, s->momentum = momentum;
	s->skip = skip;
	s->grad = engine_alloc(eng, net->nparams);
	s->vel = momentum > 0 ? engine_alloc(eng, net->nparams) : NULL;
	s->row = emalloc((size_t)batch * sizeof *s->row);
	s->aug = emalloc((size_t)batch * sizeof *s->aug);
}

void sgd_free(sgd *s)
{
	engine_release(s->eng, s->grad);
	if (s->vel)
		engine_release(s->eng, s->vel);
	free(s->row), free(s->aug);
	memset(s, 0, sizeof *s);
}

int sgd_batch(sgd *s, const size_t *idx, int n, int epoch, size_t also)
{
	const data *d = s->d;
	int B = 0;
	for (int j = 0; j < n; j++) {
		size_t i = idx[j];
		if (i == also || (s->skip && idset_has(s->skip, d->id[i])))
			continue;
		s->aug[B] = augment_draw(&s->aug_opt, d, i, s->seed, epoch);
		s->row[B++] = i;
	}
	s->b = (batch){ .d = d, .n = B, .row = s->row,
			.aug = s->aug_opt.crop || s->aug_opt.flip ? s->aug : NULL };
	return B;
}

int sgd_step(sgd *s, real *theta, real *state, const size_t *idx, int n, int epoch,
	     double lr, size_t also)
{
	const nn_net *net = s->net;
	long tag = s->nstep++;
	int B = sgd_batch(s, idx, n, epoch, also);
	if (B == 0)
		return 0;               /* every example left out: no update */
	engine_forward(s->eng, theta, state, &s->b, n, NN_TRAIN);
	engine_tally(s->eng, tag);
	if (s->seen)
		s->seen(s->seen_ctx, s);
	engine_backward(s->eng, theta, s->grad);
	engine_sgd(s->eng, theta, s->grad, s->vel, net->nparams, lr, s->weight_decay,
		   s->momentum);
	return B;
}

long sgd_read(sgd *s, double *loss_sum, size_t *correct)
{
	return engine_tally_read(s->eng, loss_sum, correct);
}

void sgd_reset(sgd *s)
{
	s->nstep = 0;
	engine_tally_reset(s->eng);
}
