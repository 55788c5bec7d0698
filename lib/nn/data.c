/*
 * data.c — datasets as network inputs, and seeded augmentation (data.h).
 */
#include "data.h"

#include "maths.h"

#include <stdlib.h>
#include <string.h>

#include "../util/crc32.h"
#include "../util/rand.h"
#include "../util/util.h"

void data_load(data *d, FILE *f, const char *name, int c, int h, int w)
{
	ds_set s;
	ds_set_load(&s, f, name);
	data_from_set(d, &s, name, c, h, w);
	ds_set_free(&s);
}

void data_from_set(data *d, const ds_set *sp, const char *name, int c, int h, int w)
{
	const ds_set s = *sp;
	memset(d, 0, sizeof *d);
	if ((int)s.h.c != c || (int)s.h.h > h || (int)s.h.w > w)
		die("%s: examples of shape [%u, %u, %u] do not fit the network "
		    "input [%d, %d, %d]", name, s.h.c, s.h.h, s.h.w, c, h, w);
	d->n = s.n, d->c = c, d->h = h, d->w = w;
	d->data_shape[0] = (int)s.h.c, d->data_shape[1] = (int)s.h.h;
	d->data_shape[2] = (int)s.h.w;
	d->classes = (int)s.h.classes;
	d->dim = (size_t)c * h * w;
	d->x = ecalloc(emul(s.n, d->dim), sizeof(real));
	d->y = emalloc(emul(s.n, sizeof(int)));
	d->id = emalloc(emul(s.n, sizeof(uint64_t)));
	int oy = (h - (int)s.h.h) / 2, ox = (w - (int)s.h.w) / 2;
	uint32_t crc = 0;
	for (size_t i = 0; i < s.n; i++) {
		const unsigned char *src = s.x + i * s.xbytes;
		real *dst = d->x + i * d->dim;
		for (uint32_t k = 0; k < s.h.c; k++)
			for (uint32_t yy = 0; yy < s.h.h; yy++)
				for (uint32_t xx = 0; xx < s.h.w; xx++) {
					size_t j = ((size_t)k * s.h.h + yy) * s.h.w + xx;
					real v;
					if (s.h.dtype == DS_U8) {
						v = (real)(src[j] / 255.0);
					} else {
						float fv;
						memcpy(&fv, src + 4 * j, 4);
						v = fv;
					}
					dst[((size_t)k * h + oy + yy) * w + ox + xx] = v;
				}
		d->y[i] = (int)s.y[i];
		d->id[i] = s.id[i];
		unsigned char b[12];
		for (int k = 0; k < 8; k++)
			b[k] = (unsigned char)(s.id[i] >> (8 * k));
		for (int k = 0; k < 4; k++)
			b[8 + k] = (unsigned char)(s.y[i] >> (8 * k));
		crc = crc32_update(crc, b, 12);
		crc = crc32_update(crc, src, s.xbytes);
	}
	d->digest = crc;
}

void data_load_for(data *d, const char *path, const trace_header *th, const char *what)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	FILE *f = in_open(path);
	data_load(d, f, name, th->input[0], th->input[1], th->input[2]);
	in_close(f);
	if (d->classes != th->classes ||
	    memcmp(d->data_shape, th->data_shape, sizeof d->data_shape))
		die("%s: %sexamples [%d, %d, %d] with %d classes; the network was trained "
		    "on [%d, %d, %d] with %d", name, what, d->data_shape[0], d->data_shape[1],
		    d->data_shape[2], d->classes, th->data_shape[0], th->data_shape[1],
		    th->data_shape[2], th->classes);
}

void data_free(data *d)
{
	free(d->x);
	free(d->y);
	free(d->id);
	memset(d, 0, sizeof *d);
}

int augment_parse(augment *a, const char *s)
{
	memset(a, 0, sizeof *a);
	if (!strcmp(s, "none"))
		return 0;
	char *copy = estrdup(s), *save = NULL;
	int ok = 0;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int p;
		char extra;
		if (!strcmp(t, "flip"))
			a->flip = 1;
		else if (sscanf(t, "crop:%d%c", &p, &extra) == 1 && p >= 1 && p <= 64)
			a->crop = p;
		else
			ok = -1;
	}
	free(copy);
	return ok;
}

aug_draw augment_draw(const augment *a, const data *d, size_t i, uint64_t seed, int epoch)
{
	aug_draw dr = { 0, 0, 0 };
	if (!a->crop && !a->flip)
		return dr;
	/* one 64-bit draw per (seed, epoch, id): bits for flip, dy, dx */
	uint64_t r = rng_key(seed ^ 0xA5A5A5A5u, (uint64_t)epoch, d->id[i]);
	int span = 2 * a->crop + 1;
	dr.flip = a->flip && (r & 1);
	dr.dy = (signed char)(a->crop ? (int)((r >> 8) % (uint64_t)span) - a->crop : 0);
	dr.dx = (signed char)(a->crop ? (int)((r >> 32) % (uint64_t)span) - a->crop : 0);
	return dr;
}

void augment_copy(const data *d, size_t i, aug_draw dr, real *out)
{
	const real *x = d->x + i * d->dim;
	if (!dr.dy && !dr.dx && !dr.flip) {
		memcpy(out, x, d->dim * sizeof *x);
		return;
	}
	int H = d->h, W = d->w;
	for (int c = 0; c < d->c; c++)
		for (int yy = 0; yy < H; yy++)
			for (int xx = 0; xx < W; xx++) {
				int sy, sx;
				out[((size_t)c * H + yy) * W + xx] =
					nn_aug_src(yy, xx, dr.dy, dr.dx, dr.flip, H, W, &sy, &sx) ?
					x[((size_t)c * H + sy) * W + sx] : 0;
			}
}

void augment_apply(const augment *a, const data *d, size_t i, uint64_t seed,
		   int epoch, real *out)
{
	augment_copy(d, i, augment_draw(a, d, i, seed, epoch), out);
}

void data_check_trained(const data *d, const trace_header *th, const char *name,
			const char *run)
{
	if (th->train_n != d->n || th->train_digest != d->digest)
		die("%s: not the training set of %s (%llu examples, digest %08x; this one has "
		    "%zu, digest %08x)", name, run, (unsigned long long)th->train_n,
		    th->train_digest, d->n, d->digest);
}

void data_net_init(nn_net *net, const trace_header *th, const char *run)
{
	char err[256];
	if (nn_init(net, th->net, th->input[0], th->input[1], th->input[2], th->classes, err,
		    sizeof err) < 0)
		die("%s: %s", run, err);
	if (net->nparams != th->nparams || net->nstate != th->nstate)
		die("%s: '%s' has %zu parameters here, the stream says %llu", run, th->net,
		    net->nparams, (unsigned long long)th->nparams);
}
