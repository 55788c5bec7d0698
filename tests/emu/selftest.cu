/*
 * selftest.cu — the emulation catches what a GPU would not forgive (make
 * test-emu runs it first): each case runs in a child process that must
 * stop with the expected message, and kernels/nn_cuda.cu's block reduction
 * must give the right sum. Compiled only for the emulation (CUDA_EMU=1).
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../kernels/cuda_check.h"

#define TPB 256 /* the block size kernels/nn_cuda.cu launches k_row_sums with */

__global__ void k_write(float *p, int at) { p[at] = 1; }

/* kernels/nn_cuda.cu's block reduction: db[row] += Σ d[row, ·] */
__global__ void k_row_sums(float *db, const float *d, size_t n);

__global__ void k_diverge(float *out)
{
	if (threadIdx.x < 3)
		return;
	__syncthreads();
	*out = 1;
}

static int failed;

/* runs f in a child: it must exit non-zero or die by a signal, with want
 * in its stderr (want NULL: any) */
static void expect_stop(const char *what, void (*f)(void), const char *want)
{
	int fd[2];
	if (pipe(fd))
		return;
	fflush(stdout); /* or the child would print it again */
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		f();
		_exit(0);
	}
	close(fd[1]);
	char buf[1024] = "";
	ssize_t k, got = 0;
	while ((k = read(fd[0], buf + got, sizeof buf - 1 - got)) > 0)
		got += k;
	buf[got] = 0;
	close(fd[0]);
	int st;
	waitpid(pid, &st, 0);
	int stopped = WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st));
	int ok = stopped && (!want || strstr(buf, want));
	printf("%s - %s%s%s", ok ? "ok" : "FAIL", what, ok ? "\n" : ": ", ok ? "" : buf);
	if (!ok && !*buf)
		printf("(%s)\n", stopped ? "no message" : "it went on");
	failed += !ok;
}

static float *buf16(void)
{
	float *p;
	CUDA_CHECK(cudaMalloc((void **)&p, 16 * sizeof(float)));
	return p;
}

static void past_end(void)
{
	LAUNCH(k_write, 1, 1)(buf16(), 16);
}

static void before_start(void)
{
	float *p = buf16();
	LAUNCH(k_write, 1, 1)(p, -1);
	cudaFree(p);
}

static void host_arg(void)
{
	static float h[16];
	LAUNCH(k_write, 1, 1)(h, 0);
}

static void host_copy(void)
{
	static float h[16], g[16];
	CUDA_CHECK(cudaMemcpy(g, h, sizeof h, cudaMemcpyHostToDevice));
}

static void copy_too_long(void)
{
	static float h[17];
	CUDA_CHECK(cudaMemcpy(buf16(), h, sizeof h, cudaMemcpyHostToDevice));
}

static void unmarked_sync(void)
{
	LAUNCH(k_row_sums, 1, TPB)(buf16(), buf16(), 16);
}

static void divergent_barrier(void)
{
	LAUNCH_SYNC(k_diverge, 1, 32)(buf16());
}

static void bad_config(void)
{
	LAUNCH(k_write, 1, 2048)(buf16(), 0);
	CUDA_CHECK(cudaGetLastError());
}

static void empty_grid(void)
{
	LAUNCH(k_write, 0, 1)(buf16(), 0);
	CUDA_CHECK(cudaGetLastError());
}

int main(void)
{
	expect_stop("a kernel writing past the end of a buffer faults", past_end, NULL);
	expect_stop("a kernel writing before a buffer is reported at cudaFree", before_start,
		    "written before");
	expect_stop("a host pointer as a kernel argument", host_arg, "not device memory");
	expect_stop("cudaMemcpy to a host pointer as if device memory", host_copy,
		    "not device memory");
	expect_stop("cudaMemcpy past the end of a buffer", copy_too_long, "not device memory");
	expect_stop("__syncthreads in a kernel launched without LAUNCH_SYNC", unmarked_sync,
		    "launch it with LAUNCH_SYNC");
	expect_stop("a barrier some threads never reach", divergent_barrier, "__syncthreads");
	expect_stop("2,048 threads a block", bad_config, "invalid configuration");
	expect_stop("an empty grid", empty_grid, "invalid configuration");

	/* a block-wide tree reduction through the fibers */
	const int n = 1000;
	float h[n], got = 0, want = 0, *x, *out;
	for (int i = 0; i < n; i++)
		h[i] = (float)(i % 7), want += h[i];
	CUDA_CHECK(cudaMalloc((void **)&x, sizeof h));
	CUDA_CHECK(cudaMalloc((void **)&out, sizeof(float)));
	CUDA_CHECK(cudaMemcpy(x, h, sizeof h, cudaMemcpyHostToDevice));
	CUDA_CHECK(cudaMemset(out, 0, sizeof(float)));
	LAUNCH_SYNC(k_row_sums, 1, TPB)(out, x, (size_t)n);
	CUDA_CHECK(cudaGetLastError());
	CUDA_CHECK(cudaMemcpy(&got, out, sizeof got, cudaMemcpyDeviceToHost));
	printf("%s - a block reduction with __syncthreads: %g (want %g)\n",
	       got == want ? "ok" : "FAIL", got, want);
	failed += got != want;
	cudaFree(x), cudaFree(out);
	return failed != 0;
}
