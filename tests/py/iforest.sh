# lib/score/iforest.c against scikit-learn's IsolationForest (Debian python3-sklearn)
# on the same matrices: planted outliers found by both, and the Spearman rank
# correlation of the anomaly scores with scikit-learn's (mean over 3 of our
# seeds) at least 0.85 and no more than 0.03 below scikit-learn's agreement
# with itself under 3 other seeds: trees are random, no two forests agree
# exactly, and one forest against another varies by about ±0.02 here. The
# figures are printed in the test log.
. "$(dirname "$0")/../cli/lib.sh"
PY=/usr/bin/python3
CMP="$PY $ROOT/tests/py/iforest_vs_sklearn.py"
if ! $PY -c 'import sklearn, scipy' 2>/dev/null; then
	echo "ok - iforest vs scikit-learn # SKIP: no python3-sklearn (make deps)"
	t_done
fi
# name n d planted shape
$PY - <<'PY'
import numpy as np
rng = np.random.default_rng(7)
def save(name, X):
    with open(name, "w") as f:
        f.write(f"{X.shape[0]} {X.shape[1]}\n")
        np.savetxt(f, X, fmt="%.9g")
# Gaussian, 20 rows moved 6 sigma away
X = rng.standard_normal((2000, 6)); X[:20] += np.where(np.arange(6) % 2, 6, -6)
save("gauss.txt", X)
# heavy tails and constant columns, 15 rows far out in a few coordinates
X = rng.lognormal(size=(1500, 30)); X[:, 5] = 1; X[:, 17] = 0
X[:15, :4] = 300 + 100 * rng.random((15, 4))
save("skewed.txt", X)
# an outer-product matrix like grad-outlier's: rows a (x) h, a sparse relu-like
# h; 25 rows with a residual 20 times larger
a = rng.standard_normal((1200, 4)) * 0.05; a[:25] *= 20
h = np.maximum(rng.standard_normal((1200, 16)), 0)
save("outer.txt", (a[:, :, None] * h[:, None, :]).reshape(1200, 64))
# no planted outliers: the ranks alone
save("plain.txt", rng.standard_normal((800, 10)))
PY
for m in gauss:20 skewed:15 outer:25 plain:0; do
	name=${m%:*} k=${m#*:}
	for s in 1 2 3; do test-iforest --score $name.txt $s > $name.$s; done
	res=$($CMP $name.txt $k $name.1 $name.2 $name.3)
	rc=$?
	echo "# $name: $res"
	if [ $rc -eq 0 ]; then t_pass "iforest vs scikit-learn on $name"; else t_bad "iforest vs scikit-learn on $name" "$res"; fi
done
t_done
