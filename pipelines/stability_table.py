#!/usr/bin/python3
"""stability_table.py TSV... — pipelines/stability.sh's runs as Markdown
tables: per dataset, network and method, the mean ± standard deviation over
seeds of each figure, the walk's eta*lambda and |u| growth (largest over
seeds), flow sub-steps, and seconds."""
import math
import sys
from collections import OrderedDict


def stats(v):
    m = sum(v) / len(v)
    s = math.sqrt(sum((x - m) ** 2 for x in v) / (len(v) - 1)) if len(v) > 1 else 0.0
    return m, s


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
