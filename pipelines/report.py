#!/usr/bin/python3
"""report.py -- the tables and plot data of pipelines/experiment.mk.

  report.py --results results.csv [--detection detection.csv --curves "C..."]
            [--title T] --out DIR

Prints a Markdown report on stdout: test accuracy per n and method over the
seeds (mean ± sample std), the paired difference to removing the same n at
random with the same seed and to no removal (mean and 95 % t-interval over
seeds; "within noise" when the interval contains 0), with a clean-label
ceiling (method "ceiling", n 0) the gap recovered, how many flipped labels
were removed, and, with --detection, AUROC / recall / precision of mislabel
detection. Writes DIR/acc.dat (one gnuplot block per arm: position, n,
mean, std) and, with --curves, DIR/detect.dat (one block per method: the
fraction inspected, the mean fraction of flips found over seeds)."""
import argparse
import collections
import csv
import math
import os
import statistics

from scipy import stats


def ci(diffs):
    """mean and 95 % t-interval half-width of paired differences"""
    k = len(diffs)
    m = statistics.fmean(diffs)
    if k < 2:
        return m, float("nan")
    return m, stats.t.ppf(0.975, k - 1) * statistics.stdev(diffs) / math.sqrt(k)


def fmt_diff(diffs):
    m, h = ci(diffs)
    if math.isnan(h):
        return "%+.2f" % m, "n/a (1 seed)"
    lo, hi = m - h, m + h
    verdict = "within noise" if lo <= 0 <= hi else ("higher" if lo > 0 else "lower")
    return "%+.2f [%+.2f, %+.2f]" % (m, lo, hi), verdict


def msd(v, scale=1.0):
    v = [x * scale for x in v]
    if len(v) < 2:
        return "%.2f" % v[0]
    return "%.2f ± %.2f" % (statistics.fmean(v), statistics.stdev(v))


def order_det(a):
    """the methods of the detection table, in order of first appearance"""
    if not a.detection:
        return []
    with open(a.detection) as f:
        return list(dict.fromkeys(r["method"] for r in csv.DictReader(f)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--detection")
    ap.add_argument("--curves", default="")
    ap.add_argument("--title", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    acc = collections.defaultdict(dict)     # (method, n) -> seed -> accuracy
    hits = collections.defaultdict(dict)
    ns, arms = [], []
    with open(a.results) as f:
        for r in csv.DictReader(f):
            n, m, s = int(r["n"]), r["method"], r["seed"]
            acc[m, n][s] = float(r["accuracy"])
            hits[m, n][s] = int(r["flipped_removed"])
            if n not in ns:
                ns.append(n)
            if m not in arms and m not in ("none", "ceiling"):
                arms.append(m)
    ns.sort()
    arms = [m for m in arms if m != "random"] + ["random"]
    base = acc["none", 0]
    seeds = sorted(base, key=int)
    ceil = acc.get(("ceiling", 0), {})
    # the gap recovered, (method − none) / (ceiling − none), per seed: where
    # the ceiling is within 0.1 points of no removal there is no gap to
    # recover and the ratio says nothing
    gap = {s: ceil[s] - base[s] for s in seeds if s in ceil}
    gap_ok = [s for s in gap if gap[s] > 0.001]

    def recovered(cell, ss):
        r = [(cell[s] - base[s]) / gap[s] for s in ss if s in gap_ok]
        if not r:
            return "| "
        m, h = ci(r)
        if math.isnan(h):
            return "%+.2f | " % m
        return "%+.2f [%+.2f, %+.2f]%s | " % (m, m - h, m + h,
                                             "" if len(r) == len(ss) else " (%d seeds)" % len(r))

    out = []
    if a.title:
        out.append("### " + a.title + "\n")
    out.append("Test accuracy (%%) over %d seed%s (mean ± std). Differences are paired "
               "by seed, in percentage points, with their 95 %% t-interval; "
               "\"within noise\" when it contains 0.\n" % (len(seeds), "s" * (len(seeds) != 1)))
    if ceil:
        out.append("The clean-label ceiling is the same recipe and seed on the labels before "
                   "they were flipped; \"gap recovered\" is (method − none) / (ceiling − "
                   "none) per seed, mean and 95 %% t-interval (1 = all of the noise's cost "
                   "won back, 0 = nothing, below 0 = worse than not removing). The gap, "
                   "ceiling − none: %s points.\n" % fmt_diff([100 * gap[s] for s in seeds if s in gap])[0])
    gcol = " gap recovered |" if ceil else ""
    out.append("| n | method | accuracy | − random (pp) | vs random | − no removal (pp) | vs no removal |%s flipped removed |" % gcol)
    out.append("|---:|---|---|---|---|---|---|%s---:|" % ("---|" if ceil else ""))
    out.append("| 0 | none | %s | | | | |%s |" % (msd([base[s] for s in seeds], 100), " |" if ceil else ""))
    if ceil:
        cs = [s for s in seeds if s in ceil]
        d, v = fmt_diff([100 * (ceil[s] - base[s]) for s in cs])
        out.append("| 0 | ceiling (clean labels) | %s | | | %s | %s | 1 | |" % (msd([ceil[s] for s in cs], 100), d, v))
    for n in ns:
        if n == 0:
            continue
        for m in arms:
            cell = acc.get((m, n))
            if not cell:
                continue
            ss = [s for s in seeds if s in cell]
            line = "| %d | %s | %s | " % (n, m, msd([cell[s] for s in ss], 100))
            if m != "random" and ("random", n) in acc:
                rnd = acc["random", n]
                d, v = fmt_diff([100 * (cell[s] - rnd[s]) for s in ss if s in rnd])
                line += "%s | %s | " % (d, v)
            else:
                line += "| | "
            d, v = fmt_diff([100 * (cell[s] - base[s]) for s in ss])
            line += "%s | %s | " % (d, v)
            if ceil:
                line += recovered(cell, ss)
            line += "%.1f |" % statistics.fmean(hits[m, n][s] for s in ss)
            out.append(line)
    out.append("")
    spread = [100 * base[s] for s in seeds]
    out.append("Seed spread without removal: %s (min %.2f, max %.2f).\n"
               % (", ".join("%.2f" % x for x in spread), min(spread), max(spread)))

    with open(os.path.join(a.out, "acc.dat.tmp"), "w") as f:
        for k, m in enumerate(arms):
            f.write("%s n mean std\n" % m)
            for i, n in enumerate(ns):
                cell = base if n == 0 else acc.get((m, n))
                if not cell:
                    continue
                v = [100 * x for x in cell.values()]
                sd = statistics.stdev(v) if len(v) > 1 else 0.0
                x = i + 0.06 * (k - (len(arms) - 1) / 2)
                f.write("%.3f %d %.4f %.4f\n" % (x, n, statistics.fmean(v), sd))
            f.write("\n\n")
    os.replace(os.path.join(a.out, "acc.dat.tmp"), os.path.join(a.out, "acc.dat"))
    # what plots.gp needs to know: the blocks, one tick per n, and the
    # ceiling's mean as a line (0: none)
    with open(os.path.join(a.out, "plot.gp.tmp"), "w") as f:
        f.write("narms = %d\nndet = %d\n" % (len(arms), len(order_det(a))))
        f.write("ceiling = %.4f\n" % (100 * statistics.fmean(ceil.values()) if ceil else 0))
        f.write("set xtics (%s)\n" % ", ".join('"%d" %d' % (n, i) for i, n in enumerate(ns)))
        f.write("set xrange [-0.5:%g]\n" % (len(ns) - 0.5))
    os.replace(os.path.join(a.out, "plot.gp.tmp"), os.path.join(a.out, "plot.gp"))

    if a.detection:
        det = collections.defaultdict(list)
        order = []
        with open(a.detection) as f:
            for r in csv.DictReader(f):
                det[r["method"]].append(r)
                if r["method"] not in order:
                    order.append(r["method"])
        out.append("Mislabel detection (ranking most negative first; k = the number of "
                   "flipped labels, %s), mean ± std over seeds:\n" % det[order[0]][0]["k"])
        out.append("| method | AUROC | flips found in the first 10 % | precision of the first k | scoring seconds |")
        out.append("|---|---|---|---|---:|")
        for m in order:
            rs = det[m]
            col = lambda key: msd([float(r[key]) for r in rs])
            out.append("| %s | %s | %s | %s | %.1f |" % (
                m, col("auroc"), col("recall_10pct"), col("precision_k"),
                statistics.fmean(float(r["score_seconds"]) for r in rs)))
        out.append("")
        curves = collections.defaultdict(list)
        for c in a.curves.split():
            curves[os.path.basename(c)[:-len(".curve")]].append(
                [tuple(map(float, line.split())) for line in open(c)])
        with open(os.path.join(a.out, "detect.dat.tmp"), "w") as f:
            for m in order:
                f.write("%s found\n" % m)
                cs = curves[m]
                for i in range(len(cs[0])):
                    f.write("%.2f %.6f\n" % (cs[0][i][0], statistics.fmean(c[i][1] for c in cs)))
                f.write("\n\n")
        os.replace(os.path.join(a.out, "detect.dat.tmp"), os.path.join(a.out, "detect.dat"))
    print("\n".join(out))


if __name__ == "__main__":
    main()
