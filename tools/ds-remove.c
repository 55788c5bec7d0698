/*
 * ds-remove — drop from a dataset stream the examples whose ids are listed
 * (an ids stream, or plain text with one id per line), streaming the rest
 * through. Reports on stderr how many were dropped and which requested ids
 * were not in the dataset.
 *
 *   top-neg -n 500 < scores | ds-remove train.ds > cleaned.ds    (ids on stdin)
 *   ds-remove -i drop.txt < train.ds > cleaned.ds                (dataset on stdin)
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/stream/ds.h"
#include "../lib/stream/ids.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: ds-remove [-i IDS] [-o OUT] [--strict] [--missing FILE] [-f] [-q] [DATASET]\n"
	"  -i IDS          ids to drop (ids stream or text); without it they come from stdin\n"
	"  DATASET         the dataset; without it, it comes from stdin\n"
	"  -o OUT          output (default stdout)\n"
	"  --strict        a requested id missing from the dataset, or ids cut from the\n"
	"                  scores of another training set, is an error\n"
	"  --missing FILE  write the requested ids not found, one per line\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "strict", no_argument, 0, 'S' },
		{ "missing", required_argument, 0, 'M' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *out_path = NULL, *ids_path = NULL, *missing_path = NULL;
	int force = 0, quiet = 0, strict = 0, opt;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "i:o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i': ids_path = optarg; break;
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'S': strict = 1; break;
		case 'M': missing_path = optarg; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (argc - optind > 1)
		die_usage("at most one DATASET (the ids go with -i: ds-remove -i %s %s)",
			  argv[optind], argv[optind + 1]);
	const char *ds_path = optind < argc ? argv[optind] : NULL;
	if (!ids_path && !ds_path)
		die_usage("give the ids with -i IDS, or DATASET with the ids on stdin");
	if ((!ids_path || !strcmp(ids_path, "-")) && (!ds_path || !strcmp(ds_path, "-")))
		die_usage("the ids and the dataset cannot both come from stdin");

	id_list ids;
	FILE *fi = in_open(ids_path);
	ids_read(&ids, fi, ids_path && strcmp(ids_path, "-") ? ids_path : "stdin");
	in_close(fi);
	idset want, found;
	idset_init(&want);
	idset_init(&found);
	for (size_t i = 0; i < ids.n; i++)
		idset_add(&want, ids.v[i]);

	FILE *fd = in_open(ds_path);
	ds_reader d;
	ds_reader_open(&d, fd, ds_path && strcmp(ds_path, "-") ? ds_path : "stdin");
	out_file out;
	out_open(&out, out_path, force);
	ds_header h = d.h;
	h.n = 0;                        /* not known until the end */
	ds_writer w;
	ds_writer_open(&w, out.f, out_path ? out_path : "stdout", &h);
	ds_example ex = { .x = emalloc(d.xbytes) };
	uint64_t nin = 0, nout = 0;
	uint32_t digest = 0;
	while (ds_reader_next(&d, &ex)) {
		nin++;
		digest = ds_digest_update(digest, ex.id, ex.y, ex.x, d.xbytes);
		if (idset_has(&want, ex.id)) {
			idset_add(&found, ex.id);
			continue;
		}
		ds_writer_put(&w, &ex);
		nout++;
	}
	/* ids cut from the scores of another training set mostly miss, or hit
	 * the wrong examples: say so rather than drop what happens to match */
	if (ids.has_train && (ids.train_n != nin || ids.train_digest != digest)) {
		char *msg = esprintf("the ids were cut from %s scores of another training set "
				     "(%llu examples, digest %08x; this one has %llu, digest %08x)",
				     ids.method ? ids.method : "the",
				     (unsigned long long)ids.train_n, ids.train_digest,
				     (unsigned long long)nin, digest);
		if (strict)
			die("%s", msg);
		warn("%s", msg);
		free(msg);
	}
	size_t nmiss = ids.n - idset_count(&found);
	if (nmiss) {
		char list[256] = "";
		size_t shown = 0, len = 0;
		for (size_t i = 0; i < ids.n && shown < 10; i++)
			if (!idset_has(&found, ids.v[i])) {
				len += snprintf(list + len, sizeof list - len, "%s%llu",
						shown ? ", " : "",
						(unsigned long long)ids.v[i]);
				shown++;
			}
		if (missing_path) {
			out_file mo;
			out_open(&mo, missing_path, 1);
			for (size_t i = 0; i < ids.n; i++)
				if (!idset_has(&found, ids.v[i]))
					fprintf(mo.f, "%llu\n", (unsigned long long)ids.v[i]);
			out_finish(&mo);        /* committed with -o */
		}
		if (strict)
			die("%zu requested ids not in the dataset: %s%s", nmiss,
			    list, nmiss > shown ? ", ..." : "");
		if (!quiet)
			warn("%zu requested ids not in the dataset: %s%s", nmiss,
			     list, nmiss > shown ? ", ..." : "");
	}
	ds_writer_close(&w);
	out_close(&out);        /* and --missing with it */
	if (!quiet)
		warn("dropped %zu of %zu requested ids: %llu -> %llu examples",
		     idset_count(&found), ids.n, (unsigned long long)nin,
		     (unsigned long long)nout);
	free(ex.x);
	ds_reader_close(&d);
	in_close(fd);
	idset_free(&want);
	idset_free(&found);
	ids_free(&ids);
	return 0;
}
