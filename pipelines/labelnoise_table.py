#!/usr/bin/python3
"""labelnoise_table.py EXP -- the tables of pipelines/labelnoise.sh: the
label-noise methods on an experiment's seeds, beside the experiment's own
methods (experiment.mk: EXP/results.csv and EXP/s<seed>/<method>.scores).

Detection, per method, mean ± std over seeds: AUROC of the flips (most
negative first), precision of the first k (k = the seed's number of
flips), and for methods that flag a set (label-issues) its precision,
recall, F1 and size against the true count; the CPU seconds the method
adds to the one training every method has (cross-validation's K
trainings, the dynamics run: recorded; the experiment's scoring seconds
for its methods are wall time, from its detection.csv).

Accuracy, per arm: test accuracy (mean ± std), the paired difference to no
removal with its 95 % t-interval, and the gap recovered, (arm - none) /
(ceiling - none) per seed, mean and t-interval."""
import csv
import glob
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_scores import auroc, records  # noqa: E402
from flagged import header  # noqa: E402
from report import fmt_diff  # noqa: E402  (the experiment's paired interval)


def msd(v, fmt="%.2f"):
    if len(v) < 2:
        return fmt % v[0]
    return (fmt + " ± " + fmt) % (statistics.fmean(v), statistics.stdev(v))


def flips(d):
    with open(os.path.join(d, "flipped.txt")) as f:
        return {int(x) for x in f.read().split()}


def readnum(path):
    try:
        with open(path) as f:
            return float(f.read().split()[0])
    except (OSError, IndexError, ValueError):
        return None


def pct(v):
    return None if v is None else v * 100


def detect(path, flipped):
    """detection figures of one scores stream, read once"""
    recs = list(records(path))
    sc = {r["id"]: r["score"] if "score" in r else -r["loss"] for r in recs if "score" in r or "loss" in r}
    pos = {i for i in sc if i in flipped}
    order = sorted(sc, key=lambda i: (sc[i], i))
    k = len(flipped)
    prec = sum(1 for i in order[:k] if i in pos) / k
    out = {"auroc": auroc(sc, pos), "pk": prec}
    flag = [r for r in recs if r.get("flag")]
    hdr = header(path)
    if flag or "issues" in hdr:
        f = {r["id"] for r in flag}
        hit = len(f & flipped)
        p = hit / len(f) if f else float("nan")
        r = hit / len(flipped)
        out.update(flagged=len(f), est=hdr.get("issues"), true=len(flipped), fp=p, fr=r,
                   f1=2 * p * r / (p + r) if p + r > 0 else 0.0)
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    exp = sys.argv[1]
    seeds = sorted(glob.glob(os.path.join(exp, "s[0-9]*")), key=lambda p: int(p.rsplit("s", 1)[1]))
    names = [os.path.basename(s) for s in seeds]
    # the experiment's rows: accuracy of none, ceiling and each method at n = its largest n
    rows, hits = {}, {}
    with open(os.path.join(exp, "results.csv")) as f:
        for r in csv.DictReader(f):
            rows[r["method"], int(r["n"]), "s" + r["seed"]] = float(r["accuracy"]) * 100
            hits.setdefault((r["method"], int(r["n"])), []).append(int(r["flipped_removed"]))
    exp_methods = sorted({m for m, n, s in rows if n > 0 and m != "random"}, key=lambda m: [
        "sgd-last", "sgd-last-ref", "tracin-last", "loss", "oga-l2"].index(m) if m in [
        "sgd-last", "sgd-last-ref", "tracin-last", "loss", "oga-l2"] else 99)
    # the experiment's n nearest the number of flips
    kmean = statistics.fmean(len(flips(s)) for s in seeds)
    nmax = min({n for m, n, s in rows if n > 0}, key=lambda n: (abs(n - kmean), n))
    det_secs = {}
    dpath = os.path.join(exp, "detection.csv")
    if os.path.exists(dpath):
        with open(dpath) as f:
            for r in csv.DictReader(f):
                det_secs.setdefault(r["method"], []).append(float(r["score_seconds"]))

    # detection
    methods = [("cl-self_confidence", "label-issues, 5-fold, self_confidence", "cl.cpu"),
               ("cl-normalized_margin", "label-issues, 5-fold, normalized_margin", "cl.cpu"),
               ("cl-confidence_weighted_entropy", "label-issues, 5-fold, confidence_weighted_entropy", "cl.cpu"),
               ("cl-in", "label-issues, in-sample", "cl-in.cpu"),
               ("aum", "AUM (dyn-score)", "dyn.cpu"),
               ("forgetting", "forgetting events (dyn-score)", "dyn.cpu")]
    methods += [(m, m, None) for m in exp_methods]
    print("### Label-noise methods on %s (%d seeds)\n" % (exp, len(seeds)))
    print("Detection, mean ± std over seeds (k = the seed's number of flipped labels, %s):\n"
          % ", ".join(str(len(flips(s))) for s in seeds))
    print("| method | AUROC | precision of the first k | flagged: precision | recall | F1 | flagged / estimated / true | extra CPU s |")
    print("|---|---|---|---|---|---|---|---:|")
    det = {}
    for key, label, cpuf in methods:
        res = []
        cpus = []
        for s in seeds:
            p = os.path.join(s, key + ".scores")
            if not os.path.exists(p):
                continue
            det[key, s] = detect(p, flips(s))
            res.append(det[key, s])
            c = readnum(os.path.join(s, cpuf)) if cpuf else None
            if c is not None:
                cpus.append(c)
        if not res:
            continue
        line = "| %s | %s | %s |" % (label, msd([r["auroc"] for r in res], "%.3f"), msd([r["pk"] for r in res], "%.2f"))
        if "f1" in res[0]:
            line += " %s | %s | %s | %s |" % (
                msd([r["fp"] for r in res]), msd([r["fr"] for r in res]), msd([r["f1"] for r in res]),
                "%.0f / %s / %.0f" % (statistics.fmean([r["flagged"] for r in res]),
                                      "%.0f" % statistics.fmean([r["est"] for r in res]) if res[0]["est"] is not None else "—",
                                      statistics.fmean([r["true"] for r in res])))
        else:
            line += " | | | |"
        if cpus:
            line += " %.0f |" % statistics.fmean(cpus)
        elif key in det_secs:
            line += " %.0f (wall) |" % statistics.fmean(det_secs[key])
        else:
            line += " |"
        print(line)

    # accuracy
    print("\nTest accuracy (%) after each action, retrained with the same recipe and seed; "
          "differences paired by seed with their 95 % t-interval; gap recovered = (arm − none) / (ceiling − none).\n")
    print("| arm | removed (flipped among them) | accuracy | − no removal (pp) | vs no removal | gap recovered |")
    print("|---|---|---|---|---|---|")
    none = [rows.get(("none", 0, n)) for n in names]
    ceil = [rows.get(("ceiling", 0, n)) for n in names]
    print("| none | 0 | %s | | | |" % msd(none))
    print("| ceiling (clean labels) | 0 | %s | %s | %s | 1 |" % ((msd(ceil),) + fmt_diff([c - a for c, a in zip(ceil, none)])))

    def arm(label, accs, removed):
        ok = [i for i, a in enumerate(accs) if a is not None]
        if not ok:
            return
        a = [accs[i] for i in ok]
        d = [accs[i] - none[i] for i in ok]
        g = [(accs[i] - none[i]) / (ceil[i] - none[i]) for i in ok if ceil[i] != none[i]]
        dd, v = fmt_diff(d)
        gg, _ = fmt_diff(g)
        print("| %s | %s | %s | %s | %s | %s |" % (label, removed, msd(a), dd, v, gg))

    fl = []
    for s in seeds:
        r = det.get(("cl-self_confidence", s))
        if r:
            fl.append("%d (%d)" % (r["flagged"], round(r["flagged"] * r["fp"])))
    arm("label-issues flagged, removed", [pct(readnum(os.path.join(s, "ln-cl-remove.acc"))) for s in seeds],
        "per seed: " + ", ".join(fl))
    arm("label-issues flagged, relabelled to its suggestion", [pct(readnum(os.path.join(s, "ln-cl-relabel.acc"))) for s in seeds],
        "none; the flagged relabelled")
    for m in exp_methods + ["random"]:
        arm("%s, first %d removed" % (m, nmax), [rows.get((m, nmax, n)) for n in names],
            "%d (%.0f)" % (nmax, statistics.fmean(hits[m, nmax])))


if __name__ == "__main__":
    main()
