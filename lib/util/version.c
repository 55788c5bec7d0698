/*
 * version.c — the version string of this build (version.h): what
 * `--version` prints and what every stream header records as its writer
 * (formats/stream.md, key `writer`). CLEANSE_VERSION comes from
 * build/version.h, which the Makefile regenerates from `git describe` (or
 * `make CLEANSE_VERSION=...`) only when it changes.
 */
#include "version.h"

#if __has_include("../../build/version.h")
#include "../../build/version.h"
#endif
#ifndef CLEANSE_VERSION
#define CLEANSE_VERSION "unknown"
#endif

const char *cleanse_version(void)
{
	return CLEANSE_VERSION;
}
