/*
 * dir.c — a folder of class folders of PNG images (ds-import dir
 * DIRECTORY; see import.h): DIRECTORY/<class>/<image>.png, classes and
 * images in name order; the class folders' names are the class names.
 */
#include "import.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "../util/util.h"

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

void import_dir(importer *imp, const char *dir)
{
	struct dirent **cls;
	int nc = scandir(dir, &cls, visible, by_name);
	if (nc < 0)
		die("scandir %s:", dir);
	char **names = ecalloc(nc ? nc : 1, sizeof(char *));
	uint64_t id = 0;
	int k = 0;
	for (int i = 0; i < nc; i++) {
		char *sub = esprintf("%s/%s", dir, cls[i]->d_name);
		struct dirent **ims;
		int ni = scandir(sub, &ims, visible, by_name);
		if (ni >= 0) {          /* plain files at the top are ignored */
			names[k] = estrdup(cls[i]->d_name);
			for (int j = 0; j < ni; j++) {
				char *p = esprintf("%s/%s", sub, ims[j]->d_name);
				import_png(imp, p, id++, (uint32_t)k);
				free(p);
				free(ims[j]);
			}
			free(ims);
			k++;
		}
		free(sub);
		free(cls[i]);
	}
	free(cls);
	if (!k)
		die("%s: no class folders", dir);
	imp->set.h.classes = (uint32_t)k;
	imp->set.h.class_names = names;
	imp->set.h.source = esprintf("dir:%s", dir);
}
