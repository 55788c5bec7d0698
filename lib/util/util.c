/*
 * util.c — diagnostics, checked allocation, strict parsing and atomic output
 * files for every cleanse program (see util.h).
 */
#include "util.h"
#include "version.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *argv0 = "cleanse";

/* ------------------------------------------------- pending temporary files
 * Outputs not yet renamed into place. Their temporary files are removed by
 * die(), by any other exit (atexit: a CUDA_CHECK's exit(1), a return from
 * main before out_close), and by SIGINT, SIGTERM, SIGHUP and SIGPIPE, whose
 * handler then re-raises the signal with its default action, so the process
 * still dies by it (the shell sees 128+N). No half-written file is left.
 * The handler may run at any instant, so it only calls unlink(2) on paths
 * in a fixed table; the table changes with those signals blocked. */
#define MAX_PENDING 8
static char pending[MAX_PENDING][PATH_MAX];
static volatile sig_atomic_t pending_used[MAX_PENDING];
static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };

static void pending_unlink_all(void)
{
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending_used[i])
			unlink(pending[i]);
}

static void on_signal(int sig)
{
	int saved = errno;
	pending_unlink_all();
	/* die by the same signal: it is blocked while this handler runs, and
	 * delivered, with the default action, when it returns */
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

static void signals_block(sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++)
		sigaddset(&set, cleanup_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

/* the first time: handlers for the signals not ignored (a signal ignored
 * on entry, as nohup ignores SIGHUP, stays ignored), and the atexit hook */
static void pending_init(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	atexit(pending_unlink_all);
	for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++) {
		struct sigaction sa, old;
		if (sigaction(cleanup_signals[i], NULL, &old) != 0 ||
		    old.sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(cleanup_signals[i], &sa, NULL);
	}
}

static void pending_add(const char *path)
{
	pending_init();
	if (strlen(path) >= PATH_MAX)
		die("%s: path too long", path);
	sigset_t old;
	signals_block(&old);
	int i = 0;
	while (i < MAX_PENDING && pending_used[i])
		i++;
	if (i < MAX_PENDING) {
		strcpy(pending[i], path);
		pending_used[i] = 1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (i == MAX_PENDING) {
		unlink(path);
		die("internal error: more than %d outputs open", MAX_PENDING);
	}
}

static void pending_remove(const char *path)
{
	sigset_t old;
	signals_block(&old);
	for (int i = 0; i < MAX_PENDING; i++)
		if (pending_used[i] && !strcmp(pending[i], path)) {
			pending_used[i] = 0;
			break;
		}
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ---------------------------------------------------------------- messages */

#ifdef CLEANSE_FUZZ
void (*util_die_hook)(void);
#define DIE_HOOK() do { if (util_die_hook) util_die_hook(); } while (0)
#else
#define DIE_HOOK() ((void)0)
#endif

void util_init(const char *prog)
{
	const char *s = strrchr(prog, '/');
	argv0 = s ? s + 1 : prog;
}

void util_start(int argc, char **argv)
{
	util_init(argc > 0 && argv[0] ? argv[0] : "cleanse");
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--version")) {
			printf("%s (cleanse) %s\n", argv0, cleanse_version());
			fshut_stdout();
			exit(0);
		}
}

static void vwarn(const char *fmt, va_list ap)
{
	int saved = errno;
#ifdef CLEANSE_FUZZ
	if (util_die_hook)
		return;
#endif
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

/* A program that dies leaves what it allocated to the system, by design
 * (one exit path, no cleanup on every error path). Built with ASan
 * (make SANITIZE=address), LeakSanitizer would report all of it at exit
 * and bury the one-line message; so there die() ends with _exit, after
 * flushing stdout as exit would (the temporary outputs are already gone),
 * and only the leaks of a normal exit are reported. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)   /* clang */
#define __SANITIZE_ADDRESS__ 1
#endif
#endif
static void __attribute__((noreturn)) die_exit(int code)
{
#if defined(__SANITIZE_ADDRESS__)
	fflush(stdout);
	_exit(code);
#else
	exit(code);
#endif
}

void die(const char *fmt, ...)
{
	DIE_HOOK();
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	pending_unlink_all();   /* atexit would too: this says it here */
	die_exit(1);
}

void die_usage(const char *fmt, ...)
{
	DIE_HOOK();
	va_list ap;
	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help'.\n", argv0);
	die_exit(2);
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
	/* handlers first, so no signal falls between mkstemp and pending_add */
	pending_init();
	sigset_t old;
	signals_block(&old);
	int fd = mkstemp(o->tmp);
	if (fd >= 0)
		pending_add(o->tmp);
	sigprocmask(SIG_SETMASK, &old, NULL);
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
}

void out_abort(out_file *o)
{
	if (o->tmp) {
		if (o->f)
			fclose(o->f);
		unlink(o->tmp);
		pending_remove(o->tmp);
	}
	free(o->tmp);
	free(o->path);
	memset(o, 0, sizeof *o);
}

/* outputs finished and waiting for out_commit: their temporary files are
 * still in the pending table */
static struct { char *tmp, *path; } waiting[MAX_PENDING];
static int nwaiting;

void out_finish(out_file *o)
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
	if (fclose(o->f) != 0 && !bad)
		bad = 1, saved = errno;
	o->f = NULL;
	if (bad) {
		errno = saved;
		die("write %s:", o->path);      /* die unlinks o->tmp, and the others */
	}
	if (nwaiting == MAX_PENDING)            /* never: out_open would have died */
		die("internal error: more than %d outputs", MAX_PENDING);
	waiting[nwaiting].tmp = o->tmp;
	waiting[nwaiting++].path = o->path;
	memset(o, 0, sizeof *o);
}

/* a hard link to the file now at path, under a fresh name beside it, so a
 * commit that fails half-way can put it back; NULL if there is none (or
 * the file system refuses links: then that output cannot be restored) */
static char *backup_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	char *bak = esprintf("%s.old.XXXXXX", path);
	int fd = mkstemp(bak);
	if (fd < 0 || (close(fd), unlink(bak) != 0) || link(path, bak) != 0) {
		free(bak);
		return NULL;
	}
	return bak;
}

void out_commit(void)
{
	sigset_t old;
	/* no signal between the renames: one arriving now is delivered after,
	 * when every output is in place */
	signals_block(&old);
	char *bak[MAX_PENDING] = { 0 };
	int had[MAX_PENDING] = { 0 };
	if (nwaiting > 1)
		for (int k = 0; k < nwaiting; k++) {
			struct stat st;
			had[k] = stat(waiting[k].path, &st) == 0;
			bak[k] = backup_of(waiting[k].path);
		}
	int k = 0;
	for (; k < nwaiting; k++)
		if (rename(waiting[k].tmp, waiting[k].path) != 0)
			break;
	if (k < nwaiting) {
		int saved = errno;
		/* undo: the previous files back (or none, where there was none) */
		for (int j = 0; j < k; j++) {
			if (bak[j] && rename(bak[j], waiting[j].path) == 0) {
				free(bak[j]);
				bak[j] = NULL;
			} else if (!had[j]) {
				unlink(waiting[j].path);
			}
		}
		for (int j = 0; j < nwaiting; j++)
			if (bak[j])
				unlink(bak[j]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		errno = saved;
		die("rename to %s:", waiting[k].path);  /* die unlinks the temporaries */
	}
	for (int j = 0; j < nwaiting; j++) {
		if (bak[j])
			unlink(bak[j]);
		free(bak[j]);
		pending_remove(waiting[j].tmp);
		free(waiting[j].tmp);
		free(waiting[j].path);
	}
	nwaiting = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void out_close(out_file *o)
{
	out_finish(o);
	out_commit();
}

FILE *in_open(const char *path)
{
	return in_open_for(path, NULL);
}

FILE *in_open_for(const char *path, const char *hint)
{
	if (!path || !strcmp(path, "-")) {
		/* records are never typed: waiting on a terminal would look
		 * like a hang */
		if (isatty(STDIN_FILENO))
			die("stdin is a terminal: %s", hint ? hint :
			    "pipe a stream in, or name the input file");
		return stdin;
	}
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
