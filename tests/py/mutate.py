#!/usr/bin/python3
"""mutate.py -- a cleanse stream with one thing changed, and an honest
trailer (count and CRC-32 recomputed), so a reader can only object to the
change itself (tests/cli/ranges.sh).

    mutate.py IN OP [ARGS] > OUT

    hdr KEY VALUE       the header's KEY set to VALUE (a JSON value, or nan)
    step KEY VALUE      the first step record's KEY set to VALUE
    drop-step K         the K-th step record (0-based) left out
    dup-id              the first step record's second id made its first
"""
import io
import json
import sys
import zlib

import msgpack
import zstandard


def value(s):
    return float("nan") if s == "nan" else json.loads(s)


def main():
    raw = zstandard.ZstdDecompressor().decompressobj().decompress(open(sys.argv[1], "rb").read())
    objs = list(msgpack.Unpacker(io.BytesIO(raw), raw=False, strict_map_key=False))
    hdr, recs = objs[0], objs[1:-1]
    op = sys.argv[2]
    steps = [r for r in recs if isinstance(r, dict) and r.get("t") == "step"]
    if op == "hdr":
        hdr[sys.argv[3]] = value(sys.argv[4])
    elif op == "step":
        steps[0][sys.argv[3]] = value(sys.argv[4])
    elif op == "drop-step":
        recs.remove(steps[int(sys.argv[3])])
    elif op == "dup-id":
        steps[0]["ids"][1] = steps[0]["ids"][0]
    else:
        sys.exit("mutate.py: unknown op " + op)
    body = [msgpack.packb(r, use_bin_type=True) for r in recs]
    crc = 0
    for b in body:
        crc = zlib.crc32(b, crc)
    out = msgpack.packb(hdr, use_bin_type=True) + b"".join(body) + \
        msgpack.packb({"end": "cleanse", "count": len(body), "crc32": crc})
    sys.stdout.buffer.write(zstandard.ZstdCompressor(level=3).compress(out))


main()
