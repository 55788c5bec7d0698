/*
 * ds-noise — flip labels, seeded, recording which: the benchmark for finding
 * mislabelled data. Three kinds of noise (lib/stream/noise.c): symmetric (a given
 * fraction or count flipped, each uniformly to another class), pairs
 * (--pairs A:B,...: a fraction of each class A flipped to B, as real label
 * errors go between confusable classes) or a transition matrix (--matrix:
 * every label drawn from its row). The flipped ids, with the labels before
 * and after, go to an ids stream (--flipped FILE).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/stream/ds.h"
#include "../lib/stream/ids.h"
#include "../lib/stream/noise.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: ds-noise (--frac F | --count N | --pairs A:B,... --frac F | --matrix FILE)\n"
	"                --flipped FILE [--seed S] [-o OUT] [-f] [-q] [INPUT]\n"
	"  --frac F       symmetric: flip round(F * count) labels, each to another class at\n"
	"                 random (0 <= F <= 1); with --pairs, that fraction of each class A\n"
	"  --count N      symmetric: flip N labels\n"
	"  --pairs LIST   A:B,...: flip labels of class A to class B (numbers or class names;\n"
	"                 5:6,6:5 swaps), e.g. Patrini et al.'s MNIST pairs 2:7,3:8,5:6,6:5,7:1\n"
	"  --matrix FILE  K lines of K numbers: row i the probabilities of each new label for\n"
	"                 an example labelled i (each row sums to 1)\n"
	"  --flipped FILE ids stream of the flipped examples (id, from, to)\n"
	"  --seed S       seed (default 0)\n"
	"  -o OUT         the noisy dataset (default stdout)\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "frac", required_argument, 0, 'F' },
		{ "count", required_argument, 0, 'n' },
		{ "pairs", required_argument, 0, 'p' },
		{ "matrix", required_argument, 0, 'M' },
		{ "flipped", required_argument, 0, 'L' },
		{ "seed", required_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *out_path = NULL, *flip_path = NULL, *pairs = NULL, *matrix = NULL;
	int force = 0, quiet = 0, have_k = 0, opt;
	uint64_t k = 0, seed = 0;
	double frac = -1;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'F': frac = estrtod(optarg, 0, 1, "--frac"); break;
		case 'n': k = estrtou64(optarg, UINT64_MAX, "--count"); have_k = 1; break;
		case 'p': pairs = optarg; break;
		case 'M': matrix = optarg; break;
		case 'L': flip_path = optarg; break;
		case 's': seed = estrtou64(optarg, UINT64_MAX, "--seed"); break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (pairs && matrix)
		die_usage("give one of --pairs and --matrix");
	if (matrix && (have_k || frac >= 0))
		die_usage("--matrix gives every probability: no --frac or --count with it");
	if (pairs && (have_k || frac < 0))
		die_usage("--pairs takes --frac F, the fraction of each class flipped");
	if (!matrix && have_k == (frac >= 0))
		die_usage("give exactly one of --frac and --count");
	if (!flip_path)
		die_usage("--flipped FILE is required");
	if (argc - optind > 1)
		die_usage("at most one INPUT");
	const char *in_path = optind < argc ? argv[optind] : NULL;

	FILE *in = in_open(in_path);
	ds_set s;
	ds_set_load(&s, in, in_path && strcmp(in_path, "-") ? in_path : "stdin");
	in_close(in);
	uint32_t K = s.h.classes;
	if (K < 2)
		die("cannot flip labels with %u class", K);
	if (s.n > UINT32_MAX)
		die("more than %u examples", UINT32_MAX);
	uint32_t *from = emalloc(emul(s.n, sizeof *from) + 1);
	unsigned char *flipped = emalloc(s.n + 1);
	char err[256];
	const char *kind = "symmetric";
	if (pairs) {
		uint32_t *to = emalloc(K * sizeof *to);
		if (noise_pairs_parse(to, K, s.h.class_names, pairs, err, sizeof err) < 0)
			die_usage("--pairs: %s", err);
		noise_pairs(s.y, s.n, K, to, frac, seed, from, flipped);
		free(to);
		kind = "pair";
	} else if (matrix) {
		double *T = emalloc(emul((size_t)K * K, sizeof *T));
		FILE *mf = fopen(matrix, "r");
		if (!mf)
			die("open %s:", matrix);
		if (noise_matrix_read(T, K, mf, err, sizeof err) < 0)
			die("%s: %s", matrix, err);
		fclose(mf);
		noise_matrix(s.y, s.n, K, T, seed, from, flipped);
		free(T);
		kind = "matrix";
	} else {
		if (frac >= 0)
			k = (uint64_t)(frac * (double)s.n + 0.5);
		if (k > s.n)
			die("--count %llu is more than the %zu examples of the input",
			    (unsigned long long)k, s.n);
		noise_symmetric(s.y, s.n, K, k, seed, from, flipped);
	}
	k = 0;
	for (size_t i = 0; i < s.n; i++)
		k += flipped[i];

	out_file fo;
	out_open(&fo, flip_path, force);
	rec_writer *fw = ids_writer_open(fo.f, flip_path, "flipped");
	msgpack_packer *pk = rec_writer_pk(fw);
	for (size_t i = 0; i < s.n; i++)
		if (flipped[i]) {
			msgpack_pack_map(pk, 3);
			pk_kv_u64(pk, "id", s.id[i]);
			pk_kv_u64(pk, "from", from[i]);
			pk_kv_u64(pk, "to", s.y[i]);
			rec_writer_commit(fw);
		}
	rec_writer_close(fw);
	out_finish(&fo);

	ds_set_write(&s, out_path, force, NULL, 0);
	out_commit();           /* --flipped and -o together */
	if (!quiet)
		warn("flipped %llu of %zu labels (%s noise)", (unsigned long long)k, s.n, kind);
	free(from);
	free(flipped);
	ds_set_free(&s);
	return 0;
}
