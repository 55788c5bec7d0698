#!/usr/bin/python3
"""stability_table.py TSV... — pipelines/stability.sh's runs as Markdown
tables: per dataset, network and method, the mean ± standard deviation over
seeds of each figure, the walk's eta*lambda and |u| growth (largest over
seeds), flow sub-steps, and seconds; for trim runs the test accuracy after
removal, with its paired differences from no and from random removal."""
import math
import sys
from collections import OrderedDict


def stats(v):
    m = sum(v) / len(v)
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    return m, s


def trim_table(data, net, seeds, methods):
    """Test accuracy after removing each method's first few per cent and
    retraining: mean ± std over seeds, and the paired differences from no
    removal and from random removal (same seed)."""
    acc = {m: {r["seed"]: 100 * float(r["result"].split("=")[1]) for r in rows}
           for m, rows in methods.items()}
    print("\n**test accuracy (%%) after trimming and retraining, %s, %s** (%d seeds: %s)\n" % (
        data, net, len(seeds), " ".join(seeds)))
    print("| removed by | test accuracy | − none (paired) | − random (paired) | per seed |")
    print("|---|---|---|---|---|")
    for m, a in acc.items():
        ss = [s for s in seeds if s in a]
        cells = ["%.2f ± %.2f" % stats([a[s] for s in ss])]
        for base in ("none", "random"):
            b = acc.get(base, {})
            d = [a[s] - b[s] for s in ss if s in b]
            cells.append("%+.2f ± %.2f" % stats(d) if d and m != base else "")
        print("| %s | %s | %s |" % (m, " | ".join(cells), " ".join("%.2f" % a[s] for s in ss)))


def main(paths):
    groups = OrderedDict()
    for p in paths:
        with open(p) as f:
            head = f.readline().rstrip("\n").split("\t")
            for line in f:
                row = dict(zip(head, line.rstrip("\n").split("\t")))
                key = (row["what"], row["data"], row["net"])
                groups.setdefault(key, OrderedDict()).setdefault(row["method"], []).append(row)
    for (what, data, net), methods in groups.items():
        seeds = sorted({r["seed"] for rows in methods.values() for r in rows})
        if what == "trim":
            trim_table(data, net, seeds, methods)
            continue
        print("\n**%s, %s, %s** (%d seeds: %s)\n" % (
            "mislabel detection" if what == "detect" else "agreement with the counterfactual",
            data, net, len(seeds), " ".join(seeds)))
        first = next(iter(methods.values()))[0]["result"].split()
        names = [kv.split("=")[0] for kv in first if not kv.startswith(("n=", "flipped="))]
        print("| method | " + " | ".join(names) + " | η·λ (max) | ‖u‖ growth (max) | sub-steps | s |")
        print("|---" * (len(names) + 5) + "|")
        for meth, rows in methods.items():
            cells = []
            for nm in names:
                v = [float(dict(kv.split("=") for kv in r["result"].split())[nm]) for r in rows]
                m, s = stats(v)
                cells.append("%.3f ± %.3f" % (m, s))
            el = [float(r["eta_lambda"]) for r in rows if r["eta_lambda"] != "-"]
            ug = [float(r["u_growth"]) for r in rows if r["u_growth"] != "-"]
            fs = sorted({r["flow_steps"] for r in rows if r["flow_steps"] != "-"})
            sec = stats([float(r["seconds"]) for r in rows])[0]
            print("| %s | %s | %s | %s | %s | %.0f |" % (
                meth, " | ".join(cells), "%.2f" % max(el) if el else "–",
                "%.3g" % max(ug) if ug else "–", ",".join(fs) if fs else "–", sec))


if __name__ == "__main__":
    main(sys.argv[1:])
