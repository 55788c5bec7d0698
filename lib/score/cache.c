/*
 * cache.c — a cache loaded for scoring (see cache.h).
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "../stream/idset.h"
#include "../util/util.h"

void cache_open(cache *c, FILE *f, const char *name)
{
	memset(c, 0, sizeof *c);
	trace_reader_open(&c->tr, f, name, FMT_KIND_CACHE);
}

static float *copy_of(const float *v, size_t n)
{
	float *d = emalloc(n * sizeof *d + 1);
	memcpy(d, v, n * sizeof *d);
	return d;
}

static void add_step(cache *c, const trace_step *s, const idmap *where)
{
	if (c->nsteps == c->capsteps) {
		c->capsteps = c->capsteps ? 2 * c->capsteps : 256;
		c->steps = erealloc(c->steps, c->capsteps * sizeof *c->steps);
	}
	infl_step *p = &c->steps[c->nsteps++];
	p->epoch = s->epoch, p->step = s->step, p->lr = s->lr, p->n = s->n;
	p->idx = emalloc((size_t)s->n * sizeof *p->idx);
	for (int j = 0; j < s->n; j++)
		if (!idmap_get(where, s->ids[j], &p->idx[j]))
			die("%s: step %llu names an id not in the training set", c->tr.name,
			    (unsigned long long)s->step);
}

static void add_snapshot(cache *c, const trace_theta *t)
{
	size_t P = c->tr.h.nparams, S = c->tr.h.nstate;
	c->snap_step = erealloc(c->snap_step, (c->nsnap + 1) * sizeof *c->snap_step);
	c->snap_step[c->nsnap] = t->step;
	if (c->nsnap == 0) {
		c->start_theta = copy_of(t->theta, P);
		c->start_state = copy_of(t->state, S);
	}
	if (!strcmp(c->tr.policy, "every-step")) {
		if (!c->spool && !(c->spool = tmpfile()))
			die("tmpfile:");
		if (fwrite(t->theta, sizeof *t->theta, P, c->spool) != P)
			die("write temporary file:");
	} else {
		c->snap_theta = erealloc(c->snap_theta, (c->nsnap + 1) * sizeof *c->snap_theta);
		c->snap_theta[c->nsnap] = copy_of(t->theta, P);
	}
	c->nsnap++;
}

void cache_read(cache *c, const data *train)
{
	const trace_header *th = &c->tr.h;
	const char *name = c->tr.name;
	if (th->train_n != train->n || th->train_digest != train->digest)
		die("%s: made from another training set (%llu examples, digest %08x; "
		    "this one has %zu, digest %08x)", name, (unsigned long long)th->train_n,
		    th->train_digest, train->n, train->digest);
	idmap where;
	idmap_init(&where);
	for (size_t i = 0; i < train->n; i++)
		idmap_put(&where, train->id[i], i);
	int rt;
	while ((rt = trace_reader_next(&c->tr))) {
		if (rt == TRACE_REC_STEP) {
			add_step(c, &c->tr.step, &where);
		} else if (rt == TRACE_REC_THETA && c->tr.theta.at == TRACE_AT_FINAL) {
			free(c->theta_T), free(c->state_T);
			c->theta_T = copy_of(c->tr.theta.theta, th->nparams);
			c->state_T = copy_of(c->tr.theta.state, th->nstate);
		} else if (rt == TRACE_REC_THETA) {
			add_snapshot(c, &c->tr.theta);
		}
	}
	idmap_free(&where);
	if (!c->theta_T)
		die("%s: no final parameters", name);
	if (c->spool && fflush(c->spool) != 0)
		die("write temporary file:");
	if (c->nsteps == 0)
		die("%s: no traced steps (train with --trace-epochs)", name);
	if (c->spool && c->nsnap != c->nsteps)
		die("%s: %zu parameter snapshots for %zu traced steps", name, c->nsnap, c->nsteps);
}

void cache_free(cache *c)
{
	for (size_t t = 0; t < c->nsteps; t++)
		free(c->steps[t].idx);
	for (size_t k = 0; c->snap_theta && k < c->nsnap; k++)
		free(c->snap_theta[k]);
	free(c->snap_theta), free(c->snap_step), free(c->steps);
	free(c->theta_T), free(c->state_T), free(c->start_theta), free(c->start_state);
	if (c->spool)
		fclose(c->spool);
	trace_reader_close(&c->tr);
	memset(c, 0, sizeof *c);
}
