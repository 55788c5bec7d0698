/*
 * ids.c — reading id lists from ids streams or text, writing ids streams.
 */
#include "ids.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../formats/formats.h"
#include "idset.h"
#include "util.h"

static void push(id_list *l, idset *seen, uint64_t id)
{
	if (!idset_add(seen, id))
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = erealloc(l->v, emul(l->cap, sizeof *l->v));
	}
	l->v[l->n++] = id;
}

static void read_text(id_list *l, idset *seen, const char *buf, size_t n,
		      const char *name)
{
	size_t line = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && buf[j] != '\n')
			j++;
		line++;
		size_t a = i, b = j;
		while (a < b && isspace((unsigned char)buf[a]))
			a++;
		while (b > a && isspace((unsigned char)buf[b - 1]))
			b--;
		if (a < b && buf[a] != '#') {
			/* every uint64, as in an ids stream: up to 2^64 - 1 */
			uint64_t v = 0;
			for (size_t k = a; k < b; k++) {
				unsigned d = (unsigned)(buf[k] - '0');
				if (!isdigit((unsigned char)buf[k]) ||
				    v > (UINT64_MAX - d) / 10)
					die("%s:%zu: not an example id: '%.*s'", name,
					    line, (int)(b - a > 40 ? 40 : b - a),
					    buf + a);
				v = v * 10 + d;
			}
			push(l, seen, v);
		}
		i = j + 1;
	}
}

void ids_read(id_list *l, FILE *f, const char *name)
{
	memset(l, 0, sizeof *l);
	size_t cap = 1 << 16, n = 0;
	char *buf = emalloc(cap);
	for (;;) {
		if (n == cap) {
			if (cap >= FMT_MAX_OBJECT)
				die("%s: id list larger than %u MiB", name,
				    FMT_MAX_OBJECT >> 20);
			cap *= 2;
			buf = erealloc(buf, cap);
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f))
				die("read %s:", name);
			break;
		}
	}
	idset seen;
	idset_init(&seen);
	if (rec_is_zstd_magic((unsigned char *)buf, n)) {
		rec_reader *r = rec_reader_open_mem(buf, n, name, FMT_KIND_IDS,
						    FMT_VERSION_IDS, NULL);
		if (rec_reader_error(r))
			die("%s: %s", name, rec_reader_error(r));
		const msgpack_object *o;
		while (rec_reader_next_or_die(r, &o)) {
			uint64_t id;
			if (rec_get_u64(o, "id", &id) != 1)
				die("%s: record %llu: no integer 'id'", name,
				    (unsigned long long)rec_reader_count(r) - 1);
			push(l, &seen, id);
		}
		rec_reader_close(r);
	} else {
		read_text(l, &seen, buf, n, name);
	}
	idset_free(&seen);
	free(buf);
}

void ids_free(id_list *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

rec_writer *ids_writer_open(FILE *f, const char *name, const char *what)
{
	rec_writer *w = rec_writer_open(f, name);
	rec_header_begin(w, FMT_KIND_IDS, FMT_VERSION_IDS, 1);
	pk_kv_str(rec_writer_pk(w), "what", what);
	rec_writer_begin(w);
	return w;
}
