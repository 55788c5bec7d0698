#!/usr/bin/python3
"""if_report.py OUT -- the table of docs/if.md from OUT/SET/results.tsv and
OUT/SET/truth.txt (bench/if.sh), and OUT/f1.dat for the plot.

Per set, K and sampler: the seeds run, F1 mean and standard deviation
(n - 1), a_self and a_rest means, solver iterations and final relative
residual (means), the time of the
whole influence computation (hess-sample + inf-update, seconds, mean) and
its peak memory (the larger of the two programs' peak RSS, MB, mean), with
hess-sample's own seconds in brackets (CPU seconds, user + system, where
bench/if.sh recorded them; the wall time for older runs); then
the difference of each stratified sampler's mean F1 from random's at the
same K with its standard error (Welch)."""
import json
import math
import os
import sys

out = sys.argv[1]
rows = {}
truth = {}
for ds in ("mnist", "fashion"):
    p = os.path.join(out, ds, "results.tsv")
    if not os.path.exists(p):
        continue
    for line in open(p):
        f = line.rstrip("\n").split("\t")
        t, u = f[9].split(), f[10].split()
        # CPU seconds (user + system) where recorded, else the wall time
        cpu = [float(x[2]) + float(x[3]) if len(x) == 4 else float(x[0]) for x in (t, u)]
        rows.setdefault((ds, int(f[1]), f[2]), []).append(dict(
            seed=int(f[3]), f1=float(f[4]), a_self=float(f[5]), a_rest=float(f[6]),
            it=int(f[7]), res=float(f[8]), secs=cpu[0] + cpu[1], samp=cpu[0],
            mem=max(int(t[1]), int(u[1])) / 1024, cpu=len(t) == 4))
    for line in open(os.path.join(out, ds, "truth.txt")):
        k, rest = line.split(" ", 1)
        truth[(ds, k)] = json.loads("{" + rest.strip().rstrip("}") + "}")


def ms(v):
    m = sum(v) / len(v)
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else float("nan")
    return m, s


cpu = all(x["cpu"] for r in rows.values() for x in r)
print("| set | K | sampler | seeds | F1 | a_self | a_rest | iters | residual | %s s (of it hess-sample) | peak MB | F1 − random |"
      % ("CPU" if cpu else "wall"))
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
dat = open(os.path.join(out, "f1.dat"), "w")
for ds in ("mnist", "fashion"):
    for K in (64, 256, 1024):
        for by in ("random", "features", "logits"):
            r = rows.get((ds, K, by))
            if not r:
                continue
            # a failed solve (bench/if.sh: F1 nan) counts in "seeds", not in
            # the figures
            failed = [x for x in r if math.isnan(x["f1"])]
            nseeds = "%d" % len(r) + (" (%d failed)" % len(failed) if failed else "")
            r = [x for x in r if not math.isnan(x["f1"])] or failed
            f1m, f1s = ms([x["f1"] for x in r])
            d = ""
            rr = [x for x in rows.get((ds, K, "random"), []) if not math.isnan(x["f1"])]
            if by != "random" and rr and len(r) > 1 and len(rr) > 1:
                m0, s0 = ms([x["f1"] for x in rr])
                se = math.sqrt(f1s ** 2 / len(r) + s0 ** 2 / len(rr))
                d = "%+.3f ± %.3f" % (f1m - m0, se)
            print("| %s | %d | %s | %s | %.3f ± %.3f | %.3f | %.3f | %.0f | %.3g | %.0f (%.0f) | %.0f | %s |" % (
                ds, K, by, nseeds, f1m, f1s, ms([x["a_self"] for x in r])[0],
                ms([x["a_rest"] for x in r])[0], ms([x["it"] for x in r])[0],
                ms([x["res"] for x in r])[0],
                ms([x["secs"] for x in r])[0], ms([x["samp"] for x in r])[0],
                ms([x["mem"] for x in r])[0], d))
            dat.write("%s %d %s %.5f %.5f %d\n" % (ds, K, by, f1m, f1s, len(r)))
    for k in ("base", "retrain"):
        t = truth.get((ds, k))
        if t:
            print("| %s | — | %s | 1 | %.3f | %.3f | %.3f | | | | | |" % (
                ds, "trained (no removal)" if k == "base" else "retrained without the class",
                t["f1"], t["a_self"], t["a_rest"]))
dat.close()
