/*
 * cache.c — a cache loaded for scoring (see cache.h).
 */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "../stream/idset.h"
#include "../util/progress.h"
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

void cache_load(cache *c, data *train, data *val, const char *path, const char *name,
		const char *train_path, const char *val_path)
{
	FILE *cf = in_open_for(path, "pipe a cache in (theta-cache ... | inf-score), or "
			       "name the CACHE file");
	cache_open(c, cf, name);
	const trace_header *th = &c->tr.h;
	FILE *f = in_open(train_path);
	data_load(train, f, strcmp(train_path, "-") ? train_path : "stdin", th->input[0],
		  th->input[1], th->input[2]);
	in_close(f);
	data_load_for(val, val_path, th, "validation ");
	cache_read(c, train);
	in_close(cf);
}

void cache_setup(nn_net *net, augment *aug, idset *skip, const cache *c)
{
	const trace_header *th = &c->tr.h;
	const char *cname = c->tr.name;
	char err[256];
	if (nn_init(net, th->net, th->input[0], th->input[1], th->input[2], th->classes,
		    err, sizeof err) < 0)
		die("%s: %s", cname, err);
	if (net->nparams != th->nparams || net->nstate != th->nstate)
		die("%s: '%s' has %zu parameters here, the cache says %llu", cname, th->net,
		    net->nparams, (unsigned long long)th->nparams);
	if (augment_parse(aug, th->augment) < 0)
		die("%s: bad augmentation '%s'", cname, th->augment);
	if (th->skip_from > 0)
		die("%s: a --skip-from replay (examples left out from epoch %d on); "
		    "score the original run", cname, th->skip_from);
	idset_init(skip);
	for (size_t i = 0; i < th->nskip; i++)
		idset_add(skip, th->skip[i]);
}

double cache_walk(double *score, real *u, const influence *in, const cache *c,
		  const real *thT, int each, int curv, int ref, int flow_steps,
		  scores_stability *st)
{
	infl_thetas thetas;
	if (each && c->spool)
		influence_thetas_spool(&thetas, in, c->spool);
	else if (each)
		influence_thetas_checkpoints(&thetas, in, (const float *const *)c->snap_theta,
					     c->snap_step, c->nsnap, c->theta_T);
	else
		influence_thetas_fixed(&thetas, in, thT);
	if (st) {
		int sub = influence_probe(st, in, thT, curv, ref, each);
		flow_steps = flow_steps ? flow_steps : sub;
	}
	double t0 = progress_now();
	influence_walk_ex(score, u, in, &thetas, curv, ref, flow_steps, st);
	double secs = progress_now() - t0;
	influence_thetas_free(&thetas);
	return secs;
}
