/*
 * theta-cache — keep what a storage policy says of a training trace and
 * write it as a cache (formats/cache.md) for inf-score:
 *   final            θ_T and the schedule of the traced epochs (Suzuki et al.)
 *   every-step       θ_t for every traced step (Hara et al.), stored exactly
 *                    as XOR deltas, byte-shuffled, under zstd
 *   checkpoints:K    θ at K evenly spaced traced steps; inf-score replays the
 *                    rest exactly
 * Reads the trace from stdin (or FILE) as a stream: a multi-gigabyte
 * every-step trace piped from cnn-train never has to touch the disk.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/trace.h"
#include "../lib/util.h"

static const char *usage_text =
	"usage: theta-cache [--keep POLICY] [-o OUT] [-f] [-q] [TRACE]\n"
	"  --keep POLICY   final (default), every-step, or checkpoints:K\n"
	"  -o OUT          the cache (default stdout)\n";

/* XOR with prev (updated to cur), then byte-shuffle into out */
static void xor_shuffle(const unsigned char *cur, unsigned char *prev, unsigned char *out,
			size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 4; b++) {
			unsigned char c = cur[4 * i + b];
			out[(size_t)b * n + i] = c ^ prev[4 * i + b];
			prev[4 * i + b] = c;
		}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keep", required_argument, 0, 'k' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *keep = "final", *out_path = NULL;
	int force = 0, quiet = 0, opt;
	util_init(argv[0]);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k': keep = optarg; break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	enum { FINAL, EVERY, CHECK } pol;
	uint64_t K = 0;
	if (!strcmp(keep, "final"))
		pol = FINAL;
	else if (!strcmp(keep, "every-step"))
		pol = EVERY;
	else if (!strncmp(keep, "checkpoints:", 12)) {
		pol = CHECK;
		K = estrtou64(keep + 12, 1u << 30, "checkpoints:K");
		if (K == 0)
			die_usage("checkpoints:K needs K >= 1");
	} else
		die_usage("bad --keep '%s' (want final, every-step or checkpoints:K)", keep);
	if (argc - optind > 1)
		die_usage("at most one TRACE");
	const char *in_path = optind < argc ? argv[optind] : NULL;
	const char *name = in_path ? in_path : "stdin";

	FILE *in = in_open(in_path);
	rec_reader *r = rec_reader_open_or_die(in, name, FMT_KIND_TRACE, FMT_VERSION_TRACE, NULL);
	trace_header th;
	trace_header_read(&th, r, name);
	uint64_t per_epoch = (th.train_n + (uint64_t)th.batch - 1) / (uint64_t)th.batch;
	uint64_t T = per_epoch * (uint64_t)th.ntrace;
	uint64_t first = th.ntrace ? per_epoch * (uint64_t)th.trace_epochs[0] : 0;
	if (pol != FINAL) {
		if (strcmp(th.snapshots, "every"))
			die("%s: --keep %s needs a trace written with --snapshots every "
			    "(this one has '%s')", name, keep, th.snapshots);
		if (T == 0)
			die("%s: the trace has no traced epochs", name);
	}
	if (pol == CHECK) {
		for (int i = 1; i < th.ntrace; i++)
			if (th.trace_epochs[i] != th.trace_epochs[i - 1] + 1)
				die("%s: checkpoints need contiguous traced epochs", name);
		if (th.momentum != 0)
			die("%s: checkpoints replay plain SGD; this run used momentum %g",
			    name, th.momentum);
		if (K > T)
			die("checkpoints:%llu: more than the %llu traced steps",
			    (unsigned long long)K, (unsigned long long)T);
	}
	uint64_t kept = pol == FINAL ? 1 : pol == EVERY ? T + 1 : K + 1;
	uint64_t theta_bytes = kept * th.nparams * 4;

	out_file out;
	out_open(&out, out_path, force);
	rec_writer *w = rec_writer_open(out.f, out_path ? out_path : "stdout");
	msgpack_packer *pk = rec_writer_pk(w);
	trace_header_write_as(w, &th, FMT_KIND_CACHE, FMT_VERSION_CACHE, 3);
	pk_kv_str(pk, "policy", keep);
	pk_kv_u64(pk, "kept", kept);
	pk_kv_u64(pk, "theta_bytes", theta_bytes);
	rec_writer_begin(w);

	size_t nb = th.nparams * 4;
	unsigned char *prev = ecalloc(nb ? nb : 1, 1), *enc = emalloc(nb ? nb : 1);
	uint64_t got = 0, next_k = 0;
	int have_final = 0;
	const msgpack_object *o;
	while (rec_reader_next_or_die(r, &o)) {
		const msgpack_object *t = rec_get(o, "t");
		if (rec_str_eq(t, "step")) {
			msgpack_pack_object(pk, *o);
			rec_writer_commit(w);
			continue;
		}
		if (!rec_str_eq(t, "theta"))
			continue;
		const void *p, *q;
		size_t n, m;
		uint64_t step, epoch;
		if (rec_get_bin(o, "theta", &p, &n) != 1 || n != nb ||
		    rec_get_bin(o, "state", &q, &m) != 1 || m != th.nstate * 4 ||
		    rec_get_u64(o, "step", &step) != 1 || rec_get_u64(o, "epoch", &epoch) != 1)
			die("%s: bad theta record (expected %zu bytes of parameters)", name, nb);
		int final = rec_str_eq(rec_get(o, "at"), "final");
		int at_step = rec_str_eq(rec_get(o, "at"), "step");
		const char *e = "raw";
		if (final) {
			have_final = 1;
		} else if (!at_step || pol == FINAL) {
			continue;
		} else if (pol == CHECK) {
			/* checkpoint k sits at traced step floor(k·T/K) */
			if (next_k >= K || step != first + next_k * T / K)
				continue;
			next_k++;
		} else {
			xor_shuffle(p, prev, enc, th.nparams);
			p = enc;
			e = "xor";
		}
		msgpack_pack_map(pk, 7);
		pk_kv_str(pk, "t", "theta");
		pk_kv_str(pk, "at", final ? "final" : "step");
		pk_kv_u64(pk, "epoch", epoch);
		pk_kv_u64(pk, "step", step);
		pk_kv_str(pk, "enc", e);
		pk_kv_bin(pk, "theta", p, nb);
		pk_kv_bin(pk, "state", q, m);
		rec_writer_commit(w);
		got++;
	}
	if (!have_final)
		die("%s: no final parameters in the trace", name);
	if (got != kept)
		die("%s: the trace holds %llu of the %llu snapshots %s needs", name,
		    (unsigned long long)got, (unsigned long long)kept, keep);
	uint64_t bytes = rec_writer_close(w);
	out_close(&out);
	if (!quiet)
		warn("%s: %llu snapshot%s of %llu parameters = %llu bytes of parameters; "
		     "%llu bytes written (%.2fx)", keep, (unsigned long long)kept,
		     kept == 1 ? "" : "s", (unsigned long long)th.nparams,
		     (unsigned long long)theta_bytes, (unsigned long long)bytes,
		     bytes ? (double)theta_bytes / (double)bytes : 0.0);
	free(prev), free(enc);
	trace_header_free(&th);
	rec_reader_close(r);
	in_close(in);
	return 0;
}
