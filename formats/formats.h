/*
 * formats.h — the constants of cleanse's record streams: magic, kinds,
 * versions and keys. The specs are the *.md files beside this one; when the
 * two disagree, the spec wins and this file is fixed.
 */
#ifndef FORMATS_H
#define FORMATS_H

#define FMT_MAGIC "cleanse"          /* header "magic" and trailer "end" */

/* every kind of stream, with the version this build reads and writes; the
 * spec of kind K is formats/K.md */
#define FMT_KIND_DATASET "dataset"          /* ds-import ... -> everything  */
#define FMT_VERSION_DATASET 1
#define FMT_KIND_IDS "ids"                  /* top-neg, ds-noise -> ds-remove, cnn-train --skip */
#define FMT_VERSION_IDS 1
#define FMT_KIND_TRACE "trace"              /* cnn-train -> cnn-eval, theta-cache */
#define FMT_VERSION_TRACE 1
#define FMT_KIND_CACHE "cache"              /* theta-cache -> inf-score */
#define FMT_VERSION_CACHE 1
#define FMT_KIND_SCORES "scores"            /* inf-score, grad-outlier -> top-neg, ds-view */
#define FMT_VERSION_SCORES 1
#define FMT_KIND_METRICS "metrics"          /* cnn-eval */
#define FMT_VERSION_METRICS 1
#define FMT_KIND_PREDICTIONS "predictions"  /* cnn-eval --predictions */
#define FMT_VERSION_PREDICTIONS 1
#define FMT_KIND_DYNAMICS "dynamics"        /* cnn-train --dynamics -> dyn-score */
#define FMT_VERSION_DYNAMICS 1

/* limits a reader enforces before it allocates anything */
#define FMT_MAX_OBJECT (1u << 30)            /* any single msgpack object */
#define FMT_MAX_EXAMPLE (64u << 20)          /* bytes of one example's x  */
#define FMT_MAX_CLASSES 65536u
#define FMT_MAX_RECORDS (1ull << 32)         /* a stream's record count   */

#endif
