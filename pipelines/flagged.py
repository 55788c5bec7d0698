#!/usr/bin/python3
"""flagged.py SCORES FLIPPED -- the set a scores stream flags (label-issues,
dyn-score --method aum: the records whose flag is true) against the flipped
labels (ds-noise --flipped), and its estimated size against the true one.

Prints one line of name=value pairs: flagged, issues (the header's
estimated number of label issues; empty when it has none), flipped, hits the flagged examples that were flipped, precision = hits /
flagged, recall = hits / flipped and f1 their harmonic mean (nan where a
denominator is 0)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_scores import records  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "py"))
import read_stream  # noqa: E402
import zstandard  # noqa: E402


def header(path):
    with open(path, "rb") as f:
        raw = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
    return next(read_stream.parts(raw))[0]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    recs = list(records(sys.argv[1]))
    if recs and "flag" not in recs[0]:
        sys.exit("flagged.py: %s: the records carry no flag" % sys.argv[1])
    scored = {r["id"] for r in recs}
    flagged = {r["id"] for r in recs if r["flag"]}
    flipped = {r["id"] for r in records(sys.argv[2])} & scored
    hits = len(flagged & flipped)
    nan = float("nan")
    p = hits / len(flagged) if flagged else nan
    r = hits / len(flipped) if flipped else nan
    f1 = 2 * p * r / (p + r) if flagged and flipped and p + r > 0 else (0.0 if flagged and flipped else nan)
    issues = header(sys.argv[1]).get("issues", "")
    print("flagged=%d issues=%s flipped=%d hits=%d precision=%.4f recall=%.4f f1=%.4f"
          % (len(flagged), issues, len(flipped), hits, p, r, f1))


if __name__ == "__main__":
    main()
