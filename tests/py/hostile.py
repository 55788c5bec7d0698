#!/usr/bin/python3
"""hostile.py -- craft hostile but tiny cleanse streams (tests/cli/hostile.sh).

    hostile.py SHAPE > FILE

Each stream is a header of kind "x", records, and an honest trailer (count
and CRC-32 as formats/stream.md says), so a reader can only object to the
records' sizes:

    nil-array   one record {"a": [nil] * 2**26}: 64 MiB of msgpack, 2 KB of zstd
    big-bin     one record {"a": bin of 1 GiB of zeros}: 33 KB of zstd
    bin-claim   one record announcing a 512 MiB bin of which 1 KiB follows
                (then the stream ends)
    deep-N      one record nested N containers deep: {"a": [[...[1]...]]}
    scores-ok   a scores stream: ids 0 and 2^64 - 1, labels 3 and 65535
    scores-y    the same, but a label y of 2^32 + 1
    scores-digest  the same, but a train_digest of 2^32 + 1
    ints        one record {"skip": [2 million uint64 ids]}, like a trace
                header's skip list, in zstd frames of 4 KiB each (a writer may
                end a frame whenever it likes): valid, and must be read in
                linear time, though its bytes arrive a few KiB at a time
"""
import struct
import sys
import zlib

import msgpack
import zstandard

HEADER = msgpack.packb({"magic": "cleanse", "kind": "x", "version": 1})


def trailer(recs):
    crc = 0
    for r in recs:
        crc = zlib.crc32(r, crc)
    return msgpack.packb({"end": "cleanse", "count": len(recs), "crc32": crc})


def write(chunks):
    """compress an iterable of byte strings as one zstd frame to stdout"""
    c = zstandard.ZstdCompressor(level=3).compressobj()
    out = sys.stdout.buffer
    for ch in chunks:
        out.write(c.compress(ch))
    out.write(c.flush())


def main(shape):
    if shape == "nil-array":
        n = 1 << 26
        rec = b"\x81\xa1a\xdd" + struct.pack(">I", n) + b"\xc0" * n
        write([HEADER, rec, trailer([rec])])
    elif shape == "big-bin":
        n = 1 << 30
        zeros = bytes(1 << 20)
        crc = zlib.crc32(b"\x81\xa1a\xc6" + struct.pack(">I", n))
        for _ in range(n >> 20):
            crc = zlib.crc32(zeros, crc)
        tr = msgpack.packb({"end": "cleanse", "count": 1, "crc32": crc})
        write([HEADER, b"\x81\xa1a\xc6" + struct.pack(">I", n)] +
              [zeros] * (n >> 20) + [tr])
    elif shape == "bin-claim":
        write([HEADER, b"\x81\xa1a\xc6" + struct.pack(">I", 512 << 20) + bytes(1024)])
    elif shape.startswith("deep-"):
        n = int(shape[5:])
        rec = b"\x81\xa1a" + b"\x91" * (n - 1) + b"\x01"
        write([HEADER, rec, trailer([rec])])
    elif shape == "ints":
        rec = msgpack.packb({"skip": [(1 << 40) + i for i in range(2_000_000)]})
        raw = HEADER + rec + trailer([rec])
        c = zstandard.ZstdCompressor(level=3)
        for i in range(0, len(raw), 4096):
            sys.stdout.buffer.write(c.compress(raw[i:i + 4096]))
    elif shape in ("scores-y", "scores-digest", "scores-ok"):
        big = (1 << 32) + 1
        hdr = msgpack.packb({"magic": "cleanse", "kind": "scores", "version": 1,
                             "method": "sgd",
                             "train_digest": big if shape == "scores-digest" else 7})
        recs = [msgpack.packb({"id": 0, "y": big if shape == "scores-y" else 3,
                               "score": -1.5}),
                msgpack.packb({"id": (1 << 64) - 1, "y": 65535, "score": -0.5})]
        write([hdr] + recs + [trailer(recs)])
    else:
        sys.exit("hostile.py: unknown shape " + shape)


main(sys.argv[1])
