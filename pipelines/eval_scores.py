#!/usr/bin/python3
"""eval_scores.py — how good a scores stream is, for docs and experiments.

  eval_scores.py detect SCORES FLIPPED        mislabel detection: AUROC of
      the flipped ids (ds-noise --flipped) when ranked most negative first,
      recall of flips among the 10 % ranked first, precision of the top 5 %
  eval_scores.py agree SCORES TRUTH [K]       agreement with the true
      counterfactual on the ids both score: Kendall tau-b, Jaccard of the K
      (default 20) most negative, Pearson r

SCORES may also be a predictions stream (cnn-eval --predictions): its
per-example loss, negated, is the training-loss baseline (high loss =
removed first). Prints one line of name=value pairs."""
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "py"))
import read_stream  # noqa: E402
from compare_scores import kendall_tau_b  # noqa: E402
import zstandard  # noqa: E402


def records(path):
    with open(path, "rb") as f:
        raw = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
    for _, recs, _ in read_stream.parts(raw):
        yield from recs


def scores(path):
    out = {}
    for r in records(path):
        if "score" in r:
            out[r["id"]] = r["score"]
        elif "loss" in r:
            out[r["id"]] = -r["loss"]
    return out


def auroc(neg_first, positive):
    """AUROC of 'positive' when items are ranked by ascending score (ties
    share their average rank)."""
    items = sorted(neg_first.items(), key=lambda kv: kv[1])
    n, ranks, i = len(items), {}, 0
    while i < n:
        j = i
        while j + 1 < n and items[j + 1][1] == items[i][1]:
            j += 1
        for k in range(i, j + 1):
            ranks[items[k][0]] = n - (i + j) / 2  # high rank = most harmful
        i = j + 1
    pos = [ranks[k] for k in neg_first if k in positive]
    npos, nneg = len(pos), n - len(pos)
    if npos == 0 or nneg == 0:
        return float("nan")
    return (sum(pos) - npos * (npos + 1) / 2) / (npos * nneg)


def detect(spath, fpath):
    s = scores(spath)
    flipped = {r["id"] for r in records(fpath)}
    order = sorted(s, key=lambda k: (s[k], k))
    n = len(order)
    top10 = order[: max(1, n // 10)]
    top5 = order[: max(1, n // 20)]
    nflip = sum(1 for k in s if k in flipped)
    rec = sum(1 for k in top10 if k in flipped) / max(1, nflip)
    prec = sum(1 for k in top5 if k in flipped) / len(top5)
    print("auroc=%.4f recall@10%%=%.4f precision@5%%=%.4f n=%d flipped=%d"
          % (auroc(s, flipped), rec, prec, n, nflip))


def agree(epath, tpath, k=20):
    e, t = scores(epath), scores(tpath)
    ids = sorted(set(e) & set(t))
    x, y = [e[i] for i in ids], [t[i] for i in ids]
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    r = sxy / math.sqrt(sxx * syy) if sxx > 0 and syy > 0 else float("nan")
    te = set(sorted(ids, key=lambda i: (e[i], i))[:k])
    tt = set(sorted(ids, key=lambda i: (t[i], i))[:k])
    jac = len(te & tt) / len(te | tt)
    print("tau=%.4f jaccard@%d=%.4f r=%.4f n=%d" % (kendall_tau_b(x, y), k, jac, r, len(ids)))


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "detect":
        detect(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 4 and sys.argv[1] == "agree":
        agree(sys.argv[2], sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 20)
    else:
        sys.exit(__doc__)
