/*
 * ds-view — print any cleanse stream as text: JSON lines (header, records
 * with bin payloads summarised, trailer), CSV of the records' scalar fields,
 * or a dataset summary (count, shape, label histogram). Reads stdin or FILE.
 * This is the one program whose stdout is text: it ends a pipeline.
 */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
#include "../lib/stream/ds.h"
#include "../lib/util/crc32.h"
#include "../lib/util/util.h"

static const char *usage_text =
	"usage: ds-view [--csv | --stats | --header] [-n N] [FILE]\n"
	"  (default)   JSON lines: header, records (bin payloads summarised), trailer\n"
	"  --csv       CSV of the records' scalar fields, with a header row (and a\n"
	"              predictions stream's probabilities p as columns p0, p1, ...)\n"
	"  --stats     dataset summary: count, shape, classes, label histogram\n"
	"  --header    only the header, as JSON\n"
	"  -n N        at most N records (the stream is still read and checked to its end)\n";

static void json_str(const char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_f64(double v)
{
	if (isfinite(v))
		printf("%.17g", v);
	else
		printf("\"%s\"", isnan(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity");
}

static void json(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL: fputs("null", stdout); break;
	case MSGPACK_OBJECT_BOOLEAN: fputs(o->via.boolean ? "true" : "false", stdout); break;
	case MSGPACK_OBJECT_POSITIVE_INTEGER: printf("%llu", (unsigned long long)o->via.u64); break;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER: printf("%lld", (long long)o->via.i64); break;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: json_f64(o->via.f64); break;
	case MSGPACK_OBJECT_STR: json_str(o->via.str.ptr, o->via.str.size); break;
	case MSGPACK_OBJECT_BIN:
		printf("{\"bin\":%u,\"crc32\":%u}", o->via.bin.size,
		       crc32_update(0, o->via.bin.ptr, o->via.bin.size));
		break;
	case MSGPACK_OBJECT_EXT: printf("{\"ext\":%d,\"size\":%u}", o->via.ext.type, o->via.ext.size); break;
	case MSGPACK_OBJECT_ARRAY:
		putchar('[');
		for (uint32_t i = 0; i < o->via.array.size; i++) {
			if (i)
				putchar(',');
			json(&o->via.array.ptr[i]);
		}
		putchar(']');
		break;
	case MSGPACK_OBJECT_MAP:
		putchar('{');
		for (uint32_t i = 0; i < o->via.map.size; i++) {
			const msgpack_object_kv *kv = &o->via.map.ptr[i];
			if (i)
				putchar(',');
			if (kv->key.type == MSGPACK_OBJECT_STR)
				json(&kv->key);
			else {
				/* JSON keys are strings */
				putchar('"');
				if (kv->key.type == MSGPACK_OBJECT_POSITIVE_INTEGER)
					printf("%llu", (unsigned long long)kv->key.via.u64);
				else
					fputs("?", stdout);
				putchar('"');
			}
			putchar(':');
			json(&kv->val);
		}
		putchar('}');
		break;
	}
}

static int scalar(const msgpack_object *o)
{
	return o->type != MSGPACK_OBJECT_ARRAY && o->type != MSGPACK_OBJECT_MAP &&
	       o->type != MSGPACK_OBJECT_BIN && o->type != MSGPACK_OBJECT_EXT;
}

static void csv_value(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_STR: {
		int quote = memchr(o->via.str.ptr, ',', o->via.str.size) ||
			    memchr(o->via.str.ptr, '"', o->via.str.size) ||
			    memchr(o->via.str.ptr, '\n', o->via.str.size);
		if (!quote) {
			fwrite(o->via.str.ptr, 1, o->via.str.size, stdout);
			break;
		}
		putchar('"');
		for (uint32_t i = 0; i < o->via.str.size; i++) {
			if (o->via.str.ptr[i] == '"')
				putchar('"');
			putchar(o->via.str.ptr[i]);
		}
		putchar('"');
		break;
	}
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64: printf("%.9g", o->via.f64); break;
	case MSGPACK_OBJECT_NIL: break;
	default: json(o);
	}
}

static void stats(FILE *f, const char *name)
{
	ds_reader d;
	ds_reader_open(&d, f, name);
	uint64_t *hist = ecalloc(d.h.classes, sizeof *hist);
	ds_example ex = { .x = emalloc(d.xbytes) };
	uint64_t n = 0;
	while (ds_reader_next(&d, &ex))
		hist[ex.y]++, n++;
	printf("examples %llu\nshape %u %u %u\ndtype %s\nclasses %u\n",
	       (unsigned long long)n, d.h.c, d.h.h, d.h.w,
	       ds_dtype_name(d.h.dtype), d.h.classes);
	if (d.h.source)
		printf("source %s\n", d.h.source);
	for (uint32_t k = 0; k < d.h.classes; k++)
		printf("label %u %llu%s%s\n", k, (unsigned long long)hist[k],
		       d.h.class_names ? " " : "",
		       d.h.class_names ? d.h.class_names[k] : "");
	free(ex.x);
	free(hist);
	ds_reader_close(&d);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "csv", no_argument, 0, 'c' },
		{ "stats", no_argument, 0, 's' },
		{ "header", no_argument, 0, 'H' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int mode = 'j', opt;
	uint64_t limit = UINT64_MAX;
	util_start(argc, argv);
	while ((opt = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': case 's': case 'H': mode = opt; break;
		case 'n': limit = estrtou64(optarg, UINT64_MAX, "-n"); break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return 2;
		}
	}
	if (argc - optind > 1)
		die_usage("at most one FILE");
	const char *path = optind < argc ? argv[optind] : NULL;
	const char *name = path && strcmp(path, "-") ? path : "stdin";
	FILE *f = in_open(path);
	if (mode == 's') {
		stats(f, name);
		in_close(f);
		fshut_stdout();
		return 0;
	}
	rec_reader *r = rec_reader_open_or_die(f, name, NULL, 0, NULL);
	const msgpack_object *o;
	if (mode != 'c') {
		json(rec_reader_header(r));
		putchar('\n');
	}
	if (mode == 'H') {
		rec_reader_close(r);
		in_close(f);
		fshut_stdout();
		return 0;
	}
	/* CSV columns: the scalar keys of the first record, in its order; and
	 * a predictions stream's probabilities p, one column per class (p0,
	 * p1, ...), so that they can be handed to numpy or cleanlab */
	const char **cols = NULL;
	uint32_t ncols = 0;
	uint64_t K = 0;
	if (mode == 'c' && rec_str_eq(rec_get(rec_reader_header(r), "kind"), FMT_KIND_PREDICTIONS) &&
	    (rec_get_u64(rec_reader_header(r), "classes", &K) != 1 || K > FMT_MAX_CLASSES))
		K = 0;
	uint64_t n = 0;
	while (rec_reader_next_or_die(r, &o)) {
		if (n++ >= limit)
			continue;
		if (mode == 'j') {
			json(o);
			putchar('\n');
			continue;
		}
		if (!cols) {
			cols = ecalloc(o->via.map.size + 1, sizeof *cols);
			for (uint32_t i = 0; i < o->via.map.size; i++) {
				const msgpack_object_kv *kv = &o->via.map.ptr[i];
				if (kv->key.type != MSGPACK_OBJECT_STR)
					continue;
				if (!scalar(&kv->val) && !(K && kv->val.type == MSGPACK_OBJECT_BIN &&
							   kv->key.via.str.size == 1 &&
							   kv->key.via.str.ptr[0] == 'p'))
					continue;
				char *k = emalloc(kv->key.via.str.size + 1);
				memcpy(k, kv->key.via.str.ptr, kv->key.via.str.size);
				k[kv->key.via.str.size] = 0;
				cols[ncols++] = k;
			}
			for (uint32_t i = 0; i < ncols; i++) {
				if (K && !strcmp(cols[i], "p"))
					for (uint64_t k = 0; k < K; k++)
						printf("%sp%llu", i || k ? "," : "", (unsigned long long)k);
				else
					printf("%s%s", i ? "," : "", cols[i]);
			}
			putchar('\n');
		}
		for (uint32_t i = 0; i < ncols; i++) {
			const msgpack_object *v = rec_get(o, cols[i]);
			if (i)
				putchar(',');
			if (K && !strcmp(cols[i], "p")) {
				if (!v || v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != 4 * K)
					die("%s: record %llu: p is not %llu f32 probabilities", name,
					    (unsigned long long)n - 1, (unsigned long long)K);
				for (uint64_t k = 0; k < K; k++) {
					float pk;
					memcpy(&pk, v->via.bin.ptr + 4 * k, 4);
					printf("%s%.9g", k ? "," : "", pk);
				}
			} else if (v && scalar(v)) {
				csv_value(v);
			}
		}
		putchar('\n');
	}
	if (mode == 'j')
		printf("{\"end\":\"%s\",\"count\":%llu}\n", FMT_MAGIC,
		       (unsigned long long)rec_reader_count(r));
	for (uint32_t i = 0; i < ncols; i++)
		free((char *)cols[i]);
	free(cols);
	rec_reader_close(r);
	in_close(f);
	fshut_stdout();
	return 0;
}
