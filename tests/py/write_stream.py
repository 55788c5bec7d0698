#!/usr/bin/python3
"""write_stream.py -- write a cleanse stream from Python, from
formats/stream.md alone: one part, a header (magic, kind, version, writer
and the given keys), the records, and the trailer with their count and
CRC-32. For tests that need streams the programs would not write (hand-made
cases, bad values).

    from write_stream import write
    write("s.sc", "scores", 1, {"method": "x", "train_digest": 0},
          [{"id": 0, "y": 1, "score": -0.5, "flag": True, "suggest": 2}])
"""
import zlib

import msgpack
import zstandard


def write(path, kind, version, header, records):
    pk = msgpack.Packer(use_bin_type=True)
    body, crc = [], 0
    for r in records:
        b = pk.pack(r)
        crc = zlib.crc32(b, crc)
        body.append(b)
    head = dict(magic="cleanse", kind=kind, version=version, writer="write_stream.py")
    head.update(header)
    tail = pk.pack({"end": "cleanse", "count": len(records), "crc32": crc})
    with open(path, "wb") as f:
        f.write(zstandard.ZstdCompressor().compress(pk.pack(head) + b"".join(body) + tail))
