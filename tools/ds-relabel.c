/*
 * ds-relabel — give the examples a scores stream flags the labels it
 * suggests (label-issues: the most likely other label), and write the
 * dataset with them; the changes, with the labels before and after, go to
 * an ids stream (--changed FILE) as ds-noise's --flipped do. The scores
 * must be of this very dataset (train_n and train_digest), and every
 * suggested label one of its classes.
 *
 *   label-issues --train train.ds oos.pred > issues.sc
 *   ds-relabel --changed changed.ids train.ds issues.sc > relabelled.ds
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/stream/ds.h"
#include "../lib/stream/ids.h"
#include "../lib/stream/relabel.h"
#include "../lib/stream/scores.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: ds-relabel [--changed FILE] [-o OUT] [-f] [-q] DATASET SCORES\n"
	"  DATASET         the dataset the scores are of (\"-\": stdin)\n"
	"  SCORES          scores with flags and suggested labels (label-issues; \"-\": stdin)\n"
	"  --changed FILE  ids stream of the relabelled examples (id, from, to)\n"
	"  -o OUT          the relabelled dataset (default stdout)\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "changed", required_argument, 0, 'C' }, { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *out_path = NULL, *changed_path = NULL;
	int force = 0, quiet = 0, opt;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C': changed_path = optarg; break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (argc - optind != 2)
		die_usage("give DATASET and SCORES");
	const char *ds_path = argv[optind], *sc_path = argv[optind + 1];
	if (!strcmp(ds_path, "-") && !strcmp(sc_path, "-"))
		die_usage("the dataset and the scores cannot both come from stdin");
	const char *ds_name = strcmp(ds_path, "-") ? ds_path : "stdin";
	const char *sc_name = strcmp(sc_path, "-") ? sc_path : "stdin";

	score_set s;
	FILE *f = in_open_for(sc_path, "name the SCORES file, or pipe it in as -");
	scores_load(&s, f, sc_name);
	in_close(f);
	if (!s.has_flag)
		die("%s: no record is flagged or not (no flag key): label-issues writes the "
		    "flags and the suggested labels", sc_name);
	ds_set d;
	f = in_open(ds_path);
	ds_set_load(&d, f, ds_name);
	in_close(f);
	uint32_t *from = emalloc(emul(d.n ? d.n : 1, sizeof *from));
	relabel_counts c;
	relabel_apply(&d, &s, ds_name, sc_name, from, &c);

	if (changed_path) {
		out_file co;
		out_open(&co, changed_path, force);
		ids_source src = { .has_train = 1, .train_n = s.train_n,
				   .train_digest = s.train_digest, .method = s.method,
				   .scores = sc_name };
		rec_writer *w = ids_writer_open_from(co.f, changed_path, "relabelled", &src);
		msgpack_packer *pk = rec_writer_pk(w);
		for (size_t i = 0; i < d.n; i++)
			if (d.y[i] != from[i]) {
				msgpack_pack_map(pk, 3);
				pk_kv_u64(pk, "id", d.id[i]);
				pk_kv_u64(pk, "from", from[i]);
				pk_kv_u64(pk, "to", d.y[i]);
				rec_writer_commit(w);
			}
		rec_writer_close(w);
		out_finish(&co);
	}
	ds_set_write(&d, out_path, force, NULL, 0);
	out_commit();           /* --changed and -o together */
	if (!quiet) {
		warn("relabelled %zu of %zu examples (%zu flagged by %s)", c.changed, d.n,
		     c.flagged, s.method);
		if (c.nosuggest)
			warn("%zu flagged examples have no suggested label: kept as they were",
			     c.nosuggest);
	}
	free(from);
	ds_set_free(&d);
	scores_free(&s);
	return 0;
}
