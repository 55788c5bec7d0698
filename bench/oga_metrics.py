#!/usr/bin/python3
"""oga_metrics.py SCORES FLIPPED.txt — how well a scores stream finds the
flipped labels: prints "AUROC RECALL10 PRECISION5".

Examples are ranked most negative first (ties by id, as top-neg does).
AUROC: the probability that a flipped example ranks before a clean one
(ties count one half); RECALL10: the share of the flipped examples among
the first 10 % ranked; PRECISION5: the share of flipped examples among the
first 5 %.
"""
import subprocess
import sys

import numpy as np
from scipy.stats import rankdata

csv = subprocess.run(["bin/ds-view", "--csv", sys.argv[1]], check=True,
                     capture_output=True, text=True).stdout.splitlines()
cols = csv[0].split(",")
ci, cs = cols.index("id"), cols.index("score")
ids = np.array([int(l.split(",")[ci]) for l in csv[1:]])
sc = np.array([float(l.split(",")[cs]) for l in csv[1:]])
flipped = set(int(x) for x in open(sys.argv[2]).read().split())
bad = np.array([i in flipped for i in ids])
n, nb = len(ids), int(bad.sum())
assert nb > 0 and nb < n
r = rankdata(-sc)                      # larger rank: more suspect
auroc = (r[bad].sum() - nb * (nb + 1) / 2) / (nb * (n - nb))
order = np.lexsort((ids, sc))
k10, k5 = round(0.10 * n), round(0.05 * n)
recall = bad[order[:k10]].sum() / nb
prec = bad[order[:k5]].sum() / k5
print(f"{auroc:.4f} {recall:.4f} {prec:.4f}")
