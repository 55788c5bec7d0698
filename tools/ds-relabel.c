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

#include "../lib/ds.h"
#include "../lib/ids.h"
#include "../lib/idset.h"
#include "../lib/scores.h"
#include "../lib/util.h"

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
	uint32_t digest = 0;
	idmap at;
	idmap_init(&at);
	for (size_t i = 0; i < d.n; i++) {
		digest = ds_digest_update(digest, d.id[i], d.y[i], d.x + i * d.xbytes, d.xbytes);
		idmap_put(&at, d.id[i], i);
	}
	/* suggestions for another training set would land on other examples */
	if (s.train_n != d.n || s.train_digest != digest)
		die("%s: %s scores of another training set (%llu examples, digest %08x; %s has "
		    "%zu, digest %08x)", sc_name, s.method, (unsigned long long)s.train_n,
		    s.train_digest, ds_name, d.n, digest);

	uint32_t *from = emalloc(emul(d.n ? d.n : 1, sizeof *from));
	memcpy(from, d.y, d.n * sizeof *from);
	size_t flagged = 0, nosuggest = 0, changed = 0;
	for (size_t q = 0; q < s.n; q++) {
		size_t i;
		if (!idmap_get(&at, s.id[q], &i))
			die("%s: example id %llu is not in %s", sc_name, (unsigned long long)s.id[q],
			    ds_name);
		if (s.y[q] != d.y[i])
			die("%s: example id %llu: the scores say label %u, %s has %u", sc_name,
			    (unsigned long long)s.id[q], s.y[q], ds_name, d.y[i]);
		if (s.suggest[q] >= 0 && (uint32_t)s.suggest[q] >= d.h.classes)
			die("%s: example id %llu: suggested label %d outside the %u classes of %s",
			    sc_name, (unsigned long long)s.id[q], s.suggest[q], d.h.classes, ds_name);
		if (!s.flag[q])
			continue;
		flagged++;
		if (s.suggest[q] < 0) {
			nosuggest++;
			continue;
		}
		d.y[i] = (uint32_t)s.suggest[q];
	}
	for (size_t i = 0; i < d.n; i++)
		changed += d.y[i] != from[i];

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
		warn("relabelled %zu of %zu examples (%zu flagged by %s)", changed, d.n, flagged,
		     s.method);
		if (nosuggest)
			warn("%zu flagged examples have no suggested label: kept as they were",
			     nosuggest);
	}
	free(from);
	idmap_free(&at);
	ds_set_free(&d);
	scores_free(&s);
	return 0;
}
