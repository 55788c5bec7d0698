/*
 * csv.c — a CSV list of PNG images (ds-import csv LIST.csv; see
 * import.h): a header naming the columns x:image and y:label, then one
 * image path (relative to the list's folder, or absolute) and label per
 * line; ids are line order.
 */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/formats.h"
#include "../util/util.h"

static int csv_fields(char *line, char **f, int max)
{
	int n = 0;
	char *p = line;
	while (n < max) {
		char *out = p;
		f[n++] = p;
		if (*p == '"') {
			char *q = p + 1;
			for (;;) {
				if (!*q)
					break;
				if (*q == '"' && q[1] == '"')
					*out++ = '"', q += 2;
				else if (*q == '"') {
					q++;
					break;
				} else
					*out++ = *q++;
			}
			p = q;
		} else {
			while (*p && *p != ',')
				*out++ = *p++;
		}
		char sep = *p;
		*out = 0;
		if (sep != ',')
			break;
		p++;
	}
	return n;
}

void import_csv(importer *imp, const char *list)
{
	FILE *f = in_open(list);
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	int xi = -1, yi = -1;
	char *fld[64];
	const char *slash = strrchr(list, '/');
	size_t dirlen = slash ? (size_t)(slash - list + 1) : 0;
	uint64_t id = 0;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		int n = csv_fields(line, fld, 64);
		if (lineno == 1) {
			for (int i = 0; i < n; i++) {
				if (!strncmp(fld[i], "x:", 2) || !strcmp(fld[i], "x"))
					xi = i;
				if (!strncmp(fld[i], "y:", 2) || !strcmp(fld[i], "y"))
					yi = i;
			}
			if (xi < 0 || yi < 0)
				die("%s: header must name columns x:image and "
				    "y:label", list);
			continue;
		}
		if (!*line)
			continue;
		if (n <= xi || n <= yi)
			die("%s:%zu: too few fields", list, lineno);
		char *end;
		unsigned long y = strtoul(fld[yi], &end, 10);
		if (!*fld[yi] || *end || y >= FMT_MAX_CLASSES)
			die("%s:%zu: bad label '%s'", list, lineno, fld[yi]);
		char *path = fld[xi][0] == '/' ? estrdup(fld[xi]) :
			     esprintf("%.*s%s", (int)dirlen, list, fld[xi]);
		import_png(imp, path, id++, (uint32_t)y);
		free(path);
	}
	if (ferror(f))
		die("read %s:", list);
	free(line);
	in_close(f);
	imp->set.h.source = esprintf("csv:%s", slash ? slash + 1 : list);
}
