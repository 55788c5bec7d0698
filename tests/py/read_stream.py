#!/usr/bin/python3
"""read_stream.py -- an independent reader of cleanse streams, written only
from formats/stream.md with the standard msgpack and zstandard packages.

    read_stream.py FILE   print the stream as JSON lines, in the same form as
                          `ds-view FILE`, after checking the framing: header
                          magic, every part's trailer count and CRC-32, and
                          the announced record count.
Exit 1 with a message on stderr if any check fails.
"""
import json
import sys
import zlib

import msgpack
import zstandard

MAGIC = "cleanse"


def parts(raw):
    """Yield (header, records, trailer) for each part of a decompressed stream."""
    up = msgpack.Unpacker(raw=False, strict_map_key=False, max_bin_len=1 << 30)
    up.feed(raw)
    state, header, records, crc = "header", None, [], 0
    while True:
        start = up.tell()
        try:
            obj = up.unpack()
        except msgpack.OutOfData:
            break
        end = up.tell()
        if state == "header":
            if not isinstance(obj, dict) or obj.get("magic") != MAGIC:
                raise ValueError("not a cleanse stream")
            header, records, crc, state = obj, [], 0, "records"
        elif isinstance(obj, dict) and obj.get("end") == MAGIC:
            if obj["count"] != len(records):
                raise ValueError("count mismatch")
            if obj["crc32"] != crc:
                raise ValueError("crc mismatch")
            if "n" in header and header["n"] != len(records):
                raise ValueError("announced count mismatch")
            yield header, records, obj
            state = "header"
        else:
            crc = zlib.crc32(raw[start:end], crc)
            records.append(obj)
    if up.tell() != len(raw):
        raise ValueError("truncated record")
    if state != "header":
        raise ValueError("no trailer")


def summarise(v):
    if isinstance(v, bytes):
        return {"bin": len(v), "crc32": zlib.crc32(v)}
    if isinstance(v, dict):
        return {str(k): summarise(x) for k, x in v.items()}
    if isinstance(v, list):
        return [summarise(x) for x in v]
    return v


def main():
    with open(sys.argv[1], "rb") as f:
        reader = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)
        raw = reader.read()
    try:
        all_parts = list(parts(raw))
    except (ValueError, msgpack.ExtraData, msgpack.FormatError) as e:
        sys.exit("read_stream.py: %s: %s" % (sys.argv[1], e))
    if not all_parts:
        sys.exit("read_stream.py: %s: empty stream" % sys.argv[1])
    dump = lambda o: print(json.dumps(o, separators=(",", ":"), ensure_ascii=False))
    dump(summarise(all_parts[0][0]))
    count = 0
    for _, records, _ in all_parts:
        for r in records:
            dump(summarise(r))
        count += len(records)
    dump({"end": MAGIC, "count": count})


if __name__ == "__main__":
    main()
