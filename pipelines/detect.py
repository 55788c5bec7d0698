#!/usr/bin/python3
"""detect.py SCORES FLIPPED CURVE -- how well a scores stream finds the
flipped labels (ds-noise --flipped), ranking the most negative first.

Prints one CSV line: auroc,recall_10pct,precision_k,k where recall_10pct is
the share of the flips among the first 10 % inspected and precision_k the
share of flips among the first k, k = the number of flips. Writes CURVE:
101 lines "fraction inspected, fraction of the flips found" at 0, 1 %, ...,
100 % (ties: smaller id first, as top-neg orders them). pipelines/experiment.mk
runs it per method and seed."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_scores import auroc, records, scores  # noqa: E402


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    s = scores(sys.argv[1])
    flipped = {r["id"] for r in records(sys.argv[2])} & set(s)
    if not s:
        sys.exit("detect.py: %s: no scores" % sys.argv[1])
    order = sorted(s, key=lambda k: (s[k], k))
    n, k = len(order), len(flipped)
    found, cum = 0, [0]
    for i in order:
        found += i in flipped
        cum.append(found)
    curve = "".join("%.2f %.6f\n" % (p / 100, cum[round(p / 100 * n)] / k if k else float("nan"))
                    for p in range(101))
    out = sys.argv[3]
    if os.path.exists(out) and not os.path.isfile(out):
        # a device or FIFO (/dev/null): written in place, never replaced
        with open(out, "w") as f:
            f.write(curve)
    else:
        with open(out + ".tmp", "w") as f:
            f.write(curve)
        os.replace(out + ".tmp", out)
    r10 = cum[max(1, n // 10)] / k if k else float("nan")
    pk = cum[k] / k if k else float("nan")
    print("%.4f,%.4f,%.4f,%d" % (auroc(s, flipped), r10, pk, k))


if __name__ == "__main__":
    main()
