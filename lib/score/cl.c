/*
 * cl.c — confident learning (see cl.h): thresholds, the confident joint,
 * its calibration, the noise matrix, the four filters and the scores.
 * Every sum runs in a stated order in double, so that an independent
 * implementation doing the same arithmetic (tests/py/cl_oracle.py) lands
 * on the same bits, roundings and ties included.
 */
#include "cl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"
#include "detect.h"

static const char *const filter_names[] = { "prune_by_noise_rate", "prune_by_class", "both",
					    "confident_learning" };
static const char *const rank_names[] = { "self_confidence", "normalized_margin",
					  "confidence_weighted_entropy" };

int cl_filter_parse(const char *name)
{
	for (int k = 0; k < 4; k++)
		if (!strcmp(name, filter_names[k]))
			return k;
	return -1;
}

const char *cl_filter_name(int filter) { return filter_names[filter]; }

int cl_rank_parse(const char *name)
{
	for (int k = 0; k < 3; k++)
		if (!strcmp(name, rank_names[k]))
			return k;
	return -1;
}

const char *cl_rank_name(int rank) { return rank_names[rank]; }

double cl_score(int rank, const float *p, int y, int K)
{
	static const int det[] = { DET_SELF_CONFIDENCE, DET_MARGIN, DET_ENTROPY };
	real buf[64] = { 0 }, *q = K <= 64 ? buf : emalloc((size_t)K * sizeof *q);
	for (int k = 0; k < K; k++)
		q[k] = (real)p[k];
	double s = detect_score(det[rank], q, 0, y, K, NULL, 0);
	if (q != buf)
		free(q);
	return s;
}

/* ⌊x + 1/2⌋ for x ≥ 0: the count a real estimate stands for */
static uint64_t round_count(double x)
{
	return x > 0 ? (uint64_t)floor(x + 0.5) : 0;
}

/* examples sorted by descending key, ties by ascending id */
typedef struct { const double *key; const uint64_t *id; } by_key_ctx;

static int by_key_desc(const void *a, const void *b, void *ctx)
{
	const by_key_ctx *c = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	if (c->key[i] != c->key[j])
		return c->key[i] > c->key[j] ? -1 : 1;
	return c->id[i] < c->id[j] ? -1 : c->id[i] > c->id[j];
}

/* mark[m] = 1 for the first k of idx[0..m) ordered by descending key */
static void mark_top(unsigned char *mark, size_t *idx, size_t m, uint64_t k, const double *key,
		     const uint64_t *id)
{
	by_key_ctx c = { key, id };
	qsort_r(idx, m, sizeof *idx, by_key_desc, &c);
	for (size_t q = 0; q < m && q < k; q++)
		mark[idx[q]] = 1;
}

void cl_run(cl_result *r, size_t n, int K, const uint64_t *id, const uint32_t *y,
	    const float *p, int filter, int rank)
{
	size_t KK = (size_t)K * (size_t)K;
	memset(r, 0, sizeof *r);
	r->n = n, r->K = K;
	r->label_counts = ecalloc((size_t)K, sizeof *r->label_counts);
	r->thresholds = ecalloc((size_t)K, sizeof *r->thresholds);
	r->cj = ecalloc(KK, sizeof *r->cj);
	r->joint = ecalloc(KK, sizeof *r->joint);
	r->noise = ecalloc(KK, sizeof *r->noise);
	r->flag = ecalloc(n ? n : 1, 1);
	r->score = ecalloc(n ? n : 1, sizeof *r->score);
	r->suggest = ecalloc(n ? n : 1, sizeof *r->suggest);
	const float *row;

	/* per-class thresholds: the mean self-confidence, summed in stream order */
	double *sum = ecalloc((size_t)K, sizeof *sum);
	for (size_t i = 0; i < n; i++) {
		r->label_counts[y[i]]++;
		sum[y[i]] += (double)p[i * (size_t)K + y[i]];
	}
	for (int j = 0; j < K; j++)
		r->thresholds[j] = r->label_counts[j] ? sum[j] / (double)r->label_counts[j] : NAN;
	free(sum);

	/* the confident joint: each example's candidate of largest p̂ */
	int *guess = emalloc(emul(n ? n : 1, sizeof *guess));
	for (size_t i = 0; i < n; i++) {
		row = p + i * (size_t)K;
		int best = -1;
		for (int j = 0; j < K; j++)
			if (r->label_counts[j] &&
			    (double)row[j] >= r->thresholds[j] - CL_THRESHOLD_SLACK &&
			    (best < 0 || row[j] > row[best]))
				best = j;
		guess[i] = best;
		if (best >= 0)
			r->cj[(size_t)y[i] * K + (size_t)best]++;
	}

	/* calibrated to the label counts (the diagonal at least 1, as cleanlab
	 * has it: a row no example is confidently in counts as all correct),
	 * then normalised to the joint Q */
	double total = 0;
	for (int i = 0; i < K; i++) {
		uint64_t rs = 0;
		for (int j = 0; j < K; j++)
			rs += i == j && r->cj[(size_t)i * K + j] == 0 ? 1 : r->cj[(size_t)i * K + j];
		for (int j = 0; j < K; j++) {
			uint64_t c = r->cj[(size_t)i * K + j];
			if (i == j && c == 0)
				c = 1;
			r->joint[(size_t)i * K + j] = (double)c / (double)rs *
						      (double)r->label_counts[i];
		}
	}
	for (size_t c = 0; c < KK; c++)
		total += r->joint[c];
	for (size_t c = 0; c < KK; c++)
		r->joint[c] = total > 0 ? r->joint[c] / total : 0;

	/* the noise matrix, column j normalised: P(given = i | true = j); a
	 * true class with no mass keeps its labels (the identity column) */
	for (int j = 0; j < K; j++) {
		double col = 0;
		for (int i = 0; i < K; i++)
			col += r->joint[(size_t)i * K + j];
		for (int i = 0; i < K; i++)
			r->noise[(size_t)i * K + j] = col > 0 ? r->joint[(size_t)i * K + j] / col : i == j;
	}

	/* the estimated count, and each off-diagonal cell's and row's */
	double off = 0, N = (double)n;
	for (int i = 0; i < K; i++)
		for (int j = 0; j < K; j++)
			if (i != j)
				off += N * r->joint[(size_t)i * K + j];
	r->issues = round_count(off);

	/* the examples of each given label */
	size_t *start = ecalloc((size_t)K + 1, sizeof *start), *members, *fill;
	for (int i = 0; i < K; i++)
		start[i + 1] = start[i] + r->label_counts[i];
	members = emalloc(emul(n ? n : 1, sizeof *members));
	fill = emalloc(emul((size_t)K, sizeof *fill));
	memcpy(fill, start, (size_t)K * sizeof *fill);
	for (size_t i = 0; i < n; i++)
		members[fill[y[i]]++] = i;
	free(fill);

	unsigned char *by_rate = ecalloc(n ? n : 1, 1), *by_class = ecalloc(n ? n : 1, 1);
	double *key = emalloc(emul(n ? n : 1, sizeof *key));
	size_t *idx = emalloc(emul(n ? n : 1, sizeof *idx));
	for (int i = 0; i < K; i++) {
		size_t m = r->label_counts[i];
		const size_t *mem = members + start[i];
		/* prune_by_noise_rate: in cell (i, j), the round(n·Q[i][j]) of
		 * label i with the largest margin p̂_j − p̂_i */
		for (int j = 0; j < K && (filter == CL_PRUNE_BY_NOISE_RATE || filter == CL_BOTH); j++) {
			uint64_t k = i == j ? 0 : round_count(N * r->joint[(size_t)i * K + j]);
			if (!k || !m)
				continue;
			for (size_t q = 0; q < m; q++) {
				row = p + mem[q] * (size_t)K;
				key[mem[q]] = (double)row[j] - (double)row[i];
				idx[q] = mem[q];
			}
			mark_top(by_rate, idx, m, k, key, id);
		}
		/* prune_by_class: the round(Σ_{j≠i} n·Q[i][j]) of label i with
		 * the smallest p̂_i */
		if (filter == CL_PRUNE_BY_CLASS || filter == CL_BOTH) {
			double x = 0;
			for (int j = 0; j < K; j++)
				if (j != i)
					x += N * r->joint[(size_t)i * K + j];
			uint64_t k = round_count(x);
			for (size_t q = 0; q < m; q++) {
				key[mem[q]] = -(double)p[mem[q] * (size_t)K + i];
				idx[q] = mem[q];
			}
			if (k && m)
				mark_top(by_class, idx, m, k, key, id);
		}
	}
	for (size_t i = 0; i < n; i++) {
		switch (filter) {
		case CL_PRUNE_BY_NOISE_RATE: r->flag[i] = by_rate[i]; break;
		case CL_PRUNE_BY_CLASS: r->flag[i] = by_class[i]; break;
		case CL_BOTH: r->flag[i] = by_rate[i] && by_class[i]; break;
		default: r->flag[i] = guess[i] >= 0 && (uint32_t)guess[i] != y[i];
		}
		r->flagged += r->flag[i];
		row = p + i * (size_t)K;
		r->score[i] = cl_score(rank, row, (int)y[i], K);
		int s = -1;
		for (int k = 0; k < K; k++)
			if ((uint32_t)k != y[i] && (s < 0 || row[k] > row[s]))
				s = k;
		r->suggest[i] = s;
	}
	free(by_rate), free(by_class), free(key), free(idx), free(members), free(start);
	free(guess);
}

void cl_free(cl_result *r)
{
	free(r->label_counts), free(r->thresholds), free(r->cj), free(r->joint), free(r->noise);
	free(r->flag), free(r->score), free(r->suggest);
	memset(r, 0, sizeof *r);
}
