/*
 * maths.h — the element and index maths of the network, written once and
 * compiled twice: as static inline C for the CPU backend (lib/nn/cpu.c) and
 * as __host__ __device__ functions for the CUDA kernels (kernels/nn_cuda.cu).
 * A CPU loop and a CUDA thread that compute the same element call the same
 * function here, so the two backends cannot drift apart in a formula, an
 * index or a boundary rule. Reductions (sums over a batch or a channel) are
 * not here: their order is each backend's own (see lib/nn/backend.h).
 *
 * Layout: activations (C, B, H, W); logits and probabilities (K, B), with a
 * (B, K) copy of the probabilities for callers.
 */
#ifndef NN_MATHS_H
#define NN_MATHS_H

#include <math.h>
#include <stddef.h>

#ifdef NN_F64
typedef double real;
#else
typedef float real;
#endif

#ifdef __CUDACC__
#define NN_SHARED static inline __host__ __device__
#else
#define NN_SHARED static inline
#endif

#define NN_BN_EPS 1e-5
#define NN_BN_MOMENTUM 0.1      /* running = (1-m)·running + m·batch */

/* ================================================================ loss */

/* the predicted class: the index of the largest of p[0..K), the first on
 * ties */
NN_SHARED int nn_argmax(const real *p, int K)
{
	int best = 0;
	for (int k = 1; k < K; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

/* softmax cross-entropy of sample b of the logits z (K, B): its
 * probabilities into prob (K, B) and pbk (B, K); returns its loss */
NN_SHARED real nn_softmax_ce(const real *z, int K, int B, int b, int y, real *prob, real *pbk)
{
	real m = z[b];
	for (int k = 1; k < K; k++)
		m = z[(size_t)k * B + b] > m ? z[(size_t)k * B + b] : m;
	double s = 0;
	for (int k = 0; k < K; k++)
		s += exp((double)(z[(size_t)k * B + b] - m));
	for (int k = 0; k < K; k++) {
		real p = (real)(exp((double)(z[(size_t)k * B + b] - m)) / s);
		prob[(size_t)k * B + b] = p;
		pbk[(size_t)b * K + k] = p;
	}
	return (real)(log(s) + m - z[(size_t)y * B + b]);
}

/* ∂L/∂z of one logit: (p − [k = y]) / denom */
NN_SHARED real nn_ce_grad(real p, int is_label, double denom)
{
	return (real)((p - is_label) / denom);
}

/* the R-pass of sample b's softmax cross-entropy along R{z} = rz (K, B):
 * R{p} into rprob, R{∂L/∂z} into rdz (both (K, B)); returns R{ℓ_b} =
 * Σ_k p_k R{z_k} − R{z_y} */
NN_SHARED real nn_ce_r(const real *prob, const real *rz, int K, int B, int b, int y,
		       double denom, real *rprob, real *rdz)
{
	real e = 0;
	for (int k = 0; k < K; k++)
		e += prob[(size_t)k * B + b] * rz[(size_t)k * B + b];
	for (int k = 0; k < K; k++) {
		size_t j = (size_t)k * B + b;
		rprob[j] = prob[j] * (rz[j] - e);
		rdz[j] = (real)(rprob[j] / denom);
	}
	return e - rz[(size_t)y * B + b];
}

/* the running tally of training: losses summed and hits counted in batch
 * order, and the tag of the first forward whose batch loss is not finite */
typedef struct nn_tally {
	double loss;
	unsigned long long correct;
	long long bad;
} nn_tally;

NN_SHARED void nn_tally_add(nn_tally *t, const real *loss, const real *pbk, const int *y,
			    int B, int K, double denom, long long tag)
{
	double total = 0;
	for (int b = 0; b < B; b++) {
		t->correct += nn_argmax(pbk + (size_t)b * K, K) == y[b];
		t->loss += loss[b];
		total += loss[b];
	}
	if (!isfinite(total / denom) && t->bad < 0)
		t->bad = tag;
}

/* =========================================================== batch-norm */

/* per channel of M values: the normalised input and the output */
NN_SHARED real nn_bn_xhat(real x, real mean, real istd) { return (x - mean) * istd; }
NN_SHARED real nn_bn_y(real xh, real g, real be) { return g * xh + be; }

/* 1/√(var + ε) of the running variance (evaluation) */
NN_SHARED real nn_bn_istd(double var) { return (real)(1 / sqrt(var + NN_BN_EPS)); }

/* the running statistics after a training batch of M values with mean mu
 * and (biased) variance v */
NN_SHARED void nn_bn_running(real *rm, real *rv, real mu, double v, size_t M)
{
	double unb = M > 1 ? v * (double)M / (double)(M - 1) : v;
	*rm = (real)((1 - NN_BN_MOMENTUM) * *rm + NN_BN_MOMENTUM * mu);
	*rv = (real)((1 - NN_BN_MOMENTUM) * *rv + NN_BN_MOMENTUM * unb);
}

/* ∂L/∂x through training batch statistics, from the channel's sums
 * sg = Σ dy·x̂ and sb = Σ dy:  istd/M · (M·γ·dy − γ·sb − x̂·γ·sg) */
NN_SHARED real nn_bn_dx(real dy, real xh, real g, real istd, real sg, real sb, size_t M)
{
	real A = g * sb, Bs = g * sg;
	return istd / (real)M * ((real)M * g * dy - A - xh * Bs);
}

/* ∂L/∂x with the running statistics (evaluation): γ·istd·dy */
NN_SHARED real nn_bn_dx_eval(real dy, real g, real istd) { return dy * g * istd; }

/* R{istd} = −istd³ R{var} / 2 */
NN_SHARED real nn_bn_ristd(real istd, double rvar)
{
	return (real)(-0.5 * (double)istd * istd * istd * rvar);
}

/* R{x̂} and R{y} of one element (rin_zero: the input does not depend on θ) */
NN_SHARED real nn_bn_rxhat(real x, real rx, real mean, real istd, real rmean, real ristd,
			   int rin_zero)
{
	return (rin_zero ? 0 : (rx - rmean) * istd) + (x - mean) * ristd;
}
NN_SHARED real nn_bn_ry(real xh, real rxh, real g, real vg, real vb)
{
	return vg * xh + g * rxh + vb;
}

/* R{∂L/∂x} of one element from the channel's sums and their R{} */
NN_SHARED real nn_bn_rdx(real dy, real rdy, real xh, real rxh, real g, real vg, real istd,
			 real ristd, real sg, real sb, real rsg, real rsb, size_t M)
{
	real m = (real)M, A = g * sb, Bs = g * sg;
	real rA = g * rsb + vg * sb, rB = g * rsg + vg * sg;
	real dxh = g * dy, rdxh = g * rdy + vg * dy;
	return ristd / m * (m * dxh - A - xh * Bs) +
	       istd / m * (m * rdxh - rA - rxh * Bs - xh * rB);
}

/* ============================================================= indexing */

/* 2×2 max-pool, stride 2: the index in the (H, W) plane x of the maximum of
 * output (oy, ox)'s window, the first on ties */
NN_SHARED int nn_pool_argmax(const real *x, int W, int oy, int ox)
{
	int best = (2 * oy) * W + 2 * ox;
	for (int dy = 0; dy < 2; dy++)
		for (int dx = 0; dx < 2; dx++) {
			int j = (2 * oy + dy) * W + 2 * ox + dx;
			if (x[j] > x[best])
				best = j;
		}
	return best;
}

/* global average pooling of one (H, W) plane of P values, summed in double
 * in order; and the gradient each input gets */
NN_SHARED real nn_gap_mean(const real *x, size_t P)
{
	double s = 0;
	for (size_t p = 0; p < P; p++)
		s += x[p];
	return (real)(s / (double)P);
}
NN_SHARED real nn_gap_grad(real dout, size_t P) { return (real)(dout / (double)P); }

/* im2col: the input pixel (iy, ix) that column entry (ki, kj) of output
 * (oy, ox) reads, or 0 where it falls in the padding */
NN_SHARED int nn_conv_src(int oy, int ox, int ki, int kj, int pad, int H, int W,
			  int *iy, int *ix)
{
	*iy = oy + ki - pad, *ix = ox + kj - pad;
	return *iy >= 0 && *iy < H && *ix >= 0 && *ix < W;
}

/* augmentation: the stored pixel (sy, sx) that pixel (yy, xx) of an image
 * shifted by (dy, dx), mirrored first if flip, shows; 0 outside the image */
NN_SHARED int nn_aug_src(int yy, int xx, int dy, int dx, int flip, int H, int W, int *sy,
			 int *sx)
{
	*sy = yy + dy, *sx = (flip ? W - 1 - xx : xx) + dx;
	return *sy >= 0 && *sy < H && *sx >= 0 && *sx < W;
}

/* (C, B, P) ↔ (C·P, B): where element (c, b, p) goes in the feature layout */
NN_SHARED size_t nn_feat_index(size_t c, size_t b, size_t p, size_t B, size_t P)
{
	return (c * P + p) * B + b;
}

/* ======================================================== element-wise */

/* θ ← θ − η(g + λθ); with momentum v ← μv + g + λθ, θ ← θ − ηv */
NN_SHARED void nn_sgd_elem(real *theta, const real *grad, real *vel, size_t k, real lr,
			   real wd, real mom)
{
	real g = grad[k] + wd * theta[k];
	if (vel) {
		vel[k] = mom * vel[k] + g;
		g = vel[k];
	}
	theta[k] -= lr * g;
}

/* u ← u − a(hv + λu) */
NN_SHARED void nn_u_update_elem(real *u, const real *hv, size_t i, real a, real wd)
{
	u[i] -= a * (hv[i] + wd * u[i]);
}

/* y ← a·x + b·y of one element */
NN_SHARED void nn_axpby_elem(real *y, real a, const real *x, real b, size_t i)
{
	y[i] = a * x[i] + b * y[i];
}

#endif
