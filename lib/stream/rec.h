/*
 * rec.h — the record stream layer: msgpack objects in zstd frames, with a
 * header first and a trailer (count + CRC-32) last (formats/stream.md).
 *
 * Writer:  w = rec_writer_open(f, "name");
 *          rec_header_begin(w, "dataset", 1, nextra); pack nextra key/values;
 *          rec_writer_begin(w);
 *          for each record: pack one map with rec_writer_pk(w); rec_writer_commit(w);
 *          rec_writer_close(w);         (trailer, end of frame, fflush)
 *   A write error exits the program with a message naming the output
 *   (util.h die), so no caller can miss one.
 *
 * Reader:  r = rec_reader_open(f, "name", "dataset", 1, binding_keys);
 *          if (rec_reader_error(r)) ...;  rec_reader_header(r);
 *          while ((rc = rec_reader_next(r, &obj)) == 1) ...;
 *          rc == 0: clean end (trailer seen and verified); rc == -1: error,
 *          sticky, text from rec_reader_error(r).
 *   The object from rec_reader_next, and every str/bin pointer inside it,
 *   is valid only until the next call: copy out what you keep (memcpy; bin
 *   payloads are unaligned). The header object stays valid until close.
 */
#ifndef REC_H
#define REC_H

#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------------ writer */

typedef struct rec_writer rec_writer;

/* f stays the caller's (not closed); name appears in error messages */
rec_writer *rec_writer_open(FILE *f, const char *name);
msgpack_packer *rec_writer_pk(rec_writer *w);
/* pack the header map's first four entries (magic, kind, version, and the
 * writer: argv0 and cleanse_version()); the caller packs nextra more */
void rec_header_begin(rec_writer *w, const char *kind, unsigned version,
		      size_t nextra);
/* the header is complete: what follows are records */
void rec_writer_begin(rec_writer *w);
/* one record has been packed */
void rec_writer_commit(rec_writer *w);
uint64_t rec_writer_count(const rec_writer *w);
/* write the trailer, end the zstd frame, fflush f, free w; returns the
 * number of compressed bytes written */
uint64_t rec_writer_close(rec_writer *w);

/* packing helpers */
void pk_str(msgpack_packer *pk, const char *s);
void pk_bin(msgpack_packer *pk, const void *p, size_t n);
void pk_kv_str(msgpack_packer *pk, const char *key, const char *val);
void pk_kv_u64(msgpack_packer *pk, const char *key, uint64_t v);
void pk_kv_f64(msgpack_packer *pk, const char *key, double v);
void pk_kv_bin(msgpack_packer *pk, const char *key, const void *p, size_t n);

/* ------------------------------------------------------------------ reader */

/* The most msgpack values one object may hold (a map of n pairs holds 2n;
 * each costs a msgpack_object of 24 bytes): bounds what a parse allocates,
 * as FMT_MAX_OBJECT bounds its bytes. 2^25 values: 768 MiB parsed. */
#define REC_MAX_ITEMS (1u << 25)
/* the largest zstd window a reader accepts: 2^24 bytes (a frame asking for
 * more is refused before anything is reserved for it) */
#define REC_WINDOW_LOG_MAX 24

typedef struct rec_reader rec_reader;

/* kind NULL accepts any kind and version; binding is a NULL-terminated list
 * of header keys that later parts of a concatenated stream must repeat
 * exactly (may be NULL). f stays the caller's. Never returns NULL: check
 * rec_reader_error. */
rec_reader *rec_reader_open(FILE *f, const char *name, const char *kind,
			    unsigned version, const char *const *binding);
/* the same over a memory buffer, which must outlive the reader */
rec_reader *rec_reader_open_mem(const void *buf, size_t n, const char *name,
				const char *kind, unsigned version,
				const char *const *binding);
/* the first part's header map; NULL if opening failed */
const msgpack_object *rec_reader_header(const rec_reader *r);
int rec_reader_next(rec_reader *r, const msgpack_object **rec);
/* NULL while all is well; else one line, without the program name */
const char *rec_reader_error(const rec_reader *r);
/* records delivered so far */
uint64_t rec_reader_count(const rec_reader *r);
/* parts (headers) read so far: 1 after a successful open */
uint64_t rec_reader_parts(const rec_reader *r);
/* call fn(ctx, header) for each later part's header, once it has passed
 * the checks (the first part's is rec_reader_header); the header is valid
 * only during the call */
void rec_reader_on_part(rec_reader *r, void (*fn)(void *ctx, const msgpack_object *hdr),
			void *ctx);
/* set an error from a caller's own check of a record, so later calls fail
 * too; fmt as printf; returns -1 */
int rec_reader_fail(rec_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rec_reader_close(rec_reader *r);

/* as rec_reader_open, but exits with "argv0: name: error" on failure */
rec_reader *rec_reader_open_or_die(FILE *f, const char *name, const char *kind,
				   unsigned version, const char *const *binding);
/* rec_reader_next, exiting with a message on error */
int rec_reader_next_or_die(rec_reader *r, const msgpack_object **rec);

/* ------------------------------------------------------- object access */

/* value of key in a map object; NULL if o is not a map or has no such key */
const msgpack_object *rec_get(const msgpack_object *o, const char *key);
/* typed getters: 1 found, 0 absent, -1 present with the wrong type */
int rec_get_u64(const msgpack_object *o, const char *key, uint64_t *v);
int rec_get_f64(const msgpack_object *o, const char *key, double *v);
int rec_get_str(const msgpack_object *o, const char *key, const char **s,
		size_t *n);
int rec_get_bin(const msgpack_object *o, const char *key, const void **p,
		size_t *n);
/* 1 if o is a str equal to s */
int rec_str_eq(const msgpack_object *o, const char *s);

/* 1 if the first bytes of a file look like a zstd frame */
int rec_is_zstd_magic(const unsigned char *p, size_t n);

#endif
