/*
 * util.h — the small helpers every cleanse program uses: diagnostics that
 * name the program, allocation that exits on failure, strict number parsing,
 * and output files that appear atomically (temp file + rename).
 *
 * Exit codes follow the project rule: 0 success, 1 runtime or data error,
 * 2 usage error.
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

extern const char *argv0;       /* set by each main via util_init */

void util_init(const char *prog);
/* util_init(argv[0]), then `--version` anywhere before a `--` prints
 * "prog (cleanse) VERSION" on stdout and exits 0: one call at the top of
 * each main, before its option parsing */
void util_start(int argc, char **argv);

/* print "argv0: msg" to stderr; a trailing ':' in fmt appends strerror(errno) */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* as warn, then exit(1) */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* as warn, then exit(2): for usage errors */
void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#ifdef CLEANSE_FUZZ
/* fuzzing builds only (make fuzz, tests/fuzz/): when set, die() and
 * die_usage() call this first, silently, and warn() prints nothing; the
 * harness's hook longjmps back, so one input's die() does not end the run */
extern void (*util_die_hook)(void);
#endif

#define ALLOC_ATTR __attribute__((returns_nonnull, warn_unused_result))
void *emalloc(size_t n) ALLOC_ATTR;
void *ecalloc(size_t n, size_t size) ALLOC_ATTR;
void *erealloc(void *p, size_t n) ALLOC_ATTR;
char *estrdup(const char *s) ALLOC_ATTR;
/* a freshly allocated string formatted as printf */
char *esprintf(const char *fmt, ...) ALLOC_ATTR __attribute__((format(printf, 1, 2)));
/* n*size, exiting if it overflows */
size_t emul(size_t n, size_t size);

/* strict parsers: the whole string must be a number in range; usage error
 * (exit 2) naming `what` otherwise */
uint64_t estrtou64(const char *s, uint64_t max, const char *what);
double estrtod(const char *s, double lo, double hi, const char *what);

/* Output files. out_open("-" or NULL) gives stdout; any other path gives a
 * temporary file in the same directory that is renamed into place only
 * when every write and the close succeeded (a path that exists and is
 * not a regular file, such as /dev/null or a FIFO, is written in place).
 * force=0 refuses binary output to a terminal.
 *
 * All the outputs of one run commit together: out_finish writes out one
 * file (flush, fsync, close) and leaves it waiting under its temporary
 * name; out_commit renames every waiting file into place, after whatever
 * the run still had to do succeeded. If one rename fails, those already
 * done are undone (the previous files come back) before the exit. A
 * program with one output calls out_close, which is out_finish then
 * out_commit. Any exit before out_commit (die, a signal) removes every
 * temporary file, finished or not, and leaves the previous outputs.
 * out_finish, out_commit and out_close return or exit(1) with a message. */
typedef struct out_file {
	FILE *f;
	char *path;     /* final path, NULL for stdout */
	char *tmp;      /* temporary path, NULL for stdout and devices */
} out_file;

void out_open(out_file *o, const char *path, int force);
void out_finish(out_file *o);
void out_commit(void);
void out_close(out_file *o);
/* remove the temporary file of an unfinished output (error paths) */
void out_abort(out_file *o);

/* open an input: "-" or NULL for stdin; exits with a message on failure,
 * and when stdin is a terminal (inputs are record streams, never typed) */
FILE *in_open(const char *path);
/* the same, the refusal of a terminal saying `hint`: what to pipe in or
 * which option to give */
FILE *in_open_for(const char *path, const char *hint);
void in_close(FILE *f);

/* fflush + ferror + fclose of stdout; exit 1 on failure */
void fshut_stdout(void);

#ifdef __cplusplus
}
#endif

#endif
