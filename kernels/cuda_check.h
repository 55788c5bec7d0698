/*
 * cuda_check.h — CUDA_CHECK / CUBLAS_CHECK: on failure print file:line and
 * the library's error string to stderr (never stdout: it carries records)
 * and exit 1.
 */
#ifndef CUDA_CHECK_H
#define CUDA_CHECK_H

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <stdio.h>
#include <stdlib.h>

#define CUDA_CHECK(x)                                                         \
	do {                                                                  \
		cudaError_t e_ = (x);                                         \
		if (e_ != cudaSuccess) {                                      \
			fprintf(stderr, "%s:%d: CUDA: %s\n", __FILE__, __LINE__, \
				cudaGetErrorString(e_));                      \
			exit(1);                                              \
		}                                                             \
	} while (0)

#define CUBLAS_CHECK(x)                                                       \
	do {                                                                  \
		cublasStatus_t s_ = (x);                                      \
		if (s_ != CUBLAS_STATUS_SUCCESS) {                            \
			fprintf(stderr, "%s:%d: cuBLAS: %s\n", __FILE__, __LINE__, \
				cublasGetStatusString(s_));                   \
			exit(1);                                              \
		}                                                             \
	} while (0)

#endif
