# label-issues (lib/score/cl.c) against confident learning written again from the
# paper in Python (tests/py/cl_oracle.py): thresholds, confident joint,
# joint, noise matrix, estimated count, every flag, score and suggested
# label, under each --filter and --rank, on seeded random probabilities and
# on adversarial ones: ties, values a hair below a threshold, a class no
# example is labelled, one class, two, every label wrong, certain
# predictions, and two concatenated parts.
. "$(dirname "$0")/../cli/lib.sh"
PY=/usr/bin/python3
for c in random ties slack empty-class one-class two-class all-wrong one-hot parts; do
	res=$($PY "$ROOT/tests/py/cl_oracle.py" $c . 2>&1)
	rc=$?
	echo "# $res"
	if [ $rc -eq 0 ]; then t_pass "label-issues agrees with the oracle: $c"
	else t_bad "label-issues agrees with the oracle: $c" "$res"; fi
done
t_done
