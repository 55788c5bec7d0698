/*
 * crc32.h — CRC-32 (IEEE 802.3, reflected, as zlib's crc32) over byte
 * buffers: the checksum a stream trailer carries (formats/stream.md).
 */
#ifndef CRC32_H
#define CRC32_H

#include <stddef.h>
#include <stdint.h>

/* continue a CRC: start with crc = 0, feed buffers in order */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t n);

#endif
