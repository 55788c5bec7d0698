/*
 * ds-split — split a dataset stream in two: a held-out part (e.g. a
 * 10,000-example validation set) written to --val-out, and the rest to
 * stdout or -o. Seeded; optionally stratified by class; both parts keep the
 * input order and the ids.
 *
 * --folds K --fold I: K-fold cross-validation. Every example is dealt to one
 * of K folds, stratified by label: each class's examples in a seeded order,
 * dealt round the folds by one counter that runs on across the classes, so
 * every fold holds each class's share within one and the folds' sizes
 * differ by at most one. Fold I (0-based) is the held-out part; the other
 * K − 1 folds are the rest. The same seed gives the same folds whatever I:
 * I = 0 … K−1 hold out every example exactly once.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/stream/ds.h"
#include "../lib/util/rand.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: ds-split (--val N | --val-frac F | --folds K --fold I) --val-out FILE [--seed S]\n"
	"                [--stratify] [-o OUT] [-f] [-q] [INPUT]\n"
	"  --val N        put N examples in the held-out part\n"
	"  --val-frac F   put round(F * count) examples there (0 <= F <= 1)\n"
	"  --val-out FILE where the held-out part goes (atomically)\n"
	"  --seed S       seed of the selection (default 0)\n"
	"  --stratify     keep each class's share in both parts (largest remainder)\n"
	"  --folds K      K-fold cross-validation (2 <= K <= 1000), stratified by label:\n"
	"  --fold I       fold I (0 <= I < K) held out, the other K - 1 the rest\n"
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
		{ "folds", required_argument, 0, 'K' },
		{ "fold", required_argument, 0, 'I' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *out_path = NULL, *val_path = NULL;
	int force = 0, quiet = 0, stratify = 0, have_k = 0, opt;
	uint64_t k = 0, seed = 0, folds = 0, fold = UINT64_MAX;
	double frac = -1;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v': k = estrtou64(optarg, UINT64_MAX, "--val"); have_k = 1; break;
		case 'F': frac = estrtod(optarg, 0, 1, "--val-frac"); break;
		case 'V': val_path = optarg; break;
		case 's': seed = estrtou64(optarg, UINT64_MAX, "--seed"); break;
		case 'S': stratify = 1; break;
		case 'K': folds = estrtou64(optarg, 1000, "--folds"); break;
		case 'I': fold = estrtou64(optarg, UINT64_MAX, "--fold"); break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (folds && (have_k || frac >= 0))
		die_usage("--folds goes without --val and --val-frac");
	if (!folds && fold != UINT64_MAX)
		die_usage("--fold goes with --folds K");
	if (folds && folds < 2)
		die_usage("--folds %llu: want 2 to 1000", (unsigned long long)folds);
	if (folds && fold == UINT64_MAX)
		die_usage("--folds needs --fold I (0 to %llu)", (unsigned long long)folds - 1);
	if (folds && fold >= folds)
		die_usage("--fold %llu: the folds are 0 to %llu", (unsigned long long)fold,
			  (unsigned long long)folds - 1);
	if (!folds && have_k == (frac >= 0))
		die_usage("give exactly one of --val, --val-frac and --folds");
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
	if (folds && folds > s.n)
		die("--folds %llu: the input has %zu examples", (unsigned long long)folds, s.n);
	if (frac >= 0)
		k = (uint64_t)(frac * (double)s.n + 0.5);
	if (k > s.n)
		die("--val %llu is more than the %zu examples of the input",
		    (unsigned long long)k, s.n);

	unsigned char *pick = ecalloc(s.n, 1);
	rng r;
	rng_init_for(&r, seed, "ds-split");
	if (folds) {
		/* each class in a seeded order, dealt round the folds by one
		 * counter over all the classes */
		uint32_t *idx = emalloc(emul(s.n, sizeof *idx));
		uint64_t deal = 0;
		rng_init_for(&r, seed, "ds-split folds");
		for (uint32_t c = 0; c < s.h.classes; c++) {
			uint32_t m = 0;
			for (uint32_t i = 0; i < s.n; i++)
				if (s.y[i] == c)
					idx[m++] = i;
			rng_shuffle_u32(&r, idx, m);
			for (uint32_t q = 0; q < m; q++, deal++)
				if (deal % folds == fold)
					pick[idx[q]] = 1;
		}
		free(idx);
		k = 0;
		for (size_t i = 0; i < s.n; i++)
			k += pick[i];
	} else if (!stratify) {
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
	if (!quiet && folds)
		warn("%zu examples: fold %llu of %llu held out (%llu), %llu kept", s.n,
		     (unsigned long long)fold, (unsigned long long)folds, (unsigned long long)k,
		     (unsigned long long)(s.n - k));
	else if (!quiet)
		warn("%zu examples: %llu held out, %llu kept", s.n,
		     (unsigned long long)k, (unsigned long long)(s.n - k));
	free(pick);
	ds_set_free(&s);
	return 0;
}
