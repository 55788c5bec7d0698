/*
 * formats.h — the constants of cleanse's record streams: magic, kinds,
 * versions and keys. The specs are the *.md files beside this one; when the
 * two disagree, the spec wins and this file is fixed.
 */
#ifndef FORMATS_H
#define FORMATS_H

#define FMT_MAGIC "cleanse"          /* header "magic" and trailer "end" */

#define FMT_KIND_DATASET "dataset"
#define FMT_VERSION_DATASET 1
#define FMT_KIND_IDS "ids"
#define FMT_VERSION_IDS 1

/* limits a reader enforces before it allocates anything */
#define FMT_MAX_OBJECT (1u << 30)            /* any single msgpack object */
#define FMT_MAX_EXAMPLE (64u << 20)          /* bytes of one example's x  */
#define FMT_MAX_CLASSES 65536u
#define FMT_MAX_RECORDS (1ull << 32)         /* a stream's record count   */

#endif
