/*
 * net.c — networks from specs (see net.h): the presets, the layer-list
 * parser with its shapes and limits, the description line and the seeded
 * initialisation of θ and the state.
 */
#include "net.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../util/rand.h"
#include "../util/util.h"

/* ================================================================= specs */

static const struct { const char *name, *layers; int h, w; } presets[] = {
	{ "conv6", "conv:32:3:1,bn,relu,conv:32:3:1,relu,pool,"
		   "conv:64:3:1,bn,relu,conv:64:3:1,relu,pool,"
		   "conv:128:3:1,bn,relu,conv:128:3:1,relu,pool,affine", 32, 32 },
	{ "hara-mnist", "conv:20:5:0,relu,pool,conv:20:5:0,relu,pool,affine", 0, 0 },
	{ "linear", "affine", 0, 0 },
};

static const char *expand(const char *spec, char *buf, size_t n)
{
	for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
		if (!strcmp(spec, presets[i].name))
			return presets[i].layers;
	if (!strncmp(spec, "mlp:", 4)) {
		snprintf(buf, n, "affine:%s,relu,affine", spec + 4);
		return buf;
	}
	return spec;
}

void nn_input_shape(const char *spec, int *c, int *h, int *w)
{
	(void)c;
	for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
		if (!strcmp(spec, presets[i].name) && presets[i].h) {
			if (*h < presets[i].h)
				*h = presets[i].h;
			if (*w < presets[i].w)
				*w = presets[i].w;
		}
}

int nn_init(nn_net *net, const char *spec, int c, int h, int w, int classes,
	    char *err, size_t errlen)
{
	char mlp[64], tok[64] = "";
	int unknown = 0;
	const char *s = expand(spec, mlp, sizeof mlp);
	memset(net, 0, sizeof *net);
	net->spec = estrdup(spec);
	net->c = c, net->h = h, net->w = w, net->classes = classes;
	int n = 1;
	for (const char *p = s; *p; p++)
		n += *p == ',';
	net->l = ecalloc((size_t)n, sizeof *net->l);
	int cc = c, hh = h, ww = w;
	size_t np = 0, ns = 0;
	for (int i = 0; i < n; i++) {
		size_t len = strcspn(s, ",");
		if (len == 0 || len >= sizeof tok)
			goto bad;
		memcpy(tok, s, len);
		tok[len] = 0;
		s += len + (s[len] == ',');
		nn_layer *L = &net->l[i];
		L->ic = cc, L->ih = hh, L->iw = ww;
		/* widths and sizes of at most 9 digits, the whole token read:
		 * sscanf's %d has no defined result past INT_MAX */
		int a = 0, b = 0, d = 0, end = 0;
		if (sscanf(tok, "conv:%9d:%9d:%9d%n", &a, &b, &d, &end) == 3 && !tok[end]) {
			if (a < 1 || a > NN_MAX_WIDTH || b < 1 || d < 0 || d > NN_MAX_WIDTH ||
			    hh + 2 * d < b || ww + 2 * d < b)
				goto bad;
			L->type = NN_CONV, L->out = a, L->k = b, L->pad = d;
			cc = a, hh = hh + 2 * d - b + 1, ww = ww + 2 * d - b + 1;
			L->nw = (size_t)a * L->ic * b * b, L->nb = (size_t)a;
		} else if (!strcmp(tok, "bn")) {
			L->type = NN_BN;
			L->nw = L->nb = (size_t)cc;
			L->s = ns;
			ns += 2 * (size_t)cc;
		} else if (!strcmp(tok, "gap")) {
			L->type = NN_GAP;
			hh = ww = 1;
		} else if (!strcmp(tok, "relu")) {
			L->type = NN_RELU;
		} else if (!strcmp(tok, "pool")) {
			if (hh < 2 || ww < 2)
				goto bad;
			L->type = NN_POOL;
			hh /= 2, ww /= 2;
		} else if (!strcmp(tok, "affine") ||
			   (sscanf(tok, "affine:%9d%n", &a, &end) == 1 && !tok[end])) {
			if (!strcmp(tok, "affine"))
				a = classes;
			if (a < 1 || a > NN_MAX_WIDTH)
				goto bad;
			L->type = NN_AFFINE, L->out = a;
			L->nw = (size_t)a * cc * hh * ww, L->nb = (size_t)a;
			cc = a, hh = ww = 1;
		} else {
			unknown = 1;
			goto bad;
		}
		L->oc = cc, L->oh = hh, L->ow = ww;
		L->w = np;
		L->b = np + L->nw;
		np += L->nw + L->nb;
		if (np > NN_MAX_PARAMS || (size_t)cc * hh * ww > NN_MAX_PARAMS) {
			snprintf(err, errlen, "network '%s' is too large for input %dx%dx%d "
				 "(at '%s': over %u parameters or values a layer)", spec, c, h, w,
				 tok, NN_MAX_PARAMS);
			nn_free(net);
			return -1;
		}
	}
	net->nl = n;
	net->nparams = np;
	net->nstate = ns;
	if (net->l[n - 1].type != NN_AFFINE || cc != classes) {
		snprintf(err, errlen, "network '%s' must end in an affine layer "
			 "with %d outputs", spec, classes);
		nn_free(net);
		return -1;
	}
	return 0;
bad:
	if (!strcmp(spec, "mlp")) {
		snprintf(err, errlen, "network 'mlp' needs its hidden width: mlp:H (e.g. mlp:64)");
	} else if (unknown) {
		/* name what is known: the presets, mlp:H and the layers */
		char names[256] = "";
		for (size_t i = 0; i < sizeof presets / sizeof *presets; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s, ",
				 presets[i].name);
		snprintf(err, errlen, "unknown network '%s'%s%s%s: give %smlp:H, or a comma-separated "
			 "layer list of conv:C:K:P, bn, relu, pool, gap, affine[:N]", spec,
			 strcmp(spec, tok) ? " (at '" : "", strcmp(spec, tok) ? tok : "",
			 strcmp(spec, tok) ? "')" : "", names);
	} else {
		snprintf(err, errlen, "bad network spec '%s' for input %dx%dx%d (at '%s')",
			 spec, c, h, w, tok);
	}
	nn_free(net);
	return -1;
}

void nn_free(nn_net *net)
{
	free(net->spec);
	free(net->l);
	memset(net, 0, sizeof *net);
}

void nn_describe(const nn_net *net, char *buf, size_t n)
{
	size_t k = (size_t)snprintf(buf, n, "%s: %dx%dx%d", net->spec, net->c, net->h, net->w);
	for (int i = 0; i < net->nl && k < n; i++) {
		const nn_layer *L = &net->l[i];
		k += (size_t)snprintf(buf + k, n - k, " %s %dx%dx%d", nn_layer_name(net, i),
				      L->oc, L->oh, L->ow);
	}
	if (k < n)
		snprintf(buf + k, n - k, "; %zu parameters, %zu state", net->nparams,
			 net->nstate);
}

void nn_init_params(const nn_net *net, real *theta, real *state, uint64_t seed)
{
	rng r;
	rng_init_for(&r, seed, "nn init");
	memset(theta, 0, net->nparams * sizeof *theta);
	for (int i = 0; i < net->nl; i++) {
		const nn_layer *L = &net->l[i];
		if (L->type == NN_BN) {
			for (size_t j = 0; j < L->nw; j++) {
				theta[L->w + j] = 1;
				state[L->s + j] = 0;            /* running mean */
				state[L->s + L->nw + j] = 1;    /* running var  */
			}
		} else if (L->type == NN_CONV || L->type == NN_AFFINE) {
			double fan_in = (double)L->nw / (double)L->nb;
			double sd = sqrt(2.0 / fan_in);
			for (size_t j = 0; j < L->nw; j++) {    /* Box-Muller */
				double u1 = 1.0 - rng_uniform(&r), u2 = rng_uniform(&r);
				theta[L->w + j] = (real)(sd * sqrt(-2 * log(u1)) *
							 cos(2 * M_PI * u2));
			}
		}
	}
}

const char *nn_layer_name(const nn_net *net, int i)
{
	static const char *names[NN_NTYPES] = { "conv", "bn", "relu", "pool", "affine", "gap" };
	return i >= net->nl ? "softmax-ce" : names[net->l[i].type];
}
