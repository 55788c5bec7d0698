/*
 * version.h — the version of this build of cleanse (version.c).
 */
#ifndef VERSION_H
#define VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/* a static string such as "0b1175e" or "0b1175e-dirty" (git describe), or
 * "unknown" when the build had neither git nor CLEANSE_VERSION */
const char *cleanse_version(void);

#ifdef __cplusplus
}
#endif

#endif
