/*
 * cuda_check.h — CUDA_CHECK / CUBLAS_CHECK: a failed call ends the program
 * the way every other error does, through die() (lib/util/util.h): one line
 * "program: CUDA: … (file:line)" on stderr, temporary outputs removed,
 * exit 1.
 */
#ifndef CUDA_CHECK_H
#define CUDA_CHECK_H

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include "../lib/util/util.h"

#define CUDA_CHECK(x)                                                         \
	do {                                                                  \
		cudaError_t e_ = (x);                                         \
		if (e_ != cudaSuccess)                                        \
			die("CUDA: %s (%s:%d)", cudaGetErrorString(e_),       \
			    __FILE__, __LINE__);                              \
	} while (0)

/* cuBLAS is opened at run time (kernels/nn_cuda.cu): its error string */
const char *nn_cublas_error(cublasStatus_t s);

#define CUBLAS_CHECK(x)                                                       \
	do {                                                                  \
		cublasStatus_t s_ = (x);                                      \
		if (s_ != CUBLAS_STATUS_SUCCESS)                              \
			die("cuBLAS: %s (%s:%d)", nn_cublas_error(s_),        \
			    __FILE__, __LINE__);                              \
	} while (0)

#endif
