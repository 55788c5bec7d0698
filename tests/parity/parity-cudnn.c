/*
 * parity-cudnn.c — needs no GPU: cuDNN, opened at run time by
 * kernels/nn_cuda.cu, must be found with every function the GPU path calls,
 * and must accept the descriptors of each convolution of the papers'
 * networks in our (C, B, H, W) layout (filters, padding, strides). A typo in
 * a symbol name or a stride the library rejects fails here, on any machine
 * with the CUDA toolkit, instead of on the first GPU run.
 * SKIP where libcudnn is not installed or CLEANSE_CONV=gemm turns it off.
 */
#include <stdio.h>
#include <string.h>

#include "../../lib/nn/backend.h"
#include "../../lib/nn/nn.h"
#include "../../lib/util/util.h"

int main(int argc, char **argv)
{
	(void)argc;
	util_init(argv[0]);
	static const struct { const char *spec; int c, h, w, B; } nets[] = {
		{ "conv6", 1, 32, 32, 32 },
		{ "conv6", 3, 32, 32, 7 },      /* CIFAR-10, a short last batch */
		{ "hara-mnist", 1, 28, 28, 64 },
		{ "conv:5:3:0,relu,pool,affine", 2, 9, 9, 1 },
	};
	int fails = 0;
	for (size_t k = 0; k < sizeof nets / sizeof *nets; k++) {
		nn_net net;
		char err[256], why[256];
		if (nn_init(&net, nets[k].spec, nets[k].c, nets[k].h, nets[k].w, 10, err,
			    sizeof err) < 0)
			die("%s", err);
		int ok = nn_cuda_dnn_probe(&net, nets[k].B, why, sizeof why);
		nn_free(&net);
		if (!ok && (strstr(why, "not found") || strstr(why, "CLEANSE_CONV"))) {
			printf("SKIP: %s\n", why);
			return 0;
		}
		printf("%s - %s (%d×%d×%d, batch %d): %s\n", ok ? "ok" : "FAIL", nets[k].spec,
		       nets[k].c, nets[k].h, nets[k].w, nets[k].B, why);
		fails += !ok;
	}
	/* and the probe can say no: a batch of 0 is not a tensor */
	nn_net net;
	char err[256], why[256];
	if (nn_init(&net, "conv6", 1, 32, 32, 10, err, sizeof err) < 0)
		die("%s", err);
	int ok = nn_cuda_dnn_probe(&net, 0, why, sizeof why);
	nn_free(&net);
	printf("%s - conv6 at batch 0 refused: %s\n", ok ? "FAIL" : "ok", why);
	fails += ok;
	return fails != 0;
}
