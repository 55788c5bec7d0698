/*
 * fuzz.h — what the libFuzzer harnesses in tests/fuzz/ share (fuzz.c).
 *
 * The readers exit through die() on bad input, as the programs must. Built
 * with -DCLEANSE_FUZZ, lib/util/util.c calls util_die_hook first; fuzz_call sets
 * it to a longjmp back into the harness, so an input that is refused is one
 * more execution, not the end of the run. What the reader had allocated or
 * opened when it died is released by fuzz_call: every malloc, calloc,
 * realloc and FILE open of the library, msgpack-c, zstd and libpng goes
 * through the linker's --wrap into fuzz.c, which keeps a table of what is
 * live while a call runs and frees the rest when it returns. A crash, a
 * sanitizer report, an abort (assert) or an exit other than die() is a
 * finding.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* run fn(d, n) catching die(); frees what it left; 1 if it died */
int fuzz_call(void (*fn)(const uint8_t *d, size_t n), const uint8_t *d, size_t n);

/* the bytes zstd-compressed (level 1), as a record stream carries them;
 * caller frees with free() */
uint8_t *fuzz_zstd(const uint8_t *d, size_t n, size_t *outn);

/* a stream over the bytes for a record reader, inside fuzz_call: the
 * bytes as they are when they begin with the zstd magic (the framing),
 * else zstd-compressed first (the msgpack inside); closed by the sweep */
FILE *fuzz_stream(const uint8_t *d, size_t n);

/* write the bytes to a file named `name` in this process's scratch
 * directory (made on first use, removed at exit); returns its path,
 * valid until the next call with the same name */
const char *fuzz_file(const char *name, const uint8_t *d, size_t n);

#endif
