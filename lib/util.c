/*
 * util.c — diagnostics, checked allocation, strict parsing and atomic output
 * files for every cleanse program (see util.h).
 */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *argv0 = "cleanse";

/* outputs not yet renamed into place: die() removes their temporary files,
 * so no half-written file is ever left behind */
#define MAX_PENDING 8
static out_file *pending[MAX_PENDING];

static void pending_set(out_file *o, out_file *with)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i] == o) {
			pending[i] = with;
			return;
		}
}

void util_init(const char *prog)
{
	const char *s = strrchr(prog, '/');
	argv0 = s ? s + 1 : prog;
}

static void vwarn(const char *fmt, va_list ap)
{
	int saved = errno;
	if (!fmt)               /* never: but gcc -fsanitize=undefined can't tell */
		fmt = "(null)";
	fprintf(stderr, "%s: ", argv0);
	vfprintf(stderr, fmt, ap);
	size_t n = strlen(fmt);
	if (n && fmt[n - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending[i])
			out_abort(pending[i]);
	exit(1);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", argv0);
	exit(2);
}

void *emalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *ecalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

void *erealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

char *estrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(emalloc(n), s, n);
}

char *esprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("esprintf: bad format");
	char *s = emalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

size_t emul(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		die("size overflow (%zu x %zu)", n, size);
	return n * size;
}

uint64_t estrtou64(const char *s, uint64_t max, const char *what)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		die_usage("invalid %s '%s'", what, s ? s : "");
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end)
		die_usage("invalid %s '%s'", what, s);
	if (v > max)
		die_usage("%s %s out of range (at most %llu)", what, s,
			  (unsigned long long)max);
	return v;
}

double estrtod(const char *s, double lo, double hi, const char *what)
{
	char *end;
	errno = 0;
	if (!s || !*s)
		die_usage("invalid %s ''", what);
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v))
		die_usage("invalid %s '%s'", what, s);
	if (v < lo || v > hi)
		die_usage("%s %s out of range [%g, %g]", what, s, lo, hi);
	return v;
}

void out_open(out_file *o, const char *path, int force)
{
	memset(o, 0, sizeof *o);
	if (!path || !strcmp(path, "-")) {
		if (!force && isatty(STDOUT_FILENO))
			die("refusing to write binary records to a terminal "
			    "(redirect stdout, or use -f)");
		o->f = stdout;
		return;
	}
	/* Devices and FIFOs (/dev/null, a named pipe) are written in place:
	 * renaming a temporary file over them would replace the device. */
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->f = fopen(path, "wb");
		if (!o->f)
			die("open %s:", path);
		o->path = estrdup(path);
		return;
	}
	o->path = estrdup(path);
	o->tmp = esprintf("%s.tmp.XXXXXX", path);
	int fd = mkstemp(o->tmp);
	if (fd < 0) {
		free(o->tmp);
		o->tmp = NULL;
		die("cannot create %s:", path);
	}
	/* mkstemp makes 0600; the finished file gets the usual 0666 & ~umask */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0)
		die("chmod %s:", o->tmp);
	o->f = fdopen(fd, "wb");
	if (!o->f)
		die("fdopen %s:", o->tmp);
	pending_set(NULL, o);
}

void out_abort(out_file *o)
{
	pending_set(o, NULL);
	if (o->tmp) {
		if (o->f)
			fclose(o->f);
		unlink(o->tmp);
	}
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof *o);
}

void out_close(out_file *o)
{
	if (!o->path) {
		fshut_stdout();
		o->f = NULL;
		return;
	}
	if (!o->tmp) {          /* a device or FIFO, written in place */
		if (fclose(o->f) != 0)
			die("write %s:", o->path);
		free(o->path);
		memset(o, 0, sizeof *o);
		return;
	}
	int bad = fflush(o->f) != 0 || ferror(o->f);
	if (!bad && fsync(fileno(o->f)) != 0 && errno != EINVAL)
		bad = 1;
	int saved = errno;
	if (fclose(o->f) != 0)
		bad = 1, saved = errno;
	o->f = NULL;
	if (bad) {
		errno = saved;
		warn("write %s:", o->path);
		out_abort(o);
		exit(1);
	}
	if (rename(o->tmp, o->path) != 0) {
		saved = errno;
		unlink(o->tmp);
		errno = saved;
		die("rename to %s:", o->path);
	}
	pending_set(o, NULL);
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof *o);
}

FILE *in_open(const char *path)
{
	if (!path || !strcmp(path, "-"))
		return stdin;
	FILE *f = fopen(path, "rb");
	if (!f)
		die("open %s:", path);
	return f;
}

void in_close(FILE *f)
{
	if (f && f != stdin)
		fclose(f);
}

void fshut_stdout(void)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int saved = errno;
	if (fclose(stdout) != 0 && !bad)
		bad = 1, saved = errno;
	if (bad) {
		errno = saved;
		die("write error on stdout:");
	}
}
