/*
 * test-trace.c — the trace and cache records of lib/stream/trace.c over memory:
 * every record written by trace_writer comes back from trace_reader field
 * for field and bit for bit; the XOR codec is lossless on awkward floats
 * (signed zeros, subnormals, huge values); a cache's XOR records decode to
 * the parameters the trace held; the learning-rate schedules give their
 * formulas.
 */
#include <math.h>
#include <string.h>

#include "../../formats/formats.h"
#include "../../lib/stream/trace.h"
#include "../../lib/util/rand.h"
#include "../../lib/util/util.h"
#include "check.h"

enum { NP = 37, NS = 5, NSTEP = 6, BATCH = 4 };

static trace_header header(void)
{
	static int te[] = { 1, 2 };
	static uint64_t skip[] = { 9 };
	return (trace_header){ .net = "mlp:3", .input = { 1, 2, 3 }, .data_shape = { 1, 2, 3 },
			       .classes = 4, .nparams = NP, .nstate = NS, .lr = 0.5,
			       .lr_decay = 1, .batch = BATCH, .epochs = 3, .seed = 7,
			       .augment = "none", .train_n = 11, .train_digest = 0xdeadbeef,
			       .trace_epochs = te, .ntrace = 2, .snapshots = "every",
			       .skip = skip, .nskip = 1 };
}

/* θ of snapshot k: seeded values, with a few awkward ones mixed in */
static void theta_of(float *th, float *st, int k)
{
	rng r;
	rng_init(&r, 100 + (uint64_t)k);
	for (int i = 0; i < NP; i++)
		th[i] = (float)(rng_uniform(&r) - 0.5) * (i % 7 == 0 ? 1e30f : 1.0f);
	th[1] = -0.0f;
	th[2] = 1e-42f;         /* subnormal */
	th[3] = k % 2 ? 0.25f : -0.25f;
	for (int i = 0; i < NS; i++)
		st[i] = (float)k + (float)i / 8;
}

/* a trace: θ at the epoch start, then per step θ_s and the step, a metric,
 * then θ_T */
static char *write_trace(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	trace_header h = header();
	trace_writer tw;
	trace_writer_open(&tw, f, "mem", &h);
	float th[NP], st[NS];
	uint64_t ids[BATCH];
	theta_of(th, st, 0);
	trace_write_theta(&tw, &(trace_theta){ .at = TRACE_AT_EPOCH, .epoch = 1, .step = 3,
					      .theta = th, .state = st }, TRACE_ENC_RAW);
	for (int s = 0; s < NSTEP; s++) {
		theta_of(th, st, s);
		trace_write_theta(&tw, &(trace_theta){ .at = TRACE_AT_STEP, .epoch = 1 + s / 3,
						      .step = 3 + s, .theta = th, .state = st },
				  TRACE_ENC_RAW);
		int n = s % 3 == 2 ? 3 : BATCH;    // each epoch's last batch: 11 - 2·4
		for (int j = 0; j < n; j++)
			ids[j] = (uint64_t)(s * BATCH + j) % 11;
		trace_write_step(&tw, &(trace_step){ .epoch = 1 + s / 3, .step = 3 + s,
						     .lr = 0.5 / (1 + s), .n = n, .ids = ids });
	}
	trace_write_metric(&tw, &(trace_metric){ .epoch = 2, .loss = 0.125, .acc = 0.75 });
	theta_of(th, st, 99);
	trace_write_theta(&tw, &(trace_theta){ .at = TRACE_AT_FINAL, .epoch = 2, .step = 9,
					      .theta = th, .state = st }, TRACE_ENC_RAW);
	trace_writer_close(&tw);
	fclose(f);
	return buf;
}

/* read back a trace (xor 0) or a cache made with XOR records (xor 1) */
static void check_stream(const char *buf, size_t len, const char *kind)
{
	FILE *f = fmemopen((void *)buf, len, "rb");
	trace_reader tr;
	trace_reader_open(&tr, f, "mem", kind);
	CHECK(tr.h.nparams == NP && tr.h.nstate == NS && tr.h.batch == BATCH &&
	      tr.h.train_digest == 0xdeadbeef && tr.h.nskip == 1 && tr.h.skip[0] == 9 &&
	      !strcmp(tr.h.net, "mlp:3"), "header round trip");
	int cache = !strcmp(kind, FMT_KIND_CACHE);
	CHECK(!cache || !strcmp(tr.policy, "every-step"), "policy %s", tr.policy);
	float th[NP], st[NS];
	int nstep = 0, ntheta = 0, nmetric = 0, rt;
	while ((rt = trace_reader_next(&tr))) {
		if (rt == TRACE_REC_STEP) {
			const trace_step *s = &tr.step;
			int k = nstep++;
			CHECK(s->step == 3 + k && s->epoch == 1 + k / 3 && s->lr == 0.5 / (1 + k) &&
			      s->n == (k % 3 == 2 ? 3 : BATCH), "step %d fields", k);
			for (int j = 0; j < s->n; j++)
				CHECK(s->ids[j] == (uint64_t)(k * BATCH + j) % 11, "step %d id %d", k, j);
		} else if (rt == TRACE_REC_THETA) {
			const trace_theta *t = &tr.theta;
			int k = t->at == TRACE_AT_FINAL ? 99 : t->at == TRACE_AT_EPOCH ? 0 :
				(int)t->step - 3;
			CHECK(!cache || t->at != TRACE_AT_EPOCH, "a cache has no epoch snapshot");
			theta_of(th, st, k);
			CHECK(!memcmp(t->theta, th, sizeof th) && !memcmp(t->state, st, sizeof st),
			      "snapshot %d (%s) bit for bit", k, kind);
			ntheta++;
		} else {
			CHECK(rt == TRACE_REC_METRIC && tr.metric.epoch == 2 &&
			      tr.metric.loss == 0.125 && tr.metric.acc == 0.75, "metric");
			nmetric++;
		}
	}
	CHECK(nstep == NSTEP && ntheta == NSTEP + 1 + !cache && nmetric == !cache,
	      "%s: %d steps, %d snapshots, %d metrics", kind, nstep, ntheta, nmetric);
	trace_reader_close(&tr);
	fclose(f);
}

/* what theta-cache --keep every-step does: steps copied, step snapshots
 * XORed, θ_T raw, the epoch snapshot and metrics dropped */
static char *make_cache(const char *trace, size_t tlen, size_t *len)
{
	FILE *in = fmemopen((void *)trace, tlen, "rb");
	trace_reader tr;
	trace_reader_open(&tr, in, "mem", FMT_KIND_TRACE);
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	trace_writer tw;
	trace_writer_open_cache(&tw, f, "mem", &tr.h, "every-step", NSTEP + 1,
				(NSTEP + 1) * NP * 4);
	int rt;
	while ((rt = trace_reader_next(&tr))) {
		if (rt == TRACE_REC_STEP)
			trace_write_step(&tw, &tr.step);
		else if (rt == TRACE_REC_THETA && tr.theta.at != TRACE_AT_EPOCH)
			trace_write_theta(&tw, &tr.theta, tr.theta.at == TRACE_AT_STEP ?
					  TRACE_ENC_XOR : TRACE_ENC_RAW);
	}
	trace_writer_close(&tw);
	fclose(f);
	trace_reader_close(&tr);
	fclose(in);
	return buf;
}

static void test_xor(void)
{
	trace_xor e, d;
	trace_xor_init(&e, NP);
	trace_xor_init(&d, NP);
	float th[NP], st[NS], back[NP];
	unsigned char enc[NP * 4];
	for (int k = 0; k < 5; k++) {
		theta_of(th, st, k);
		trace_xor_encode(&e, enc, th);
		trace_xor_decode(&d, back, enc);
		CHECK(!memcmp(back, th, sizeof th), "xor round trip %d", k);
	}
	/* unchanged parameters encode as zeros */
	trace_xor_encode(&e, enc, th);
	for (int i = 0; i < NP * 4; i++)
		CHECK(enc[i] == 0, "xor of an unchanged θ is zero at byte %d", i);
	/* byte-shuffled: the first NP bytes are the low bytes */
	trace_xor_free(&e);
	trace_xor_init(&e, NP);
	trace_xor_encode(&e, enc, th);
	for (int i = 0; i < NP; i++) {
		unsigned char b[4];
		memcpy(b, &th[i], 4);
		CHECK(enc[i] == b[0] && enc[3 * NP + i] == b[3], "shuffle at %d", i);
	}
	trace_xor_free(&e);
	trace_xor_free(&d);
}

/* the learning-rate schedules against their formulas, written out here
 * once more, step by step: 7 epochs of 11 examples in batches of 4 (3
 * steps, or 2 with drop_last) */
static void test_schedules(void)
{
	trace_header h = header();
	h.epochs = 7, h.lr = 0.4, h.lr_min = 0.01;
	CHECK(trace_steps_per_epoch(&h) == 3, "11 in batches of 4: 3 steps");
	h.drop_last = 1;
	CHECK(trace_steps_per_epoch(&h) == 2, "drop_last: 2 steps");
	h.drop_last = 0;
	for (int k = 0; k < 4; k++) {
		const char *name = trace_schedule_name(k);
		CHECK(trace_schedule_parse(name) == k, "%s round trip", name);
	}
	CHECK(trace_schedule_parse("cosin") < 0, "bad name");
	const double pi = 3.14159265358979323846;
	for (int sched = 0; sched < 4; sched++)
		for (int warm = 0; warm <= 5; warm += 5) {
			h.schedule = sched, h.warmup = warm, h.lr_decay = sched == 1 ? 0.5 : 1;
			long S = 21;
			for (long s = 0; s < S; s++) {
				double want = 0.4, p = (double)(s - warm) / (double)(S - warm);
				if (sched == TRACE_SCHED_STEP)
					want = 0.4 * pow(0.5, (double)(s / 3));
				else if (sched == TRACE_SCHED_LINEAR && s >= warm)
					want = 0.01 + 0.39 * (1 - p);
				else if (sched == TRACE_SCHED_COSINE && s >= warm)
					want = 0.01 + 0.39 * (1 + cos(pi * p)) / 2;
				if (s < warm)
					want *= (double)(s + 1) / warm;
				double got = trace_lr_at(&h, s);
				CHECK(fabs(got - want) <= 1e-15, "%s, warm-up %d, step %ld: %.17g, want %.17g",
				      trace_schedule_name(sched), warm, s, got, want);
			}
		}
	/* the ends: cosine starts at lr after the warm-up and ends just above
	 * lr_min; linear falls by the same amount every step */
	h.schedule = TRACE_SCHED_COSINE, h.warmup = 0;
	CHECK(trace_lr_at(&h, 0) == 0.4 && trace_lr_at(&h, 20) > 0.01 &&
	      trace_lr_at(&h, 20) < 0.01 + 0.39 * 0.01, "cosine ends");
	h.schedule = TRACE_SCHED_LINEAR;
	CHECK(fabs(trace_lr_at(&h, 1) - trace_lr_at(&h, 0) -
		   (trace_lr_at(&h, 20) - trace_lr_at(&h, 19))) < 1e-15, "linear steps");
}

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	test_xor();
	test_schedules();
	size_t tlen, clen;
	char *trace = write_trace(&tlen);
	check_stream(trace, tlen, FMT_KIND_TRACE);
	char *cache = make_cache(trace, tlen, &clen);
	check_stream(cache, clen, FMT_KIND_CACHE);
	/* the same writer, the same bytes */
	size_t tlen2;
	char *again = write_trace(&tlen2);
	CHECK(tlen2 == tlen && !memcmp(again, trace, tlen), "deterministic bytes");
	free(trace), free(cache), free(again);
	return 0;
}
