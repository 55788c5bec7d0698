#!/usr/bin/python3
"""recipes_table.py OUT — the table of a recipe sweep (pipelines/recipes.sh):
one row per recipe, in the order of the recipes' names as given, with the
command, test accuracy on clean and on noisy labels (mean ± sample std over
the seeds, and how many seeds), and the CPU minutes of one run (training and
testing, one thread). Reads OUT/rows.tsv, OUT/rows/NAME.opts and
OUT/rows/order (the recipes in the order the sweep named them)."""
import os
import statistics
import sys


def main():
    out = sys.argv[1]
    rows = {}
    meta = None
    with open(os.path.join(out, "rows.tsv")) as f:
        next(f)
        for line in f:
            ds, net, n, name, seed, lab, acc, cpu = line.rstrip("\n").split("\t")
            meta = (ds, net, n)
            rows.setdefault(name, {}).setdefault(lab, []).append((int(seed), float(acc), float(cpu)))
    if not meta:
        sys.exit("recipes_table.py: no runs in %s" % out)
    # recipes in the order the last sweep named them, then any others
    order = []
    if os.path.exists(os.path.join(out, "rows", "order")):
        order = [r for r in open(os.path.join(out, "rows", "order")).read().split() if r in rows]
    names = order + sorted(r for r in rows if r not in order)
    print("%s, %s, %s training images; test accuracy %% on the test set, mean ± std over seeds (n); "
          "CPU min of one run at one thread" % meta)
    print()
    print("| recipe | cnn-train options | clean labels | 10 % flipped | CPU min |")
    print("|---|---|---|---|---:|")

    def cell(v):
        if not v:
            return "—"
        a = [100 * x[1] for x in v]
        sd = statistics.stdev(a) if len(a) > 1 else float("nan")
        return "%.2f ± %.2f (%d)" % (statistics.mean(a), sd, len(a))

    for r in names:
        opts = open(os.path.join(out, "rows", r + ".opts")).read().strip()
        cpu = [x[2] for lab in rows[r].values() for x in lab]
        print("| %s | `%s` | %s | %s | %.1f |" % (r, opts, cell(rows[r].get("clean")),
                                                  cell(rows[r].get("noisy")),
                                                  statistics.mean(cpu) / 60))


if __name__ == "__main__":
    main()
