/*
 * predictions.c — predictions streams (see predictions.h).
 */
#include "predictions.h"

#include <string.h>

#include "../../formats/formats.h"
#include "../util/util.h"

rec_writer *predictions_writer_open(FILE *f, const char *name, int K)
{
	rec_writer *w = rec_writer_open(f, name);
	rec_header_begin(w, FMT_KIND_PREDICTIONS, FMT_VERSION_PREDICTIONS, 1);
	pk_kv_u64(rec_writer_pk(w), "classes", (uint64_t)K);
	rec_writer_begin(w);
	return w;
}

void predictions_write(rec_writer *w, uint64_t id, int y, int pred, double loss, const float *p,
		       int K)
{
	msgpack_packer *pk = rec_writer_pk(w);
	msgpack_pack_map(pk, 5);
	pk_kv_u64(pk, "id", id);
	pk_kv_u64(pk, "y", (uint64_t)y);
	pk_kv_u64(pk, "pred", (uint64_t)pred);
	pk_kv_f64(pk, "loss", loss);
	pk_kv_bin(pk, "p", p, (size_t)K * sizeof *p);
	rec_writer_commit(w);
}

void predictions_open(predictions_reader *pr, const char *path)
{
	pr->path = path;
	pr->f = in_open(path);
	pr->r = rec_reader_open_or_die(pr->f, path, FMT_KIND_PREDICTIONS, FMT_VERSION_PREDICTIONS,
				       NULL);
}

int predictions_next(predictions_reader *pr, uint64_t *id, uint64_t *pred, float *ppred)
{
	const msgpack_object *o;
	if (!rec_reader_next_or_die(pr->r, &o))
		return 0;
	const void *p;
	size_t n;
	if (rec_get_u64(o, "id", id) != 1 || rec_get_u64(o, "pred", pred) != 1 ||
	    rec_get_bin(o, "p", &p, &n) != 1 || *pred >= n / 4)
		die("%s: record %llu: want id, pred and p", pr->path,
		    (unsigned long long)rec_reader_count(pr->r) - 1);
	memcpy(ppred, (const unsigned char *)p + 4 * *pred, 4);
	return 1;
}

void predictions_close(predictions_reader *pr)
{
	rec_reader_close(pr->r);
	in_close(pr->f);
	memset(pr, 0, sizeof *pr);
}
