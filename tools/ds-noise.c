/*
 * ds-noise — flip the labels of a given fraction (or count) of the examples
 * to a different class, chosen uniformly, seeded: the standard benchmark for
 * finding mislabelled data. The flipped ids, with the labels before and
 * after, go to an ids stream (--flipped FILE).
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/ds.h"
#include "../lib/ids.h"
#include "../lib/rand.h"
#include "../lib/util.h"

static const char *usage_text =
	"usage: ds-noise (--frac F | --count N) --flipped FILE [--seed S] [-o OUT] [-f] [-q] [INPUT]\n"
	"  --frac F       flip round(F * count) labels (0 <= F <= 1)\n"
	"  --count N      flip N labels\n"
	"  --flipped FILE ids stream of the flipped examples (id, from, to)\n"
	"  --seed S       seed (default 0)\n"
	"  -o OUT         the noisy dataset (default stdout)\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "frac", required_argument, 0, 'F' },
		{ "count", required_argument, 0, 'n' },
		{ "flipped", required_argument, 0, 'L' },
		{ "seed", required_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *out_path = NULL, *flip_path = NULL;
	int force = 0, quiet = 0, have_k = 0, opt;
	uint64_t k = 0, seed = 0;
	double frac = -1;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'F': frac = estrtod(optarg, 0, 1, "--frac"); break;
		case 'n': k = estrtou64(optarg, UINT64_MAX, "--count"); have_k = 1; break;
		case 'L': flip_path = optarg; break;
		case 's': seed = estrtou64(optarg, UINT64_MAX, "--seed"); break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (have_k == (frac >= 0))
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
	if (s.h.classes < 2)
		die("cannot flip labels with %u class", s.h.classes);
	if (s.n > UINT32_MAX)
		die("more than %u examples", UINT32_MAX);
	if (frac >= 0)
		k = (uint64_t)(frac * (double)s.n + 0.5);
	if (k > s.n)
		die("--count %llu is more than the %zu examples of the input",
		    (unsigned long long)k, s.n);

	rng r;
	rng_init_for(&r, seed, "ds-noise");
	uint32_t *idx = emalloc(emul(s.n, sizeof *idx));
	for (uint32_t i = 0; i < s.n; i++)
		idx[i] = i;
	rng_shuffle_u32(&r, idx, (uint32_t)s.n);
	uint32_t *from = ecalloc(s.n, sizeof *from);
	unsigned char *flipped = ecalloc(s.n, 1);
	for (uint64_t j = 0; j < k; j++) {
		uint32_t i = idx[j];
		from[i] = s.y[i];
		flipped[i] = 1;
		s.y[i] = (uint32_t)((s.y[i] + 1 + rng_below(&r, s.h.classes - 1)) %
				    s.h.classes);
	}

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
		warn("flipped %llu of %zu labels", (unsigned long long)k, s.n);
	free(idx);
	free(from);
	free(flipped);
	ds_set_free(&s);
	return 0;
}
