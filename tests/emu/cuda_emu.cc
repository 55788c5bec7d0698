/*
 * cuda_emu.cc — the runtime of the CPU emulation (see cuda_emu.h): the
 * parts of the CUDA runtime and of cuBLAS that kernels/ calls, written
 * from their documented behaviour, strict where a GPU would be: a copy or
 * a GEMM that reaches outside device memory, a bad launch configuration or
 * a barrier not every thread reaches stops the program with a message.
 */
#include "cuda_emu.h"

#include <map>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif
#include <unistd.h>
#include <vector>

namespace emu {
uint3 thread_idx, block_idx;
dim3 block_dim, grid_dim;
}

[[noreturn]] static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("cuda-emu: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ========================================================== device memory */

/* each allocation: [map, map + len) mapped, its last page PROT_NONE; the
 * buffer [p, p + n) ends at most 7 bytes below that page (n rounded up to
 * 8 for alignment) and the bytes around it, up to the guard page, hold a
 * pattern checked when the buffer is freed: reading or writing past the
 * end faults, writing before the start or into the rounding is reported */
struct block {
	char *map;
	size_t len, n;
};
static std::map<uintptr_t, block> mem;
static const size_t MEM_LIMIT = (size_t)16 << 30;
static const unsigned char CANARY = 0xa5;
static size_t mem_used;

static size_t rounded(size_t n) { return n ? (n + 7) / 8 * 8 : 8; }

/* the allocation holding [p, p + n), or NULL */
static const block *find(const void *p, size_t n)
{
	uintptr_t a = (uintptr_t)p;
	auto it = mem.upper_bound(a);
	if (it == mem.begin())
		return NULL;
	--it;
	return a - it->first + n <= it->second.n ? &it->second : NULL;
}

static int is_device(const void *p, size_t n) { return p && find(p, n); }

/* for tests/emu/cudnn_emu.cc, which the program opens as libcudnn.so.9 */
extern "C" int emu_is_device(const void *p, size_t n) { return is_device(p, n); }

static cudaError_t last = cudaSuccess;

extern "C" cudaError_t cudaMalloc(void **p, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), m = rounded(n);
	if (m > MEM_LIMIT - mem_used)
		return last = cudaErrorMemoryAllocation;
	size_t len = (m + page - 1) / page * page + 2 * page;
	char *map = (char *)mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
	if (map == MAP_FAILED)
		return last = cudaErrorMemoryAllocation;
	if (mprotect(map + len - page, page, PROT_NONE))
		die("mprotect failed");
	char *d = map + len - page - m;
	memset(map, CANARY, len - page);
	memset(d, 0xff, n); /* NaN floats, -1 ints: reading before writing shows */
	mem[(uintptr_t)d] = block{ map, len, n };
	mem_used += m;
	*p = d;
	return cudaSuccess;
}

/* the pattern around a buffer is intact */
static void check_canary(const char *d, const block &b)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const char *end = b.map + b.len - page;
	for (const char *q = b.map; q < end; q++) {
		if (q == d)
			q += b.n;
		if (q < end && (unsigned char)*q != CANARY)
			die("device buffer of %zu bytes at %p: written %s it (byte %td)", b.n,
			    (const void *)d, q < d ? "before" : "past the end of", q - d);
	}
}

extern "C" cudaError_t cudaFree(void *p)
{
	if (!p)
		return cudaSuccess;
	auto it = mem.find((uintptr_t)p);
	if (it == mem.end())
		die("cudaFree of %p, which cudaMalloc did not return", p);
	check_canary((const char *)p, it->second);
	mem_used -= rounded(it->second.n);
	munmap(it->second.map, it->second.len);
	mem.erase(it);
	return cudaSuccess;
}

extern "C" cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, cudaMemcpyKind kind)
{
	if (!n)
		return cudaSuccess;
	int dd = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
	int sd = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
	if (kind != cudaMemcpyHostToDevice && kind != cudaMemcpyDeviceToHost &&
	    kind != cudaMemcpyDeviceToDevice)
		die("cudaMemcpy: kind %d is not emulated", (int)kind);
	if (dd != is_device(dst, n) || sd != is_device(src, n))
		die("cudaMemcpy of %zu bytes %p → %p: %s is not %s memory of that size", n, src, dst,
		    dd != is_device(dst, n) ? "destination" : "source",
		    (dd != is_device(dst, n) ? dd : sd) ? "device" : "host");
	memcpy(dst, src, n);
	return cudaSuccess;
}

extern "C" cudaError_t cudaMemset(void *p, int v, size_t n)
{
	if (n && !is_device(p, n))
		die("cudaMemset of %zu bytes at %p: not device memory of that size", n, p);
	memset(p, v, n);
	return cudaSuccess;
}

extern "C" cudaError_t cudaGetLastError(void)
{
	cudaError_t e = last;
	last = cudaSuccess;
	return e;
}

extern "C" const char *cudaGetErrorString(cudaError_t e)
{
	switch (e) {
	case cudaSuccess:
		return "no error";
	case cudaErrorMemoryAllocation:
		return "out of memory";
	case cudaErrorInvalidConfiguration:
		return "invalid configuration argument";
	case cudaErrorInvalidValue:
		return "invalid argument";
	default:
		return "unknown error";
	}
}

extern "C" cudaError_t cudaGetDeviceCount(int *n)
{
	*n = 1;
	return cudaSuccess;
}

extern "C" cudaError_t cudaGetDeviceProperties(cudaDeviceProp *p, int dev)
{
	if (dev != 0)
		return last = cudaErrorInvalidDevice;
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "CPU emulation (tests/emu)");
	p->major = 9, p->minor = 0;
	p->totalGlobalMem = MEM_LIMIT;
	p->maxThreadsPerBlock = 1024;
	return cudaSuccess;
}

extern "C" cudaError_t cudaRuntimeGetVersion(int *v)
{
	*v = CUDART_VERSION;
	return cudaSuccess;
}

extern "C" cudaError_t cudaDriverGetVersion(int *v)
{
	*v = CUDART_VERSION;
	return cudaSuccess;
}

/* ================================================================ launches */

void emu::check_arg(const char *kernel, int i, const void *p)
{
	if (p && !find(p, 1))
		die("%s: argument %d (%p) is not device memory", kernel, i, p);
}

/*
 * The threads of a LAUNCH_SYNC block run as fibers: each runs until it
 * reaches __syncthreads or ends, then the next; a round ends when every
 * thread has. On x86-64 a fiber switch is six saved registers and a stack
 * pointer (swapcontext makes a system call per switch, which made the
 * emulated tests many times slower); elsewhere it is swapcontext.
 */
struct fiber {
	std::vector<char> stack;
	bool done;
#if defined(__x86_64__)
	void *sp;
#else
	ucontext_t ctx;
#endif
};
static std::vector<fiber> fibers;
static const std::function<void()> *body_now;
static unsigned fiber_now;
static bool in_sync;
static const char *kernel_now;
static const size_t FIBER_STACK = 64 << 10;

#if defined(__x86_64__)
/* saves the callee-saved registers on the current stack and its pointer in
 * *save, then continues on stack to with the registers saved there */
extern "C" void emu_switch(void **save, void *to);
asm(".text\n"
    ".globl emu_switch\n"
    ".type emu_switch, @function\n"
    "emu_switch:\n"
    "\tpushq %rbp\n\tpushq %rbx\n\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n"
    "\tmovq %rsp, (%rdi)\n"
    "\tmovq %rsi, %rsp\n"
    "\tpopq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n"
    "\tret\n"
    ".size emu_switch, .-emu_switch\n");
static void *sched_sp;

static void to_sched(void) { emu_switch(&fibers[fiber_now].sp, sched_sp); }
static void to_fiber(unsigned t) { emu_switch(&sched_sp, fibers[t].sp); }

[[noreturn]] static void fiber_main(void)
{
	(*body_now)();
	fibers[fiber_now].done = true;
	to_sched();
	__builtin_unreachable();
}

/* a fresh stack whose first switch enters fiber_main: six zero registers,
 * then fiber_main as the return address, with the stack aligned as at a
 * call */
static void fiber_start(fiber &f)
{
	uintptr_t top = ((uintptr_t)f.stack.data() + f.stack.size()) & ~(uintptr_t)15;
	void **sp = (void **)(top - 64);
	for (int i = 0; i < 6; i++)
		sp[i] = NULL;
	sp[6] = (void *)fiber_main;
	sp[7] = NULL;
	f.sp = sp;
}
#else
static ucontext_t sched;

static void to_sched(void) { swapcontext(&fibers[fiber_now].ctx, &sched); }
static void to_fiber(unsigned t) { swapcontext(&sched, &fibers[t].ctx); }

static void fiber_main(void)
{
	(*body_now)();
	fibers[fiber_now].done = true; /* returns to sched through uc_link */
}

static void fiber_start(fiber &f)
{
	getcontext(&f.ctx);
	f.ctx.uc_stack.ss_sp = f.stack.data();
	f.ctx.uc_stack.ss_size = f.stack.size();
	f.ctx.uc_link = &sched;
	makecontext(&f.ctx, fiber_main, 0);
}
#endif

void emu::syncthreads()
{
	if (!in_sync)
		die("%s calls __syncthreads: launch it with LAUNCH_SYNC", kernel_now);
	to_sched();
}

static void run_block_fibers(unsigned nt, const std::function<void()> &body)
{
	if (fibers.size() < nt)
		fibers.resize(nt);
	body_now = &body;
	for (unsigned t = 0; t < nt; t++) {
		fibers[t].stack.resize(FIBER_STACK);
		fibers[t].done = false;
		fiber_start(fibers[t]);
	}
	for (;;) {
		unsigned done = 0;
		for (unsigned t = 0; t < nt; t++) {
			if (fibers[t].done) {
				done++;
				continue;
			}
			fiber_now = t;
			emu::thread_idx = uint3{ t, 0, 0 };
			to_fiber(t);
			done += fibers[t].done;
		}
		if (done == nt)
			return;
		if (done)
			die("%s: block %u: %u of %u threads ended while the rest wait at __syncthreads",
			    kernel_now, emu::block_idx.x, done, nt);
	}
}

void emu::run(dim3 grid, dim3 block, bool sync, const char *kernel, size_t arg_bytes,
	      const std::function<void()> &body)
{
	unsigned long long nt = (unsigned long long)block.x * block.y * block.z;
	if (grid.x < 1 || grid.x > 0x7fffffffu || grid.y < 1 || grid.y > 65535 || grid.z < 1 ||
	    grid.z > 65535 || nt < 1 || nt > 1024 || block.z > 64 || arg_bytes > 4096) {
		last = cudaErrorInvalidConfiguration;
		return;
	}
	if (grid.y != 1 || grid.z != 1 || block.y != 1 || block.z != 1)
		die("%s: only one-dimensional launches are emulated", kernel);
	kernel_now = kernel;
	grid_dim = grid, block_dim = block;
	for (unsigned b = 0; b < grid.x; b++) {
		block_idx = uint3{ b, 0, 0 };
		if (sync) {
			in_sync = true;
			run_block_fibers((unsigned)nt, body);
			in_sync = false;
			continue;
		}
		for (unsigned t = 0; t < nt; t++) {
			thread_idx = uint3{ t, 0, 0 };
			body();
		}
	}
}

/* ================================================================== cuBLAS */

struct cublasContext {
	cublasMath_t math;
};

extern "C" cublasStatus_t cublasCreate_v2(cublasHandle_t *h)
{
	*h = new cublasContext{ CUBLAS_DEFAULT_MATH };
	return CUBLAS_STATUS_SUCCESS;
}

extern "C" cublasStatus_t cublasDestroy_v2(cublasHandle_t h)
{
	delete h;
	return CUBLAS_STATUS_SUCCESS;
}

extern "C" cublasStatus_t cublasSetMathMode(cublasHandle_t h, cublasMath_t m)
{
	h->math = m;
	return CUBLAS_STATUS_SUCCESS;
}

extern "C" const char *cublasGetStatusString(cublasStatus_t s)
{
	return s == CUBLAS_STATUS_SUCCESS ? "CUBLAS_STATUS_SUCCESS" :
	       s == CUBLAS_STATUS_INVALID_VALUE ? "CUBLAS_STATUS_INVALID_VALUE" :
						  "CUBLAS_STATUS_NOT_SUPPORTED";
}

/* a column-major rows × cols matrix with leading dimension ld at p lies in
 * device memory */
static void check_matrix(const char *what, const float *p, int rows, int cols, int ld)
{
	size_t n = ((size_t)(cols - 1) * ld + rows) * sizeof(float);
	if (!is_device(p, n))
		die("cublasSgemm: %s (%d × %d, ld %d) at %p is not device memory of that size",
		    what, rows, cols, ld, (const void *)p);
}

/* C = α op(A) op(B) + βC, column-major; C is not read when β = 0 */
extern "C" cublasStatus_t cublasSgemm_v2(cublasHandle_t, cublasOperation_t ta,
					 cublasOperation_t tb, int m, int n, int k,
					 const float *alpha, const float *A, int lda,
					 const float *B, int ldb, const float *beta, float *C,
					 int ldc)
{
	int ar = ta == CUBLAS_OP_N ? m : k, ac = ta == CUBLAS_OP_N ? k : m;
	int br = tb == CUBLAS_OP_N ? k : n, bc = tb == CUBLAS_OP_N ? n : k;
	if (m < 0 || n < 0 || k < 0 || lda < (ar > 1 ? ar : 1) || ldb < (br > 1 ? br : 1) ||
	    ldc < (m > 1 ? m : 1))
		return CUBLAS_STATUS_INVALID_VALUE;
	if (!m || !n)
		return CUBLAS_STATUS_SUCCESS;
	if (k)
		check_matrix("A", A, ar, ac, lda), check_matrix("B", B, br, bc, ldb);
	check_matrix("C", C, m, n, ldc);
	for (int j = 0; j < n; j++)
		for (int i = 0; i < m; i++) {
			float s = 0;
			for (int l = 0; l < k; l++) {
				float a = ta == CUBLAS_OP_N ? A[i + (size_t)l * lda] : A[l + (size_t)i * lda];
				float b = tb == CUBLAS_OP_N ? B[l + (size_t)j * ldb] : B[j + (size_t)l * ldb];
				s += a * b;
			}
			float *c = &C[i + (size_t)j * ldc];
			*c = *alpha * s + (*beta == 0 ? 0 : *beta * *c);
		}
	return CUBLAS_STATUS_SUCCESS;
}
