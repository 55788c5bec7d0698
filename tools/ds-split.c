/*
 * ds-split — split a dataset stream in two: a held-out part (e.g. a
 * 10,000-example validation set) written to --val-out, and the rest to
 * stdout or -o. Seeded; optionally stratified by class; both parts keep the
 * input order and the ids.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/stream/ds.h"
#include "../lib/util/rand.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: ds-split (--val N | --val-frac F) --val-out FILE [--seed S] [--stratify]\n"
	"                [-o OUT] [-f] [-q] [INPUT]\n"
	"  --val N        put N examples in the held-out part\n"
	"  --val-frac F   put round(F * count) examples there (0 <= F <= 1)\n"
	"  --val-out FILE where the held-out part goes (atomically)\n"
	"  --seed S       seed of the selection (default 0)\n"
	"  --stratify     keep each class's share in both parts (largest remainder)\n"
	"  -o OUT         the rest (default stdout)\n";

/* choose k of the indices idx[0..n) (shuffled in place), marking pick[] */
static void choose(rng *r, uint32_t *idx, uint32_t n, size_t k, unsigned char *pick)
{
	rng_shuffle_u32(r, idx, n);
	for (size_t i = 0; i < k; i++)
		pick[idx[i]] = 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "val", required_argument, 0, 'v' },
		{ "val-frac", required_argument, 0, 'F' },
		{ "val-out", required_argument, 0, 'V' },
		{ "seed", required_argument, 0, 's' },
		{ "stratify", no_argument, 0, 'S' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *out_path = NULL, *val_path = NULL;
	int force = 0, quiet = 0, stratify = 0, have_k = 0, opt;
	uint64_t k = 0, seed = 0;
	double frac = -1;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v': k = estrtou64(optarg, UINT64_MAX, "--val"); have_k = 1; break;
		case 'F': frac = estrtod(optarg, 0, 1, "--val-frac"); break;
		case 'V': val_path = optarg; break;
		case 's': seed = estrtou64(optarg, UINT64_MAX, "--seed"); break;
		case 'S': stratify = 1; break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (have_k == (frac >= 0))
		die_usage("give exactly one of --val and --val-frac");
	if (!val_path)
		die_usage("--val-out FILE is required");
	if (argc - optind > 1)
		die_usage("at most one INPUT");
	const char *in_path = optind < argc ? argv[optind] : NULL;
	if (val_path && !strcmp(val_path, "-") && (!out_path || !strcmp(out_path, "-")))
		die_usage("--val-out and -o cannot both be stdout");

	FILE *in = in_open(in_path);
	ds_set s;
	ds_set_load(&s, in, in_path && strcmp(in_path, "-") ? in_path : "stdin");
	in_close(in);
	if (s.n > UINT32_MAX)
		die("more than %u examples", UINT32_MAX);
	if (frac >= 0)
		k = (uint64_t)(frac * (double)s.n + 0.5);
	if (k > s.n)
		die("--val %llu is more than the %zu examples of the input",
		    (unsigned long long)k, s.n);

	unsigned char *pick = ecalloc(s.n, 1);
	rng r;
	rng_init_for(&r, seed, "ds-split");
	if (!stratify) {
		uint32_t *idx = emalloc(emul(s.n, sizeof *idx));
		for (uint32_t i = 0; i < s.n; i++)
			idx[i] = i;
		choose(&r, idx, (uint32_t)s.n, k, pick);
		free(idx);
	} else {
		/* quota per class by largest remainder, so the total is exactly k */
		uint32_t C = s.h.classes;
		size_t *cnt = ecalloc(C, sizeof *cnt), *quota = ecalloc(C, sizeof *quota);
		double *rem = ecalloc(C, sizeof *rem);
		for (size_t i = 0; i < s.n; i++)
			cnt[s.y[i]]++;
		size_t given = 0;
		for (uint32_t c = 0; c < C; c++) {
			double exact = (double)k * (double)cnt[c] / (double)(s.n ? s.n : 1);
			quota[c] = (size_t)exact;
			rem[c] = exact - (double)quota[c];
			given += quota[c];
		}
		while (given < k) {
			uint32_t best = 0;
			for (uint32_t c = 1; c < C; c++)
				if (rem[c] > rem[best])
					best = c;
			quota[best]++;
			rem[best] = -1;
			given++;
		}
		uint32_t *idx = emalloc(emul(s.n, sizeof *idx));
		for (uint32_t c = 0; c < C; c++) {
			uint32_t m = 0;
			for (uint32_t i = 0; i < s.n; i++)
				if (s.y[i] == c)
					idx[m++] = i;
			choose(&r, idx, m, quota[c], pick);
		}
		free(idx);
		free(cnt);
		free(quota);
		free(rem);
	}
	ds_set_write(&s, val_path, force, pick, 1);
	ds_set_write(&s, out_path, force, pick, 0);
	out_commit();           /* --val-out and -o together */
	if (!quiet)
		warn("%zu examples: %llu held out, %llu kept", s.n,
		     (unsigned long long)k, (unsigned long long)(s.n - k));
	free(pick);
	ds_set_free(&s);
	return 0;
}
