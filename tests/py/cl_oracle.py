#!/usr/bin/python3
"""cl_oracle.py -- confident learning written again from the paper, to hold
label-issues (lib/score/cl.c) to it.

Northcutt, Jiang and Chuang, "Confident Learning: Estimating Uncertainty in
Dataset Labels", JAIR 70 (2021), sections 2.1-2.3, and cleanlab's
find_label_issues for what the paper leaves open, as formats/scores.md
states it (label-issues):

  t_j    mean of p_j over the examples labelled j (eq. 2); none: no t_j
  C      x labelled i counted in (i, j*), j* the arg max of p_j over
         the j with p_j >= t_j - 1e-6 (eq. 1; ties: lowest j)
  Q      C with its diagonal raised to 1, each row scaled to the label
         count n_i, then the whole normalised to sum 1 (eq. 3)
  noise  P(given i | true j) = Q[i][j] / sum_i Q[i][j]
  issues round(sum_{i!=j} n Q[i][j]), round(x) = floor(x + 1/2)
  prune_by_noise_rate  per cell (i, j), i != j, the round(n Q[i][j]) of
         label i with the largest p_j - p_i (ties: smaller id)
  prune_by_class  per class i, the round(sum_{j!=i} n Q[i][j]) of label i
         with the smallest p_i (ties: smaller id)
  both   the two intersected;  confident_learning  the off-diagonal of C

Sums run left to right in plain double arithmetic (never numpy's pairwise
sum, nor Python 3.12's compensated sum()), in the order the spec gives.

    cl_oracle.py CASE DIR      write case CASE's predictions to DIR/CASE.pred,
                               run label-issues on them with every filter
                               and rank, and compare everything it writes;
                               exit 1 with the first difference
CASE: random, ties, slack, empty-class, one-class, two-class, all-wrong,
      one-hot, parts.
"""
import math
import os
import struct
import subprocess
import sys

import numpy as np
import zstandard

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import read_stream  # noqa: E402
import write_stream  # noqa: E402

FILTERS = ["prune_by_noise_rate", "prune_by_class", "both", "confident_learning"]
RANKS = ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]
SLACK = 1e-6


# ---------------------------------------------------------------- streams

def write_predictions(path, K, rows, sample="out"):
    """rows: (id, y, p) with p K floats, stored as f32 (one part)."""
    recs = []
    for i, y, p in rows:
        p32 = np.asarray(p, dtype="<f4")
        recs.append({"id": i, "y": y, "pred": int(np.argmax(p32)), "loss": 0.0,
                     "p": p32.tobytes()})
    write_stream.write(path, "predictions", 1, {"classes": K, "sample": sample}, recs)


def read(path):
    with open(path, "rb") as f:
        raw = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True).read()
    parts = list(read_stream.parts(raw))
    return parts[0][0], [r for _, recs, _ in parts for r in recs]


def f32(b, K):
    return [float(v) for v in struct.unpack("<%df" % K, b)]


# ---------------------------------------------------------------- the oracle

def rnd(x):
    return math.floor(x + 0.5) if x > 0 else 0


def score(rank, p, y, K):
    py = p[y]
    if rank == "self_confidence":
        return py - 1
    if rank == "normalized_margin":
        other = max([p[k] for k in range(K) if k != y] + [0.0])
        return (py - other + 1) / 2 - 1
    # cleanlab's get_confidence_weighted_entropy_for_each_label: the
    # normalised entropy over the self-confidence x, q = log(1 + x)/x,
    # probabilities clipped at 1e-6 inside the logarithm and the divisor;
    # near x = 0, q -> 1 (cleanlab's 1e-6 floor on the divisor sends it
    # to 0 there instead; grad-outlier(1))
    lo = 1e-6
    ent = 0.0
    for k in range(K):
        ent -= p[k] * math.log(p[k] if p[k] > lo else lo)
    ent /= math.log(K) if K > 1 else 1
    x = ent / (py if py > lo else lo)
    q = math.log1p(x) / x if x > lo else 1 - x / 2
    return q - 1


def confident_learning(ids, labels, probs, K, filt, rank):
    n = len(labels)
    count = [0] * K
    for y in labels:
        count[y] += 1
    t = []
    for j in range(K):
        s = 0.0
        for i in range(n):
            if labels[i] == j:
                s += probs[i][j]
        t.append(s / count[j] if count[j] else None)
    C = [[0] * K for _ in range(K)]
    guess = []
    for i in range(n):
        cand = [j for j in range(K) if t[j] is not None and probs[i][j] >= t[j] - SLACK]
        if not cand:
            guess.append(None)
            continue
        best = cand[0]
        for j in cand[1:]:
            if probs[i][j] > probs[i][best]:
                best = j
        guess.append(best)
        C[labels[i]][best] += 1
    Cd = [[max(C[i][j], 1) if i == j else C[i][j] for j in range(K)] for i in range(K)]
    Qt = [[Cd[i][j] / sum(Cd[i]) * count[i] for j in range(K)] for i in range(K)]
    total = 0.0
    for i in range(K):
        for j in range(K):
            total += Qt[i][j]
    Q = [[Qt[i][j] / total if total > 0 else 0.0 for j in range(K)] for i in range(K)]
    noise = [[0.0] * K for _ in range(K)]
    for j in range(K):
        col = 0.0
        for i in range(K):
            col += Q[i][j]
        for i in range(K):
            noise[i][j] = Q[i][j] / col if col > 0 else float(i == j)
    off = 0.0
    for i in range(K):
        for j in range(K):
            if i != j:
                off += n * Q[i][j]
    members = [[m for m in range(n) if labels[m] == i] for i in range(K)]
    by_rate, by_class = set(), set()
    for i in range(K):
        for j in range(K):
            if i == j:
                continue
            k = rnd(n * Q[i][j])
            order = sorted(members[i], key=lambda m: (-(probs[m][j] - probs[m][i]), ids[m]))
            by_rate.update(order[:k])
        x = 0.0
        for j in range(K):
            if j != i:
                x += n * Q[i][j]
        order = sorted(members[i], key=lambda m: (probs[m][i], ids[m]))
        by_class.update(order[:rnd(x)])
    if filt == "prune_by_noise_rate":
        flagged = by_rate
    elif filt == "prune_by_class":
        flagged = by_class
    elif filt == "both":
        flagged = by_rate & by_class
    else:
        flagged = {i for i in range(n) if guess[i] is not None and guess[i] != labels[i]}
    recs = []
    for i in range(n):
        p, y = probs[i], labels[i]
        others = [k for k in range(K) if k != y]
        sug = None
        for k in others:
            if sug is None or p[k] > p[sug]:
                sug = k
        recs.append({"id": ids[i], "y": y, "score": score(rank, p, y, K),
                     "flag": i in flagged, "suggest": sug})
    return {"label_counts": count, "thresholds": t, "confident_joint": C, "joint": Q,
            "noise_matrix": noise, "issues": rnd(off), "flagged": len(flagged)}, recs


# ---------------------------------------------------------------- cases

def softmax32(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).astype(np.float32)


def case_rows(name):
    """[(K, rows, sample)] one per part"""
    rng = np.random.default_rng(7)
    if name in ("random", "parts"):
        n, K = 400, 6
        true = rng.integers(0, K, n)
        z = rng.normal(0, 1.0, (n, K))
        z[np.arange(n), true] += 2.5
        p = softmax32(z)
        given = true.copy()
        flip = rng.random(n) < 0.2
        given[flip] = (true[flip] + rng.integers(1, K, flip.sum())) % K
        ids = rng.permutation(10 * n)[:n]
        rows = [(int(ids[i]), int(given[i]), p[i]) for i in range(n)]
        if name == "parts":
            return [(K, rows[:150], "out"), (K, rows[150:], "out")]
        return [(K, rows, "out")]
    if name == "ties":
        # few distinct rows of exactly representable values: thresholds
        # equal to probabilities, equal margins, arg max ties
        vals = [[0.5, 0.5, 0.0], [0.25, 0.25, 0.5], [0.5, 0.25, 0.25], [0.25, 0.5, 0.25],
                [0.125, 0.375, 0.5], [1.0, 0.0, 0.0], [0.375, 0.375, 0.25]]
        rows = []
        for i in range(90):
            v = vals[int(rng.integers(0, len(vals)))]
            rows.append((int(89 - i), int(rng.integers(0, 3)), v))
        return [(3, rows, "out")]
    if name == "slack":
        # examples a hair (< 1e-6) below their class's mean: candidates by
        # the slack alone
        rows = [(i, 2, [0.25, 0.25, 0.5]) for i in range(10)]
        rows.append((10, 2, [0.2499995, 0.25, 0.5000005]))
        rows += [(11 + i, i % 2, [0.6, 0.4, 0.0] if i % 2 == 0 else [0.3, 0.7, 0.0])
                 for i in range(20)]
        return [(3, rows, "out")]
    if name == "empty-class":
        n, K = 120, 4
        z = rng.normal(0, 1.5, (n, K))
        p = softmax32(z)
        labels = [int(v) for v in rng.choice([0, 1, 3], n)]
        return [(K, [(i, labels[i], p[i]) for i in range(n)], "out")]
    if name == "one-class":
        return [(1, [(i, 0, [1.0]) for i in range(10)], "in")]
    if name == "two-class":
        n = 200
        z = rng.normal(0, 2.0, (n, 2))
        p = softmax32(z)
        labels = [int(v) for v in rng.integers(0, 2, n)]
        return [(2, [(3 * i, labels[i], p[i]) for i in range(n)], "out")]
    if name == "all-wrong":
        # every label is the other one of its arg max: no diagonal at all
        n, K = 60, 3
        z = rng.normal(0, 2.0, (n, K))
        p = softmax32(z)
        labels = [int((np.argmax(p[i]) + 1) % K) for i in range(n)]
        return [(K, [(i, labels[i], p[i]) for i in range(n)], "out")]
    if name == "one-hot":
        # certain predictions, right and wrong: zeros in the logarithms
        n, K = 50, 5
        rows = []
        for i in range(n):
            k = int(rng.integers(0, K))
            p = [0.0] * K
            p[k] = 1.0
            rows.append((i, k if rng.random() < 0.7 else int((k + 1) % K), p))
        return [(K, rows, "out")]
    sys.exit("cl_oracle.py: no case '%s'" % name)


def close(a, b, tol=1e-12):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def compare(hdr, recs, want_hdr, want_recs, what):
    for key in ("label_counts", "confident_joint", "issues", "flagged"):
        if hdr[key] != want_hdr[key]:
            return "%s: %s: %r, want %r" % (what, key, hdr[key], want_hdr[key])
    for j, (a, b) in enumerate(zip(hdr["thresholds"], want_hdr["thresholds"])):
        if not close(a, b):
            return "%s: thresholds[%d]: %r, want %r" % (what, j, a, b)
    for key in ("joint", "noise_matrix"):
        for i, (ra, rb) in enumerate(zip(hdr[key], want_hdr[key])):
            for j, (a, b) in enumerate(zip(ra, rb)):
                if not close(a, b):
                    return "%s: %s[%d][%d]: %r, want %r" % (what, key, i, j, a, b)
    if len(recs) != len(want_recs):
        return "%s: %d records, want %d" % (what, len(recs), len(want_recs))
    for r, w in zip(recs, want_recs):
        if r["id"] != w["id"] or r["y"] != w["y"]:
            return "%s: record of id %d, want %d" % (what, r["id"], w["id"])
        if not close(r["score"], w["score"]):
            return "%s: id %d: score %r, want %r" % (what, r["id"], r["score"], w["score"])
        if r["flag"] != w["flag"]:
            return "%s: id %d: flag %r, want %r" % (what, r["id"], r["flag"], w["flag"])
        if r.get("suggest") != w["suggest"]:
            return "%s: id %d: suggest %r, want %r" % (what, r["id"], r.get("suggest"),
                                                      w["suggest"])
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    name, d = sys.argv[1], sys.argv[2]
    parts = case_rows(name)
    files = []
    for k, (K, rows, sample) in enumerate(parts):
        files.append(os.path.join(d, "%s.%d.pred" % (name, k)))
        write_predictions(files[-1], K, rows, sample)
    path = os.path.join(d, name + ".pred")
    with open(path, "wb") as out:
        for f in files:
            out.write(open(f, "rb").read())
    K = parts[0][0]
    _, precs = read(path)       # the probabilities as stored: f32
    ids = [r["id"] for r in precs]
    labels = [r["y"] for r in precs]
    probs = [f32(r["p"], K) for r in precs]
    runs = 0
    for filt in FILTERS:
        for rank in RANKS:
            out = os.path.join(d, "%s.%s.%s.sc" % (name, filt, rank))
            subprocess.run(["label-issues", "-q", "--filter", filt, "--rank", rank, "-o", out,
                            path], check=True)
            hdr, recs = read(out)
            want_hdr, want_recs = confident_learning(ids, labels, probs, K, filt, rank)
            why = compare(hdr, recs, want_hdr, want_recs, "%s %s %s" % (name, filt, rank))
            if why:
                sys.exit("cl_oracle.py: " + why)
            if hdr["filter"] != filt or hdr["rank"] != rank or hdr["classes"] != K:
                sys.exit("cl_oracle.py: %s: header filter/rank/classes" % name)
            runs += 1
    fl = sum(confident_learning(ids, labels, probs, K, "prune_by_noise_rate",
                                "self_confidence")[1][i]["flag"] for i in range(len(ids)))
    print("%s: %d runs agree (n %d, K %d, %d flagged by noise rate)"
          % (name, runs, len(ids), K, fl))


if __name__ == "__main__":
    main()
