/*
 * cifar.c — CIFAR-10 binary batches (ds-import cifar FILE...; see
 * import.h): records of one label byte and 3072 pixel bytes (C, H, W);
 * ids run across the files in order.
 */
#include "import.h"

#include <stdlib.h>

#include "../util/util.h"

void import_cifar(importer *imp, char **files, int nfiles)
{
	imp->set.h = (ds_header){ .c = 3, .h = 32, .w = 32, .dtype = DS_U8 };
	imp->set.xbytes = 3072;
	imp->set.h.source = estrdup("cifar10-binary");
	if (!imp->names)
		imp->names = "cifar10";
	if (!imp->classes)
		imp->classes = 10;
	uint64_t id = 0;
	for (int k = 0; k < nfiles; k++) {
		size_t n;
		unsigned char *b = import_slurp(files[k], &n);
		if (n == 0 || n % 3073)
			die("%s: %zu bytes is not a whole number of CIFAR-10 "
			    "records (3073 bytes each)", files[k], n);
		for (size_t i = 0; i < n; i += 3073)
			ds_set_add(&imp->set, id++, b[i], b + i + 1);
		free(b);
	}
}
