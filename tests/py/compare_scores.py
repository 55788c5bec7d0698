#!/usr/bin/python3
"""compare_scores.py EST TRUTH [K] -- how well an influence estimate ranks
examples against the true counterfactual: Kendall's tau-b over the examples
both score, the share of the K most negative estimates whose true effect is
negative too, and Pearson's r. Prints one line: tau=... sign@K=... r=..."""
import sys

sys.path.insert(0, __import__("os").path.dirname(__file__))
import read_stream  # noqa: E402
import zstandard  # noqa: E402


def load(path):
    with open(path, "rb") as f:
        raw = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
    out = {}
    for _, records, _ in read_stream.parts(raw):
        for r in records:
            out[r["id"]] = r["score"]
    return out


def kendall_tau_b(x, y):
    n, conc, disc, tx, ty = len(x), 0, 0, 0, 0
    for i in range(n):
        for j in range(i + 1, n):
            a, b = x[i] - x[j], y[i] - y[j]
            if a == 0 and b == 0:
                continue
            if a == 0:
                tx += 1
            elif b == 0:
                ty += 1
            elif (a > 0) == (b > 0):
                conc += 1
            else:
                disc += 1
    den = ((conc + disc + tx) * (conc + disc + ty)) ** 0.5
    return (conc - disc) / den if den else float("nan")


def main():
    est, truth = load(sys.argv[1]), load(sys.argv[2])
    k = int(sys.argv[3]) if len(sys.argv) > 3 else 20
    ids = sorted(set(est) & set(truth))
    x, y = [est[i] for i in ids], [truth[i] for i in ids]
    top = sorted(ids, key=lambda i: (est[i], i))[:k]
    sign = sum(1 for i in top if truth[i] < 0)
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    print("n=%d tau=%.4f sign@%d=%d/%d r=%.4f" % (len(ids), kendall_tau_b(x, y), k, sign, k,
                                                   sxy / (sxx * syy) ** 0.5))


if __name__ == "__main__":
    main()
