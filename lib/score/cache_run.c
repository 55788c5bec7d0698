/*
 * cache_run.c — a cache as inf-score runs it (see cache_run.h).
 */
#include "cache_run.h"

#include <string.h>

#include "../util/progress.h"
#include "../util/util.h"

void cache_run_load(cache *c, data *train, data *val, const char *path, const char *name,
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

void cache_run_setup(nn_net *net, augment *aug, idset *skip, const cache *c)
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

double cache_run_walk(double *score, real *u, const influence *in, const cache *c,
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
