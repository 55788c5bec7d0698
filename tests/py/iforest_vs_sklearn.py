#!/usr/bin/python3
"""iforest_vs_sklearn.py MATRIX OUTLIERS OURS... — hold lib/score/iforest.c to
scikit-learn's IsolationForest on one matrix.

MATRIX is text ("n d", then n rows); each OURS file has the anomaly scores
of one of our forests (a different seed each), one per row. OUTLIERS is the
number of planted outliers in the first rows (0: none). Prints

  rho=R rho_sk=S top_ours=A/k top_sk=B/k

rho: the mean Spearman correlation of our forests' scores with those of
scikit-learn's forest of seed 0 (−score_samples); rho_sk: the same for
scikit-learn's forests of seeds 1, 2, ... (as many as ours) — the agreement
that random trees allow. top_*: planted outliers among the k highest scores
of our first forest and of scikit-learn's. Exits 1 unless rho >= 0.85 and
rho >= rho_sk − 0.03, and both find at least 90 % of the planted outliers.
"""
import sys

import numpy as np
from scipy.stats import spearmanr
from sklearn.ensemble import IsolationForest

with open(sys.argv[1]) as f:
    n, d = map(int, f.readline().split())
    X = np.loadtxt(f, dtype=np.float64, ndmin=2)
assert X.shape == (n, d), X.shape
k = int(sys.argv[2])
ours = [np.loadtxt(p, dtype=np.float64, ndmin=1) for p in sys.argv[3:]]
assert ours and all(o.shape == (n,) for o in ours)


def sk(seed):
    f = IsolationForest(n_estimators=100, max_samples=min(256, n), random_state=seed)
    return -f.fit(X).score_samples(X)


s0 = sk(0)
rho = np.mean([spearmanr(o, s0).correlation for o in ours])
rho_sk = np.mean([spearmanr(sk(s), s0).correlation for s in range(1, len(ours) + 1)])
out = f"rho={rho:.4f} rho_sk={rho_sk:.4f}"
ok = rho >= 0.85 and rho >= rho_sk - 0.03
if k:
    top_o = int(np.sum(np.argsort(-ours[0], kind="stable")[:k] < k))
    top_s = int(np.sum(np.argsort(-s0, kind="stable")[:k] < k))
    out += f" top_ours={top_o}/{k} top_sk={top_s}/{k}"
    ok = ok and top_o >= 0.9 * k and top_s >= 0.9 * k
print(out)
sys.exit(0 if ok else 1)
