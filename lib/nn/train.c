/*
 * train.c — cnn-train's run (see train.h).
 */
#include "train.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/progress.h"
#include "../util/rand.h"
#include "../util/util.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

void train_data(data *d, const char *path, const char *name, const char *net)
{
	FILE *in = in_open(path);
	ds_set s;
	ds_set_load(&s, in, name);
	int ic = (int)s.h.c, ih = (int)s.h.h, iw = (int)s.h.w;
	nn_input_shape(net, &ic, &ih, &iw);
	data_from_set(d, &s, name, ic, ih, iw);
	ds_set_free(&s);
	in_close(in);
	if (d->n == 0)
		die("%s: no training examples", name);
}

void train_aum_fake(data *d, uint64_t n, uint64_t seed, const char *name)
{
	int K = d->classes;
	if (n >= d->n)
		die_usage("--aum-fake %llu: %s has %zu examples", (unsigned long long)n, name, d->n);
	if ((unsigned)K + 1 > FMT_MAX_CLASSES)
		die("%s: %d classes: no room for a fake one", name, K);
	uint32_t *idx = emalloc(emul(d->n, sizeof *idx));
	for (uint32_t i = 0; i < d->n; i++)
		idx[i] = i;
	rng r;
	rng_init_for(&r, seed, "aum fake");
	rng_shuffle_u32(&r, idx, (uint32_t)d->n);
	for (uint64_t q = 0; q < n; q++)
		d->y[idx[q]] = K;
	d->classes = K + 1;
	free(idx);
}

void train_header(trace_header *th, const nn_net *net, const data *d)
{
	th->input[0] = d->c, th->input[1] = d->h, th->input[2] = d->w;
	memcpy(th->data_shape, d->data_shape, sizeof th->data_shape);
	th->classes = d->classes;
	th->nparams = net->nparams;
	th->nstate = net->nstate;
	th->train_digest = d->digest;
}

void train_skip(id_list *ids, idset *skip, const char *path, const data *d)
{
	idset_init(skip);
	if (!path)
		return;
	FILE *f = in_open(path);
	ids_read(ids, f, path);
	in_close(f);
	idset present;
	idset_init(&present);
	for (size_t i = 0; i < d->n; i++)
		idset_add(&present, d->id[i]);
	for (size_t i = 0; i < ids->n; i++) {
		if (!idset_has(&present, ids->v[i]))
			die("--skip: id %llu is not in the training set",
			    (unsigned long long)ids->v[i]);
		idset_add(skip, ids->v[i]);
	}
	idset_free(&present);
}

void train_init(trainer *t, const trace_header *th, const nn_net *net, const data *d,
		const augment *aug, const idset *skip, int every, int device, int quiet)
{
	memset(t, 0, sizeof *t);
	t->th = th, t->net = net, t->d = d, t->skip = skip, t->every = every, t->quiet = quiet;
	t->eng = engine_new(net, th->batch, device, quiet);
	t->hbuf = emalloc((net->nparams + net->nstate + 1) * sizeof *t->hbuf);
	nn_init_params(net, t->hbuf, t->hbuf + net->nparams, th->seed);
	t->theta = engine_alloc(t->eng, net->nparams);
	t->state = engine_alloc(t->eng, net->nstate + 1);
	engine_put(t->eng, t->theta, t->hbuf, net->nparams);
	engine_put(t->eng, t->state, t->hbuf + net->nparams, net->nstate);
	sgd_init(&t->sg, t->eng, net, d, th->batch, aug, th->seed, th->weight_decay,
		 th->momentum, skip);
	t->perm = emalloc(emul(d->n, sizeof *t->perm));
	t->bidx = emalloc((size_t)th->batch * sizeof *t->bidx);
	t->sids = emalloc((size_t)th->batch * sizeof *t->sids);
}

/* sgd's seen hook: the step's batch as its forward pass saw it */
static void dyn_seen(void *ctx, const sgd *s)
{
	trainer *t = ctx;
	const real *z = engine_logits(s->eng), *l = engine_losses(s->eng);
	const data *d = s->d;
	int B = s->b.n, K = d->classes;
	dyn_step *st = &t->dst;
	for (int j = 0; j < B; j++) {
		size_t i = s->row[j];
		double m;
		int hit;
		for (int k = 0; k < K; k++)
			t->z[k] = (float)z[(size_t)j * K + k];
		dyn_margin(t->z, K, d->y[i], &m, &hit);
		st->ids[j] = d->id[i];
		st->y[j] = (uint32_t)d->y[i];
		st->margin[j] = (float)m;
		st->loss[j] = (float)l[j];
		st->hit[j] = (unsigned char)hit;
	}
	st->n = B, st->epoch = t->epoch, st->step = t->step;
	dyn_write_step(t->dyn, st);
}

rec_writer *train_dynamics(trainer *t, FILE *f, const char *name, int K, uint64_t aum_fake,
			   uint64_t aum_seed)
{
	const trace_header *th = t->th;
	const data *d = t->d;
	size_t B = (size_t)th->batch;
	dyn_header dh = { .net = th->net, .classes = K, .outputs = d->classes,
			  .fake = aum_fake > 0, .aum_fake = aum_fake, .aum_seed = aum_seed,
			  .train_n = d->n, .train_digest = d->digest, .epochs = th->epochs,
			  .batch = th->batch, .steps_per_epoch = trace_steps_per_epoch(th),
			  .seed = th->seed };
	t->dyn = dyn_writer_open(f, name, &dh);
	t->dst.ids = emalloc(B * sizeof *t->dst.ids);
	t->dst.y = emalloc(B * sizeof *t->dst.y);
	t->dst.margin = emalloc(B * sizeof *t->dst.margin);
	t->dst.loss = emalloc(B * sizeof *t->dst.loss);
	t->dst.hit = emalloc(B);
	t->z = emalloc((size_t)d->classes * sizeof *t->z);
	t->sg.seen = dyn_seen;
	t->sg.seen_ctx = t;
	return t->dyn;
}

/* θ and the state into tw as a snapshot */
static void put_theta(trainer *t, trace_writer *tw, int at, int epoch)
{
	size_t np = t->net->nparams, ns = t->net->nstate;
	engine_get(t->eng, t->hbuf, t->theta, np);
	engine_get(t->eng, t->hbuf + np, t->state, ns);
	trace_theta tt = { .at = at, .epoch = epoch, .step = t->step, .theta = t->hbuf,
			   .state = t->hbuf + np };
	trace_write_theta(tw, &tt, TRACE_ENC_RAW);
}

void train_epoch(trainer *t, trace_writer *tw, int e, train_stats *st)
{
	const trace_header *th = t->th;
	const data *d = t->d;
	double t0 = now(), loss_sum = 0;
	char pwhat[48], ploss[48] = "";
	long steps_per_epoch = (long)trace_steps_per_epoch(th);
	snprintf(pwhat, sizeof pwhat, "epoch %d/%d", e + 1, th->epochs);
	progress pg;
	progress_begin(&pg, pwhat, (uint64_t)steps_per_epoch, "steps", t->quiet);
	size_t seen = 0, correct = 0;
	int traced = trace_has_epoch(th, e);
	t->epoch = e;
	rng r;
	rng_init_for(&r, rng_key(th->seed, (uint64_t)e, 0), "batch order");
	/* before skip_from the run is the original one, bit for bit */
	t->sg.skip = th->nskip && e >= th->skip_from ? t->skip : NULL;
	sgd_reset(&t->sg);
	for (uint32_t i = 0; i < d->n; i++)
		t->perm[i] = i;
	rng_shuffle_u32(&r, t->perm, (uint32_t)d->n);
	if (traced)
		put_theta(t, tw, TRACE_AT_EPOCH, e);
	for (long j = 0; j < steps_per_epoch; j++, t->step++) {
		long step = t->step;
		size_t at = (size_t)j * (size_t)th->batch;
		int full = (int)(d->n - at < (size_t)th->batch ? d->n - at : (size_t)th->batch);
		double lr = trace_lr_at(th, step);
		if (traced && t->every && (step - (long)e * steps_per_epoch) % t->every == 0)
			put_theta(t, tw, TRACE_AT_STEP, e);
		if (traced) {
			for (int k = 0; k < full; k++)
				t->sids[k] = d->id[t->perm[at + (size_t)k]];
			trace_step ts = { .epoch = e, .step = step, .lr = lr, .n = full,
					  .ids = t->sids };
			trace_write_step(tw, &ts);
		}
		for (int k = 0; k < full; k++)
			t->bidx[k] = t->perm[at + (size_t)k];
		seen += (size_t)sgd_step(&t->sg, t->theta, t->state, t->bidx, full, e, lr,
					 SIZE_MAX);
		/* the loss is checked every 50 steps and at the end of the epoch:
		 * on a GPU that is when the host waits for the device */
		int last = j == steps_per_epoch - 1;
		progress_set(&pg, (uint64_t)(step + 1 - (long)e * steps_per_epoch),
			     *ploss ? ploss : NULL);
		if (step % 50 != 49 && !last)
			continue;
		long bad = sgd_read(&t->sg, &loss_sum, &correct);
		if (bad >= 0)
			die("training diverged at epoch %d step %ld (loss not finite); "
			    "lower --lr", e, (long)e * steps_per_epoch + bad);
		snprintf(ploss, sizeof ploss, "loss %.4f", loss_sum / (double)(seen ? seen : 1));
	}
	st->secs = now() - t0;
	st->seen = seen;
	st->loss = loss_sum / (double)(seen ? seen : 1);
	st->acc = (double)correct / (double)(seen ? seen : 1);
	/* no wall time in the trace: it would break bit-exact determinism */
	trace_write_metric(tw, &(trace_metric){ .epoch = e, .loss = st->loss, .acc = st->acc });
	progress_end(&pg);
}

void train_final(trainer *t, trace_writer *tw)
{
	put_theta(t, tw, TRACE_AT_FINAL, t->th->epochs - 1);
}

void train_free(trainer *t)
{
	free(t->perm), free(t->bidx), free(t->sids), free(t->hbuf);
	free(t->dst.ids), free(t->dst.y), free(t->dst.margin), free(t->dst.loss), free(t->dst.hit);
	free(t->z);
	sgd_free(&t->sg);
	engine_release(t->eng, t->theta);
	engine_release(t->eng, t->state);
	engine_free(t->eng);
	memset(t, 0, sizeof *t);
}
