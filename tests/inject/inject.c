/*
 * inject.c — an LD_PRELOAD shim that makes one call fail, for
 * tests/cli/inject.sh (after jq's tests/inject_errors.c and SQLite's I/O
 * error tests).
 *
 *   INJECT=write:N    the N-th write to anything but stderr fails with
 *                     ENOSPC, nothing written: a write(2), or one of stdio's
 *                     fwrite, fputs, fputc, putchar, puts, printf, fprintf,
 *                     vfprintf and fflush (glibc's stdio writes through
 *                     its own internal write, which no shim can reach, so
 *                     its calls are failed where they enter; the stream's
 *                     error flag is set, as a failed write would)
 *   INJECT=fsync:N    the N-th fsync(2) fails with EIO
 *   INJECT=fclose:N   the N-th fclose(3) (not of stderr) closes the stream
 *                     but reports ENOSPC, as a failed final flush does
 *   INJECT=rename:N   the N-th rename(2) fails with EIO
 *   INJECT=malloc:N   the N-th malloc, calloc or realloc made by the
 *                     program itself (its own code and the libraries linked
 *                     into it: msgpack-c, zstd, libpng) returns NULL with
 *                     ENOMEM; glibc's and the shared libraries' own are
 *                     not counted (they fail in ways no program can
 *                     answer, often before main)
 *   INJECT_SKIP_FROM=0xOFF  malloc calls from the program's text at or past
 *                     this offset are not counted: tests/cli/inject.sh
 *                     sets it to where the statically linked CUDA runtime
 *                     begins, whose allocations (at load, before main, and
 *                     when a device is looked for) are not checked and so
 *                     cannot be answered by any program
 *   INJECT_COUNT=FILE at exit, append "write W fsync S fclose C rename R
 *                     malloc M": how many calls of each a run made
 *
 * Only the N-th call fails; the ones after it succeed again.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { F_WRITE, F_FSYNC, F_FCLOSE, F_RENAME, F_MALLOC, NF };
static const char *const fname[NF] = { "write", "fsync", "fclose", "rename", "malloc" };
static unsigned long count[NF];
static int which = -1;
static unsigned long nth;
static uintptr_t exe_lo, exe_hi;        /* the program's own text */
static uintptr_t exe_base, skip_from = UINTPTR_MAX;

static int find_exe(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size, (void)data;
	/* the first object is the executable */
	exe_base = info->dlpi_addr;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			exe_lo = info->dlpi_addr + ph->p_vaddr;
			exe_hi = exe_lo + ph->p_memsz;
		}
	}
	return 1;
}

__attribute__((constructor)) static void init(void)
{
	const char *s = getenv("INJECT");
	if (s) {
		const char *c = strchr(s, ':');
		for (int i = 0; c && i < NF; i++)
			if ((size_t)(c - s) == strlen(fname[i]) && !strncmp(s, fname[i], (size_t)(c - s)))
				which = i;
		if (which >= 0)
			nth = strtoul(c + 1, NULL, 10);
	}
	dl_iterate_phdr(find_exe, NULL);
	const char *k = getenv("INJECT_SKIP_FROM");
	if (k && *k)
		skip_from = exe_base + (uintptr_t)strtoull(k, NULL, 16);
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("INJECT_COUNT");
	if (!path)
		return;
	char buf[256];
	int n = snprintf(buf, sizeof buf, "write %lu fsync %lu fclose %lu rename %lu malloc %lu\n",
			 count[0], count[1], count[2], count[3], count[4]);
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);
	if (fd >= 0) {
		ssize_t w = syscall(1, fd, buf, (size_t)n);     /* SYS_write: not counted */
		(void)w;
		close(fd);
	}
}

/* 1: this call is to fail (with INJECT_TRACE set, the call's stack goes
 * to stderr, to find where a failure was not answered) */
static int hit(int f)
{
	if (++count[f] != nth || which != f)
		return 0;
	if (getenv("INJECT_TRACE")) {
		void *bt[16];
		backtrace_symbols_fd(bt, backtrace(bt, 16), 2);
	}
	return 1;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	if (!real)
		real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	if (fd != 2 && hit(F_WRITE)) {
		errno = ENOSPC;
		return -1;
	}
	return real(fd, buf, n);
}

int fsync(int fd)
{
	static int (*real)(int);
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	if (hit(F_FSYNC)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

int fclose(FILE *f)
{
	static int (*real)(FILE *);
	if (!real)
		real = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
	if (f != stderr && hit(F_FCLOSE)) {
		real(f);
		errno = ENOSPC;
		return EOF;
	}
	return real(f);
}

int rename(const char *a, const char *b)
{
	static int (*real)(const char *, const char *);
	if (!real)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	if (hit(F_RENAME)) {
		errno = EIO;
		return -1;
	}
	return real(a, b);
}

/* ---------------------------------------------------- stdio's writes */

#define REAL(name) \
	static __typeof__(name) *real; \
	if (!real) \
		real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static int fail_stream(FILE *f)
{
	if (f == stderr || !hit(F_WRITE))
		return 0;
	f->_flags |= _IO_ERR_SEEN;
	errno = ENOSPC;
	return 1;
}

size_t fwrite(const void *p, size_t size, size_t n, FILE *f)
{
	REAL(fwrite);
	return fail_stream(f) ? 0 : real(p, size, n, f);
}

int fputs(const char *s, FILE *f)
{
	REAL(fputs);
	return fail_stream(f) ? EOF : real(s, f);
}

int fputc(int c, FILE *f)
{
	REAL(fputc);
	return fail_stream(f) ? EOF : real(c, f);
}

int putchar(int c)
{
	REAL(putchar);
	return fail_stream(stdout) ? EOF : real(c);
}

int puts(const char *s)
{
	REAL(puts);
	return fail_stream(stdout) ? EOF : real(s);
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	REAL(vfprintf);
	return fail_stream(f) ? -1 : real(f, fmt, ap);
}

int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vfprintf(stdout, fmt, ap);
	va_end(ap);
	return r;
}

int fflush(FILE *f)
{
	REAL(fflush);
	return f && fail_stream(f) ? EOF : real(f);
}

/* ------------------------------------------------------------ allocation */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static int mine(const void *ret)
{
	return (uintptr_t)ret >= exe_lo && (uintptr_t)ret < exe_hi && (uintptr_t)ret < skip_from;
}

void *malloc(size_t n)
{
	if (mine(__builtin_return_address(0)) && hit(F_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t s)
{
	if (mine(__builtin_return_address(0)) && hit(F_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_calloc(n, s);
}

void *realloc(void *p, size_t n)
{
	if (mine(__builtin_return_address(0)) && hit(F_MALLOC)) {
		errno = ENOMEM;
		return NULL;
	}
	return __libc_realloc(p, n);
}
