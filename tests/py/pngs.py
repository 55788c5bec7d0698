#!/usr/bin/python3
"""pngs.py -- odd and hostile PNG files for ds-import (tests/cli/ds-import.sh),
written by hand (zlib and struct only) so every field is what we say.

    pngs.py SHAPE > FILE

    plain       4x5 RGB, 8 bits a sample
    gray16      4x5 gray, 16 bits a sample
    palette     4x5, 2-bit palette of 3 colours
    interlaced  4x5 RGB, Adam7 interlaced: the same pixels as plain
    gray-alpha  4x5 gray with alpha, 8 bits
    truncated   a valid 4x5 RGB PNG cut in the middle of its IDAT
    badcrc      a valid 4x5 RGB PNG with one IDAT byte changed
    huge        IHDR 50000x50000 RGB (7.5 GB of pixels), 1 KiB of IDAT
    widest      IHDR 2^31-1 x 1, the largest width PNG allows
    bomb        4096x4096 gray whose IDAT inflates to 1 GiB of zeros
                (16 MiB of rows then 1008 MiB more): 1 MiB on disk
    zero-width  IHDR 0x5
    chunk-claim a valid IHDR, then an sPLT chunk announcing 1 GiB of which
                100 bytes follow (libpng reserved and cleared it first:
                seconds for 200 bytes; found by make fuzz)
"""
import struct
import sys
import zlib

W, H = 5, 4


def chunk(kind, data):
    c = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", c)


def png(w, h, depth, ctype, idat, interlace=0, extra=b""):
    ihdr = struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra +
            chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def px(x, y, k):
    return (x * 37 + y * 11 + k * 50) & 255


def rows(w, h, bpp_bytes):
    """filter byte 0, then the row's bytes"""
    out = b""
    for y in range(h):
        out += b"\x00" + bytes(px(x, y, k) for x in range(w) for k in range(bpp_bytes))
    return out


def rgb():
    return png(W, H, 8, 2, zlib.compress(rows(W, H, 3)))


def adam7(w, h, bpp_bytes):
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
              (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    out = b""
    for x0, y0, dx, dy in passes:
        xs = list(range(x0, w, dx))
        ys = list(range(y0, h, dy))
        if not xs or not ys:
            continue
        for y in ys:
            out += b"\x00" + bytes(px(x, y, k) for x in xs for k in range(bpp_bytes))
    return out


def main(shape):
    o = sys.stdout.buffer
    if shape == "plain":
        o.write(rgb())
    elif shape == "gray16":
        o.write(png(W, H, 16, 0, zlib.compress(rows(W, H, 2))))
    elif shape == "palette":
        plte = chunk(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255]))
        # 2 bits a pixel: 5 pixels -> 2 bytes a row, indices 0..2
        data = b"".join(b"\x00" + bytes([0b00011000, 0b01000000]) for _ in range(H))
        o.write(png(W, H, 2, 3, zlib.compress(data), extra=plte))
    elif shape == "interlaced":
        o.write(png(W, H, 8, 2, zlib.compress(adam7(W, H, 3)), interlace=1))
    elif shape == "gray-alpha":
        o.write(png(W, H, 8, 4, zlib.compress(rows(W, H, 2))))
    elif shape == "truncated":
        b = rgb()
        o.write(b[:len(b) - 30])
    elif shape == "badcrc":
        b = bytearray(rgb())
        i = b.index(b"IDAT") + 6
        b[i] ^= 0xff
        o.write(bytes(b))
    elif shape == "huge":
        o.write(png(50000, 50000, 8, 2, zlib.compress(bytes(1024))))
    elif shape == "widest":
        o.write(png(2**31 - 1, 1, 8, 0, zlib.compress(bytes(1024))))
    elif shape == "bomb":
        z = zlib.compressobj(9)
        row = bytes(4097)
        data = b"".join(z.compress(row * 4096) for _ in range(64))
        o.write(png(4096, 4096, 8, 0, data + z.flush()))
    elif shape == "chunk-claim":
        ihdr = struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)
        o.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) +
                struct.pack(">I", 1 << 30) + b"sPLT" + bytes(100))
    elif shape == "zero-width":
        o.write(png(0, H, 8, 2, zlib.compress(b"")))
    else:
        sys.exit("pngs.py: unknown shape " + shape)


main(sys.argv[1])
