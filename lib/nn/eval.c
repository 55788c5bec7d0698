/*
 * eval.c — cnn-eval's pass (see eval.h).
 */
#include "eval.h"

#include <stdlib.h>

#include "../stream/predictions.h"
#include "../util/util.h"

void eval_run(metrics_eval *m, engine *eng, const nn_net *net, const data *d, const real *theta,
	      const real *state, rec_writer *pw)
{
	int K = net->classes, BS = EVAL_BATCH;
	real *dtheta = engine_alloc(eng, net->nparams), *dstate = engine_alloc(eng, net->nstate + 1);
	engine_put(eng, dtheta, theta, net->nparams);
	engine_put(eng, dstate, state, net->nstate);
	uint64_t *conf = ecalloc((size_t)K * K, sizeof *conf);
	double loss = 0;
	size_t correct = 0;
	float *pf = emalloc((size_t)K * sizeof *pf);
	for (size_t at = 0; at < d->n; at += (size_t)BS) {
		int B = (int)(d->n - at < (size_t)BS ? d->n - at : (size_t)BS);
		batch bt = { .d = d, .n = B, .first = at };
		engine_forward(eng, dtheta, dstate, &bt, B, NN_EVAL);
		const real *p = engine_probs(eng), *l = engine_losses(eng);
		for (int b = 0; b < B; b++) {
			int best = nn_argmax(p + (size_t)b * K, K);
			int y = d->y[at + (size_t)b];
			conf[(size_t)y * K + best]++;
			correct += best == y;
			loss += l[b];
			if (pw) {
				for (int k = 0; k < K; k++)
					pf[k] = (float)p[(size_t)b * K + k];
				predictions_write(pw, d->id[at + (size_t)b], y, best, l[b], pf, K);
			}
		}
	}
	free(pf);
	engine_release(eng, dtheta);
	engine_release(eng, dstate);
	m->n = d->n;
	m->K = K;
	m->conf = conf;
	m->acc = d->n ? (double)correct / (double)d->n : 0;
	m->loss = d->n ? loss / (double)d->n : 0;
	m->cls = UINT64_MAX;
}

int eval_forget(metrics_eval *m, uint64_t cls)
{
	uint64_t ns = 0, nr = 0, cs = 0, cr = 0;
	int K = m->K;
	for (int y = 0; y < K; y++)
		for (int k = 0; k < K; k++) {
			uint64_t c = m->conf[(size_t)y * K + k];
			if ((uint64_t)y == cls)
				ns += c, cs += k == y ? c : 0;
			else
				nr += c, cr += k == y ? c : 0;
		}
	if (ns == 0 || nr == 0)
		return -1;
	m->cls = cls;
	m->a_self = (double)cs / (double)ns, m->a_rest = (double)cr / (double)nr;
	m->f1 = (1 - m->a_self) + m->a_rest > 0 ?
		2 * (1 - m->a_self) * m->a_rest / ((1 - m->a_self) + m->a_rest) : 0;
	return 0;
}
