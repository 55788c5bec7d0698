#!/usr/bin/python3
"""channel_means.py -- per-channel mean of the pixels (0..255) of a u8
dataset stream, one line "mean R G B" (or one value per channel), read with
the independent reader tests/py/read_stream.py. make data uses it to catch a
channel-order or layout mistake in an import (CIFAR-10's published training
means are 125.3, 123.0, 113.9).

    channel_means.py DATASET.ds
"""
import sys

import msgpack
import numpy as np
import zstandard



def main():
    if len(sys.argv) != 2:
        sys.exit("usage: channel_means.py DATASET.ds")
    with open(sys.argv[1], "rb") as f:
        reader = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)
        raw = reader.read()
    up = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=len(raw) + 1)
    up.feed(raw)
    total, n, c, hw = None, 0, None, None
    for obj in up:
        if obj.get("magic") == "cleanse":                 # a part's header
            if obj.get("kind") != "dataset" or obj.get("dtype") != "u8":
                sys.exit("channel_means.py: %s: not a u8 dataset stream" % sys.argv[1])
            c, hw = obj["shape"][0], obj["shape"][1] * obj["shape"][2]
            total = total if total is not None else np.zeros(c, dtype=np.int64)
        elif "x" in obj:
            total += np.frombuffer(obj["x"], dtype=np.uint8).reshape(c, hw).sum(axis=1, dtype=np.int64)
            n += 1
    if not n:
        sys.exit("channel_means.py: %s: no examples" % sys.argv[1])
    print("mean " + " ".join("%.1f" % (t / (n * hw)) for t in total))


if __name__ == "__main__":
    main()
