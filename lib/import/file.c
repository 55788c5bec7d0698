/*
 * file.c — what the readers of ds-import share (see import.h): a whole
 * file read into memory, inflated first when it is gzip (the MNIST
 * downloads are).
 */
#include "import.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "../util/util.h"

/* a gzip file (one or more members, as the MNIST downloads are) inflated;
 * buf is freed */
static unsigned char *gunzip(unsigned char *buf, size_t *n, const char *path)
{
	size_t cap = *n * 4 + (1 << 16), len = 0;
	unsigned char *out = emalloc(cap);
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		die("%s: zlib: cannot initialise", path);
	z.next_in = buf;
	z.avail_in = (uInt)*n;
	if ((size_t)z.avail_in != *n)
		die("%s: larger than 4 GiB compressed", path);
	for (;;) {
		if (len == cap) {
			if (cap >= (size_t)1 << 32)
				die("%s: more than 4 GiB once inflated", path);
			out = erealloc(out, cap *= 2);
		}
		z.next_out = out + len;
		z.avail_out = (uInt)(cap - len);
		int rc = inflate(&z, Z_NO_FLUSH);
		len = cap - z.avail_out;
		if (rc == Z_STREAM_END) {
			if (!z.avail_in)
				break;
			inflateReset(&z);       /* the next member */
		} else if (rc == Z_BUF_ERROR && !z.avail_in && z.avail_out) {
			die("%s: gzip data cut short", path);
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			die("%s: bad gzip data (%s)", path, z.msg ? z.msg : "zlib error");
		}
	}
	inflateEnd(&z);
	free(buf);
	*n = len;
	return out;
}

unsigned char *import_slurp(const char *path, size_t *n)
{
	FILE *f = in_open(path);
	size_t cap = 1 << 20;
	unsigned char *buf = emalloc(cap);
	*n = 0;
	for (;;) {
		if (*n == cap)
			buf = erealloc(buf, cap *= 2);
		size_t got = fread(buf + *n, 1, cap - *n, f);
		*n += got;
		if (!got)
			break;
	}
	if (ferror(f))
		die("read %s:", path);
	in_close(f);
	if (*n >= 2 && buf[0] == 0x1f && buf[1] == 0x8b)
		return gunzip(buf, n, path);
	return buf;
}
