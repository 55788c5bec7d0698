/*
 * fuzz.c — die() survival and leak sweeping for the libFuzzer harnesses
 * (see fuzz.h). Linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,
 *   --wrap=fopen,--wrap=fdopen,--wrap=fmemopen,--wrap=tmpfile,--wrap=fclose
 * so every such call from the static objects (lib/, msgpack-c, zstd,
 * libpng) comes here; glibc's own allocations (getline, scandir) do not,
 * and free() of one of those passes straight through.
 */

#include "fuzz.h"

#include <sanitizer/allocator_interface.h>
#include <sanitizer/asan_interface.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "../../lib/util/util.h"

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
void __real_free(void *);
FILE *__real_fopen(const char *, const char *);
FILE *__real_fdopen(int, const char *);
FILE *__real_fmemopen(void *, size_t, const char *);
FILE *__real_tmpfile(void);
int __real_fclose(FILE *);
static void release(void *p);

/* ------------------------------------------- the table of live resources
 * Open addressing with linear probing and backward-shift deletion; a key
 * is a pointer, its kind says whether to free() or fclose() it. */
enum { KIND_MEM = 1, KIND_FILE = 2 };
typedef struct slot { void *p; int kind; } slot;
static slot *tab;
static size_t tab_cap, tab_n;
static int tracking;

static size_t h(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x;
}

static void tab_put(void *p, int kind);

static void tab_grow(void)
{
	slot *old = tab;
	size_t oldcap = tab_cap;
	tab_cap = tab_cap ? tab_cap * 2 : 1024;
	tab = __real_calloc(tab_cap, sizeof *tab);
	if (!tab)
		abort();
	tab_n = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].p)
			tab_put(old[i].p, old[i].kind);
	__real_free(old);
}

static void tab_put(void *p, int kind)
{
	if (!p)
		return;
	if (2 * (tab_n + 1) > tab_cap)
		tab_grow();
	size_t i = h(p) & (tab_cap - 1);
	while (tab[i].p && tab[i].p != p)
		i = (i + 1) & (tab_cap - 1);
	if (!tab[i].p)
		tab_n++;
	tab[i] = (slot){ p, kind };
}

/* 1 if p was in the table (and is no longer) */
static int tab_del(void *p)
{
	if (!p || !tab_n)
		return 0;
	size_t m = tab_cap - 1, i = h(p) & m;
	while (tab[i].p && tab[i].p != p)
		i = (i + 1) & m;
	if (!tab[i].p)
		return 0;
	/* backward shift: move up any later entry whose home is at or before i */
	size_t j = i;
	for (;;) {
		j = (j + 1) & m;
		if (!tab[j].p)
			break;
		size_t home = h(tab[j].p) & m;
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			tab[i] = tab[j];
			i = j;
		}
	}
	tab[i] = (slot){ 0, 0 };
	tab_n--;
	return 1;
}

static void tab_sweep(void)
{
	for (size_t i = 0; i < tab_cap; i++)     /* streams first: they may use buffers */
		if (tab[i].kind == KIND_FILE)
			__real_fclose(tab[i].p);
	for (size_t i = 0; i < tab_cap; i++)
		if (tab[i].kind == KIND_MEM)
			release(tab[i].p);
	if (tab)
		memset(tab, 0, tab_cap * sizeof *tab);
	tab_n = 0;
}

/* ------------------------------------------- large blocks, kept for reuse
 * ASan maps every block over 128 KiB afresh and unmaps it on free; the
 * readers' buffers are that large, and the mmap/munmap (TLB flushes) made
 * an execution cost milliseconds. A freed large block is kept here,
 * poisoned (so a use after free is still reported), and handed out again
 * for a request of exactly its size: its redzones are ASan's own. */
enum { BIG = 64 << 10, NKEPT = 32 };
static struct { void *p; size_t n; } kept[NKEPT];
static int nkept;

static void *big_take(size_t n)
{
	if (n < BIG)
		return NULL;
	/* a block of n to n + n/4 bytes; past n (rounded up to ASan's 8-byte
	 * granule) it stays poisoned, as a redzone */
	int best = -1;
	for (int i = 0; i < nkept; i++)
		if (kept[i].n >= n && kept[i].n - n <= n / 4 &&
		    (best < 0 || kept[i].n < kept[best].n))
			best = i;
	if (best < 0)
		return NULL;
	void *p = kept[best].p;
	kept[best] = kept[--nkept];
	ASAN_UNPOISON_MEMORY_REGION(p, n);
	return p;
}

static void release(void *p)
{
	if (!p)
		return;
	size_t n = __sanitizer_get_allocated_size(p);
	if (n < BIG) {
		__real_free(p);
		return;
	}
	if (nkept == NKEPT) {
		__real_free(kept[0].p);
		kept[0] = kept[--nkept];
	}
	ASAN_POISON_MEMORY_REGION(p, n);
	kept[nkept].p = p;
	kept[nkept++].n = n;
}

/* ------------------------------------------------------------- the wraps */

void *__wrap_malloc(size_t n)
{
	void *p = big_take(n);
	if (!p)
		p = __real_malloc(n);
	if (tracking)
		tab_put(p, KIND_MEM);
	return p;
}

void *__wrap_calloc(size_t n, size_t s)
{
	void *p = s && n <= SIZE_MAX / s ? big_take(n * s) : NULL;
	if (p)
		memset(p, 0, n * s);
	else
		p = __real_calloc(n, s);
	if (tracking)
		tab_put(p, KIND_MEM);
	return p;
}

void *__wrap_realloc(void *p, size_t n)
{
	if (!p)
		return __wrap_malloc(n);
	int had = tab_del(p);
	void *q = __real_realloc(p, n);
	if (tracking && (q || had))
		tab_put(q ? q : p, KIND_MEM);
	return q;
}

void __wrap_free(void *p)
{
	tab_del(p);
	release(p);
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
	FILE *f = __real_fopen(path, mode);
	if (tracking)
		tab_put(f, KIND_FILE);
	return f;
}

FILE *__wrap_fdopen(int fd, const char *mode)
{
	FILE *f = __real_fdopen(fd, mode);
	if (tracking)
		tab_put(f, KIND_FILE);
	return f;
}

FILE *__wrap_fmemopen(void *buf, size_t n, const char *mode)
{
	FILE *f = __real_fmemopen(buf, n, mode);
	if (tracking)
		tab_put(f, KIND_FILE);
	return f;
}

FILE *__wrap_tmpfile(void)
{
	FILE *f = __real_tmpfile();
	if (tracking)
		tab_put(f, KIND_FILE);
	return f;
}

int __wrap_fclose(FILE *f)
{
	tab_del(f);
	return __real_fclose(f);
}

/* ------------------------------------------------------------- the calls */

static jmp_buf jb;

static void on_die(void)
{
	longjmp(jb, 1);
}

int fuzz_call(void (*fn)(const uint8_t *d, size_t n), const uint8_t *d, size_t n)
{
	static void (*volatile f)(const uint8_t *, size_t);
	f = fn;
	util_die_hook = on_die;
	tracking = 1;
	int died = setjmp(jb);
	if (!died)
		f(d, n);
	tracking = 0;
	util_die_hook = NULL;
	tab_sweep();
	return died;
}

uint8_t *fuzz_zstd(const uint8_t *d, size_t n, size_t *outn)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *z = malloc(cap);
	/* one context for the run, not swept: its workspace is not tracked */
	static ZSTD_CCtx *cctx;
	int t = tracking;
	tracking = 0;
	if (!cctx)
		cctx = ZSTD_createCCtx();
	size_t r = ZSTD_compressCCtx(cctx, z, cap, d, n, 1);
	tracking = t;
	if (ZSTD_isError(r))
		abort();
	*outn = r;
	return z;
}

FILE *fuzz_stream(const uint8_t *d, size_t n)
{
	size_t zn = n;
	const uint8_t *z = d;
	if (!(n >= 4 && d[0] == 0x28 && d[1] == 0xb5 && d[2] == 0x2f && d[3] == 0xfd))
		z = fuzz_zstd(d, n, &zn);       /* tracked: swept after the call */
	FILE *f = zn ? fmemopen((void *)z, zn, "rb") : fopen("/dev/null", "rb");
	if (!f)
		abort();
	return f;
}

static char scratch[64];
static char names[16][128];
static int nnames;

static void scratch_rm(void)
{
	for (int i = 0; i < nnames; i++)
		unlink(names[i]);
	rmdir(scratch);
}

const char *fuzz_file(const char *name, const uint8_t *d, size_t n)
{
	if (!scratch[0]) {
		strcpy(scratch, "/dev/shm/cleanse-fuzz.XXXXXX");
		if (!mkdtemp(scratch))
			abort();
		atexit(scratch_rm);
	}
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", scratch, name);
	int known = 0;
	for (int i = 0; i < nnames; i++)
		known |= !strcmp(names[i], path);
	if (!known && nnames < 16)
		strcpy(names[nnames++], path);
	FILE *f = __real_fopen(path, "wb");
	if (!f || fwrite(d, 1, n, f) != n || __real_fclose(f) != 0)
		abort();
	return path;
}
