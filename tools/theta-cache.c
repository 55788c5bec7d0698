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

#include "../lib/stream/trace.h"
#include "../lib/util/progress.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: theta-cache [--keep POLICY] [-o OUT] [-f] [-q] [TRACE]\n"
	"  --keep POLICY   final (default), every-step, or checkpoints:K\n"
	"  -o OUT          the cache (default stdout)\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keep", required_argument, 0, 'k' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *keep = "final", *out_path = NULL;
	int force = 0, quiet = 0, opt;
	util_start(argc, argv);
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
	const char *name = in_path && strcmp(in_path, "-") ? in_path : "stdin";

	FILE *in = in_open_for(in_path, "pipe a training trace in (cnn-train ... | theta-cache), "
			       "or name the TRACE file");
	trace_reader tr;
	trace_reader_open(&tr, in, name, FMT_KIND_TRACE);
	const trace_header th = tr.h;   /* a view: tr owns it */
	uint64_t per_epoch = trace_steps_per_epoch(&th);
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
	trace_writer tw;
	trace_writer_open_cache(&tw, out.f, out_path ? out_path : "stdout", &th, keep, kept,
				theta_bytes);

	uint64_t got = 0, next_k = 0;
	int have_final = 0, rt;
	/* a trace holds a snapshot per step at most, and its steps */
	progress pg;
	progress_begin(&pg, "reading the trace", T + 1, "snapshots", quiet);
	uint64_t nsnap = 0;
	while ((rt = trace_reader_next(&tr))) {
		if (rt == TRACE_REC_THETA)
			progress_set(&pg, ++nsnap, NULL);
		if (rt == TRACE_REC_STEP) {
			trace_write_step(&tw, &tr.step);
			continue;
		}
		if (rt != TRACE_REC_THETA)
			continue;
		const trace_theta *t = &tr.theta;
		int enc = TRACE_ENC_RAW;
		if (t->at == TRACE_AT_FINAL) {
			have_final = 1;
		} else if (t->at != TRACE_AT_STEP || pol == FINAL) {
			continue;
		} else if (pol == CHECK) {
			/* checkpoint k sits at traced step floor(k·T/K) */
			if (next_k >= K || (uint64_t)t->step != first + next_k * T / K)
				continue;
			next_k++;
		} else {
			enc = TRACE_ENC_XOR;
		}
		trace_write_theta(&tw, t, enc);
		got++;
	}
	progress_end(&pg);
	if (!have_final)
		die("%s: no final parameters in the trace", name);
	if (got != kept)
		die("%s: the trace holds %llu of the %llu snapshots %s needs", name,
		    (unsigned long long)got, (unsigned long long)kept, keep);
	uint64_t bytes = trace_writer_close(&tw);
	out_close(&out);
	if (!quiet)
		warn("%s: %llu snapshot%s of %llu parameters = %llu bytes of parameters; "
		     "%llu bytes written (%.2fx)", keep, (unsigned long long)kept,
		     kept == 1 ? "" : "s", (unsigned long long)th.nparams,
		     (unsigned long long)theta_bytes, (unsigned long long)bytes,
		     bytes ? (double)theta_bytes / (double)bytes : 0.0);
	trace_reader_close(&tr);
	in_close(in);
	return 0;
}
