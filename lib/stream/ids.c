/*
 * ids.c — reading id lists from ids streams or text, writing ids streams.
 */
#include "ids.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../formats/formats.h"
#include "../util/util.h"
#include "idset.h"

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

/* the optional keys of an ids record, into the arrays parallel to v: made
 * (all NAN / UINT32_MAX) on the first record that has the key, and kept as
 * long as v (l->cap; *xcap is their length) */
static void push_extra(id_list *l, size_t at, const msgpack_object *o, size_t *xcap)
{
	double sc;
	uint64_t fr;
	int has_sc = rec_get_f64(o, "score", &sc) == 1, has_fr = rec_get_u64(o, "from", &fr) == 1;
	size_t old = *xcap;
	if ((has_sc || l->score) && (!l->score || old < l->cap)) {
		size_t from = l->score ? old : 0;
		l->score = erealloc(l->score, emul(l->cap, sizeof *l->score));
		for (size_t i = from; i < l->cap; i++)
			l->score[i] = NAN;
	}
	if ((has_fr || l->from) && (!l->from || old < l->cap)) {
		size_t from = l->from ? old : 0;
		l->from = erealloc(l->from, emul(l->cap, sizeof *l->from));
		for (size_t i = from; i < l->cap; i++)
			l->from[i] = UINT32_MAX;
	}
	*xcap = l->cap;
	if (has_sc)
		l->score[at] = sc;
	if (has_fr && fr < UINT32_MAX)
		l->from[at] = (uint32_t)fr;
}

static char *hdr_str(const msgpack_object *h, const char *key)
{
	const char *s;
	size_t n;
	if (rec_get_str(h, key, &s, &n) != 1)
		return NULL;
	char *c = emalloc(n + 1);
	memcpy(c, s, n);
	c[n] = 0;
	return c;
}

static void read_text(id_list *l, idset *seen, const char *buf, size_t n,
		      const char *name)
{
	size_t line = 0;
	int first = 1, csv = 0;
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
		/* CSV with an id column first (ds-view --csv of an ids, scores or
		 * predictions stream): its header line "id" or "id,...", then
		 * the first field of each line */
		if (a < b && buf[a] != '#' && first) {
			first = 0;
			if ((b - a == 2 || (b - a > 2 && buf[a + 2] == ',')) && !memcmp(buf + a, "id", 2)) {
				csv = 1;
				i = j + 1;
				continue;
			}
		}
		if (csv)
			for (size_t k = a; k < b; k++)
				if (buf[k] == ',') {
					b = k;
					break;
				}
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
		const msgpack_object *o, *h = rec_reader_header(r);
		uint64_t tn, td;
		if (rec_get_u64(h, "train_n", &tn) == 1 &&
		    rec_get_u64(h, "train_digest", &td) == 1 && td <= UINT32_MAX)
			l->has_train = 1, l->train_n = tn, l->train_digest = (uint32_t)td;
		l->method = hdr_str(h, "method");
		l->scores = hdr_str(h, "scores");
		size_t xcap = 0;
		while (rec_reader_next_or_die(r, &o)) {
			uint64_t id;
			if (rec_get_u64(o, "id", &id) != 1)
				die("%s: record %llu: no integer 'id'", name,
				    (unsigned long long)rec_reader_count(r) - 1);
			size_t before = l->n;
			push(l, &seen, id);
			if (l->n > before)
				push_extra(l, before, o, &xcap);
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
	free(l->v), free(l->score), free(l->from), free(l->method), free(l->scores);
	memset(l, 0, sizeof *l);
}

rec_writer *ids_writer_open(FILE *f, const char *name, const char *what)
{
	return ids_writer_open_from(f, name, what, NULL);
}

rec_writer *ids_writer_open_from(FILE *f, const char *name, const char *what,
				 const ids_source *src)
{
	rec_writer *w = rec_writer_open(f, name);
	msgpack_packer *pk = rec_writer_pk(w);
	int train = src && src->has_train, meth = src && src->method,
	    sc = src && src->scores;
	rec_header_begin(w, FMT_KIND_IDS, FMT_VERSION_IDS, 1 + 2 * train + meth + sc);
	pk_kv_str(pk, "what", what);
	if (train) {
		pk_kv_u64(pk, "train_n", src->train_n);
		pk_kv_u64(pk, "train_digest", src->train_digest);
	}
	if (meth)
		pk_kv_str(pk, "method", src->method);
	if (sc)
		pk_kv_str(pk, "scores", src->scores);
	rec_writer_begin(w);
	return w;
}

unsigned char *ids_flags(const char *path, const uint64_t *id, size_t n)
{
	id_list l;
	FILE *f = in_open(path);
	ids_read(&l, f, path);
	in_close(f);
	idmap where;
	idmap_init(&where);
	for (size_t i = 0; i < n; i++)
		idmap_put(&where, id[i], i);
	unsigned char *want = ecalloc(n, 1);
	for (size_t i = 0; i < l.n; i++) {
		size_t k;
		if (!idmap_get(&where, l.v[i], &k))
			die("%s: id %llu is not in the training set", path,
			    (unsigned long long)l.v[i]);
		want[k] = 1;
	}
	idmap_free(&where);
	ids_free(&l);
	return want;
}
