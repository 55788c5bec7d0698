/*
 * dyn_score.c — scores from training dynamics: AUM, forgetting events,
 * mean loss (see dyn_score.h).
 */
#include "dyn_score.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../stream/idset.h"
#include "../util/util.h"

static const char *const method_names[] = { "aum", "forgetting", "mean-loss" };

int dyn_score_parse(const char *name)
{
	for (int k = 0; k <= DYN_MEAN_LOSS; k++)
		if (!strcmp(name, method_names[k]))
			return k;
	return -1;
}

const char *dyn_score_name(int method)
{
	return method >= 0 && method <= DYN_MEAN_LOSS ? method_names[method] : "?";
}

void dyn_tally_read(dyn_tally *t, dyn_reader *dr, const char *name)
{
	memset(t, 0, sizeof *t);
	t->fake = dr->h.fake ? (uint32_t)dr->h.classes : UINT32_MAX;
	idmap at;
	idmap_init(&at);
	size_t cap = 0;
	while (dyn_reader_next(dr)) {
		const dyn_step *s = &dr->step;
		t->steps++;
		for (int j = 0; j < s->n; j++) {
			size_t i;
			if (!idmap_get(&at, s->ids[j], &i)) {
				if (t->n == cap) {
					cap = cap ? 2 * cap : 1024;
					t->ex = erealloc(t->ex, emul(cap, sizeof *t->ex));
				}
				i = t->n++;
				t->ex[i] = (dyn_example){ .id = s->ids[j], .y = s->y[j], .last_hit = -1 };
				idmap_put(&at, s->ids[j], i);
			}
			dyn_example *e = &t->ex[i];
			if (e->y != s->y[j])
				die("%s: step %ld: example id %llu trained as %u, earlier as %u", name,
				    s->step, (unsigned long long)e->id, s->y[j], e->y);
			e->seen++;
			e->margin += s->margin[j];
			e->loss += s->loss[j];
			e->forgot += e->last_hit == 1 && !s->hit[j];
			e->last_hit = s->hit[j];
			e->learned |= s->hit[j];
		}
	}
	idmap_free(&at);
	if (t->n > dr->h.train_n)
		die("%s: %zu examples seen, the header says %llu trained", name, t->n,
		    (unsigned long long)dr->h.train_n);
}

void dyn_tally_free(dyn_tally *t)
{
	free(t->ex);
	memset(t, 0, sizeof *t);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* the q-th percentile of v[0..n) (sorted in place) as numpy.percentile
 * computes it by default (linear): h = (n − 1)·q/100 between the order
 * statistics a = v[⌊h⌋] and b = v[⌊h⌋ + 1], a + (b − a)·t for t = h − ⌊h⌋
 * below 1/2 and b − (b − a)·(1 − t) from 1/2 on */
static double percentile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof *v, cmp_double);
	double h = (double)(n - 1) * (q / 100);
	size_t lo = (size_t)floor(h), hi = lo + 1 < n ? lo + 1 : n - 1;
	double t = h - (double)lo, a = v[lo], b = v[hi], diff = b - a;
	return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

void dyn_score_run(dyn_scores *r, const dyn_tally *t, int method, double pct)
{
	memset(r, 0, sizeof *r);
	/* the scores of the real examples; the fake ones set the threshold */
	uint64_t most = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (t->ex[i].y == t->fake) {
			r->nfake++;
			continue;
		}
		r->nreal++;
		most = t->ex[i].seen > most ? t->ex[i].seen : most;
	}
	r->score = ecalloc(t->n ? t->n : 1, sizeof *r->score);
	double *fk = emalloc(emul(r->nfake ? r->nfake : 1, sizeof *fk));
	size_t q = 0;
	for (size_t i = 0; i < t->n; i++) {
		const dyn_example *e = &t->ex[i];
		double aum = e->margin / (double)e->seen;
		if (e->y == t->fake) {
			fk[q++] = aum;
			continue;
		}
		switch (method) {
		case DYN_AUM: r->score[i] = aum; break;
		case DYN_FORGETTING:
			r->never += !e->learned;
			r->score[i] = !e->learned ? -(double)most : e->forgot ? -(double)e->forgot : 0;
			break;
		default: r->score[i] = -e->loss / (double)e->seen;
		}
	}
	r->flags = method == DYN_AUM && r->nfake > 0;
	r->threshold = r->flags ? percentile(fk, r->nfake, pct) : 0;
	for (size_t i = 0; r->flags && i < t->n; i++)
		r->flagged += t->ex[i].y != t->fake && r->score[i] < r->threshold;
	free(fk);
}

void dyn_scores_free(dyn_scores *r)
{
	free(r->score);
	memset(r, 0, sizeof *r);
}
