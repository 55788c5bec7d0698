/*
 * metrics.c — the evaluation record (see metrics.h).
 */
#include "metrics.h"

#include "../../formats/formats.h"
#include "rec.h"

uint64_t metrics_class_n(const metrics_eval *m, int y)
{
	uint64_t n = 0;
	for (int k = 0; k < m->K; k++)
		n += m->conf[(size_t)y * m->K + k];
	return n;
}

double metrics_class_acc(const metrics_eval *m, int y)
{
	uint64_t n = metrics_class_n(m, y);
	return n ? (double)m->conf[(size_t)y * m->K + y] / (double)n : 0;
}

void metrics_write_eval(FILE *f, const char *name, const metrics_eval *m)
{
	int K = m->K;
	rec_writer *w = rec_writer_open(f, name);
	msgpack_packer *pk = rec_writer_pk(w);
	rec_header_begin(w, FMT_KIND_METRICS, FMT_VERSION_METRICS, 3);
	pk_kv_str(pk, "what", "eval");
	pk_kv_str(pk, "net", m->net);
	pk_kv_str(pk, "dataset", m->dataset);
	rec_writer_begin(w);
	msgpack_pack_map(pk, m->cls != UINT64_MAX ? 9 : 5);
	pk_kv_u64(pk, "n", m->n);
	pk_kv_f64(pk, "loss", m->loss);
	pk_kv_f64(pk, "acc", m->acc);
	pk_str(pk, "per_class");
	msgpack_pack_array(pk, (size_t)K);
	for (int y = 0; y < K; y++)
		msgpack_pack_double(pk, metrics_class_acc(m, y));
	pk_str(pk, "confusion");
	msgpack_pack_array(pk, (size_t)K);
	for (int y = 0; y < K; y++) {
		msgpack_pack_array(pk, (size_t)K);
		for (int k = 0; k < K; k++)
			msgpack_pack_uint64(pk, m->conf[(size_t)y * K + k]);
	}
	if (m->cls != UINT64_MAX) {
		pk_kv_u64(pk, "class", m->cls);
		pk_kv_f64(pk, "a_self", m->a_self);
		pk_kv_f64(pk, "a_rest", m->a_rest);
		pk_kv_f64(pk, "f1", m->f1);
	}
	rec_writer_commit(w);
	rec_writer_close(w);
}
