# label-issues: confident learning on real out-of-sample predictions (two
# folds of a small learnable set), the sample kind, --train, top-neg
# --flagged, the scores' readers, and bad input. (The formulas against an
# independent implementation: tests/py/label_issues.sh.)
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
# mk FILE K 'ROWS': a predictions stream of (id, y, [p...]) rows, p as f32
mk() { $PY -c "import sys; sys.path.insert(0, '$ROOT/tests/py'); from cl_oracle import write_predictions as w; w('$1', $2, $3)"; }

gen-data blobs 400 2 | ds-noise -q --frac 0.1 --seed 3 --flipped flipped.ds > all.ds
ds-view --csv flipped.ds | tail -n +2 | cut -d, -f1 > flipped.txt
ds-split -q --val 200 --stratify --seed 1 --val-out f0.ds all.ds > f1.ds
cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 4 f1.ds > t0.tr
cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 4 f0.ds > t1.tr
cnn-eval -q --trace t0.tr --predictions p0 f0.ds > /dev/null
cnn-eval -q --trace t1.tr --predictions p1 f1.ds > /dev/null
cnn-eval -q --trace t0.tr --predictions pin f1.ds > /dev/null
t_eq "cnn-eval: a held-out fold is out-of-sample" '"sample":"out"' "$(ds-view --header p0 | grep -o '"sample":"[a-z]*"')"
t_eq "cnn-eval: the training fold is in-sample" '"sample":"in"' "$(ds-view --header pin | grep -o '"sample":"[a-z]*"')"
cat f0.ds f1.ds > both.ds
cnn-eval -q --trace t0.tr --predictions pmix both.ds > /dev/null
t_eq "cnn-eval: both folds are mixed" '"sample":"mixed"' "$(ds-view --header pmix | grep -o '"sample":"[a-z]*"')"
cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 4 --trace-epochs none f1.ds > none.tr
cnn-eval -q --trace none.tr --predictions punk f0.ds > /dev/null
t_eq "cnn-eval: no steps traced, unknown" '"sample":"unknown"' "$(ds-view --header punk | grep -o '"sample":"[a-z]*"')"
cnn-eval -q --trace none.tr --train f1.ds --predictions pk f0.ds > /dev/null
t_eq "cnn-eval --train: out, by id" '"sample":"out"' "$(ds-view --header pk | grep -o '"sample":"[a-z]*"')"
t_fail "cnn-eval --train: another training set" 1 'cnn-eval: f0.ds: not the training set of the trace*' \
	'cnn-eval -q --trace none.tr --train f0.ds --predictions x f0.ds'
t_fail "cnn-eval --train without --predictions" 2 'cnn-eval: --train goes with --predictions*' \
	'cnn-eval -q --trace none.tr --train f1.ds f0.ds'

cat p0 p1 > oos.pred
t_ok "out-of-sample predictions of every example" "label-issues -q --train all.ds oos.pred > s"
t_ok "one record per example, flag and suggest in each" \
	"[ \$(ds-view --csv s | tail -n +2 | wc -l) = 400 ] && ds-view --csv s | head -1 | grep -qx 'id,y,score,flag,suggest'"
cnn-eval -q --trace t0.tr --predictions pall all.ds > /dev/null
dg=$(ds-view --header pall | sed 's/.*"data_digest":\([0-9]*\).*/\1/')
t_ok "header: sample out, 2 parts, the dataset's count and digest" \
	"ds-view --header s | grep -q '\"train_n\":400,\"train_digest\":$dg,.*\"sample\":\"out\",\"parts\":2'"
flagged=$(ds-view --header s | sed 's/.*"flagged":\([0-9]*\).*/\1/')
issues=$(ds-view --header s | sed 's/.*"issues":\([0-9]*\).*/\1/')
hits=$(top-neg -q --flagged --text s | grep -cFxf flipped.txt)
echo "# flagged $flagged, estimated $issues, of them flips $hits (40 flipped)"
t_ok "the estimate is near the 40 flips (25..60)" "[ $issues -ge 25 ] && [ $issues -le 60 ]"
t_ok "most flagged are flips" "[ $hits -ge \$((flagged * 3 / 4)) ] && [ $hits -ge 25 ]"
t_ok "top-neg --flagged: exactly the flagged records, most negative first" "
	top-neg -q --flagged --text s > fl.txt
	ds-view --csv s | tail -n +2 | awk -F, '\$4 == \"true\"' | sort -t, -k3,3g -k1,1n | cut -d, -f1 > want.txt
	[ \$(wc -l < fl.txt) = $flagged ] && cmp fl.txt want.txt"
t_ok "ds-remove takes them" "top-neg -q --flagged s | ds-remove -q all.ds | ds-view --stats | grep -qx 'examples $((400 - flagged))'"
t_ok "ds-remove: scores of this training set, no warning" "top-neg -q --flagged s | ds-remove all.ds 2>&1 >/dev/null | grep -v 'another training set'"
t_ok "the same predictions in another order, the same flags" "
	cat p1 p0 | label-issues -q --train all.ds > s2
	ds-view --csv s | tail -n +2 | sort > a.csv; ds-view --csv s2 | tail -n +2 | sort > b.csv; cmp a.csv b.csv"
t_ok "deterministic" "label-issues -q --train all.ds oos.pred | cmp - s"
for f in prune_by_class both confident_learning; do
	t_ok "--filter $f" "label-issues -q --filter $f --train all.ds oos.pred | ds-view --header | grep -q '\"filter\":\"$f\"'"
done
t_ok "--filter both flags the intersection" "
	label-issues -q --filter prune_by_class oos.pred | top-neg -q --flagged --text | sort > c.txt
	label-issues -q oos.pred | top-neg -q --flagged --text | sort > r.txt
	label-issues -q --filter both oos.pred | top-neg -q --flagged --text | sort > b.txt
	comm -12 c.txt r.txt | cmp - b.txt"
for r in normalized_margin confidence_weighted_entropy; do
	t_ok "--rank $r: scores in [-1, 0], the same flags" "
		label-issues -q --rank $r oos.pred > r.sc
		ds-view --csv r.sc | tail -n +2 | awk -F, '\$3 < -1 || \$3 > 0 { exit 1 }'
		top-neg -q --flagged --text r.sc | sort | cmp - r.txt"
done
t_ok "in-sample predictions: a warning" "label-issues pin 2>&1 >/dev/null | grep -q 'label-issues: the network trained on all of these examples'"
t_ok "an in-sample part and an out-of-sample one: mixed, warned" \
	"cat pin p0 | label-issues 2>&1 >/dev/null | grep -q 'the network trained on some of these examples' && cat pin p0 | label-issues -q | ds-view --header | grep -q '\"sample\":\"mixed\"'"
t_ok "an unknown part makes the whole unknown" "cat punk p1 | label-issues -q | ds-view --header | grep -q '\"sample\":\"unknown\"'"
t_ok "unknown: a note" "label-issues punk 2>&1 >/dev/null | grep -q 'whether the network trained on these examples is unknown'"
t_ok "one part: the digest of the dataset predicted" "label-issues -q p0 | ds-view --header | grep -q \"\\\"train_digest\\\":\$(ds-view --header p0 | sed 's/.*\"data_digest\":\\([0-9]*\\).*/\\1/')\""
t_ok "parts without --train: told to give it" "label-issues oos.pred 2>&1 >/dev/null | grep -q 'give --train TRAIN'"
t_ok "ds-view --csv and ds-sheet take the scores" "ds-view --csv s > /dev/null && ds-sheet -q --train all.ds -k 5 -o sheet.png s"

# ds-sheet: the flagged examples with their suggested labels
CHK="$PY $ROOT/tests/py/png_check.py"
top-neg -q --flagged --text s > fl.txt
t_ok "ds-sheet --flagged: the flagged examples in score order, a caption line more" \
	"ds-sheet -q --flagged --train all.ds -k 500 --cols 8 --scale 2 -o f.png s && $CHK sheet f.png all.ds 2 8 4 \$(tr '\n' ' ' < fl.txt)"
t_ok "ds-sheet --flagged: the title says so" "ds-sheet --flagged --train all.ds -k 5 -o f5.png s 2>&1 | grep -qx 'ds-sheet: 5 examples shown'"
t_ok "ds-sheet --html: the suggested labels, the flagged ones'" "ds-sheet -q --flagged --html --train all.ds -k 500 -o f.html s"
t_eq "one suggestion a flagged example" "$flagged" "$(grep -o '<td class="suggest" data-v="[0-9]*">' f.html | wc -l)"
t_eq "the suggestions are label-issues'" \
	"$(for i in $(cat fl.txt); do ds-view s | grep "^{\"id\":$i," | sed 's/.*"suggest":\([0-9]*\).*/\1/'; done | paste -sd' ')" \
	"$(grep -o '<td class="suggest" data-v="[0-9]*">' f.html | sed 's/.*data-v="\([0-9]*\)".*/\1/' | paste -sd' ')"
t_ok "ds-sheet without --flagged: the most negative, suggestions only where flagged" \
	"ds-sheet -q --html --train all.ds -k 400 -o all.html s && [ \$(grep -c '<td class=\"suggest\"' all.html) = $flagged ]"
t_fail "ds-sheet --flagged of ids" 2 'ds-sheet: --flagged takes a scores stream; fl.txt is ids*' 'ds-sheet --flagged --train all.ds -o x.png fl.txt'

# top-neg --flagged on other scores
grad-outlier -q --method loss --count 7 --trace t0.tr --train f1.ds > g.sc
t_ok "top-neg --flagged: grad-outlier --count's flagged most negative" \
	"top-neg -q --flagged --text g.sc > a.txt && top-neg -q -n 7 --text g.sc | cmp - a.txt"
grad-outlier -q --method loss --trace t0.tr --train f1.ds > g0.sc
t_fail "top-neg --flagged: nothing flagged" 1 'top-neg: g0.sc: no example is flagged*' 'top-neg --flagged g0.sc'
t_fail "top-neg: --flagged with -n" 2 'top-neg: give exactly one of*' 'top-neg --flagged -n 3 s'

# bad input: one line, exit 1
t_fail "empty input" 1 'label-issues: stdin: empty input (no stream header)' 'label-issues < /dev/null'
mk e.pred 3 '[]'
t_fail "no predictions" 1 'label-issues: e.pred: no predictions' 'label-issues e.pred'
mk sum.pred 3 '[(0, 0, [0.5, 0.6, 0.0])]'
t_fail "probabilities that do not sum to 1" 1 'label-issues: sum.pred: example id 0: probabilities sum to 1.1, not 1 (tolerance 0.001)' 'label-issues sum.pred'
mk nan.pred 3 '[(0, 0, [0.5, 0.5, 0.0]), (4, 1, [0.5, float("nan"), 0.5])]'
t_fail "NaN" 1 'label-issues: nan.pred: example id 4: probability of class 1 is not finite' 'label-issues nan.pred'
mk neg.pred 3 '[(0, 0, [1.5, -0.5, 0.0])]'
t_fail "a negative probability" 1 'label-issues: neg.pred: example id 0: probability of class 0 is 1.5, outside \[0, 1\]' 'label-issues neg.pred'
mk y.pred 3 '[(0, 3, [0.5, 0.5, 0.0])]'
t_fail "a label outside the classes" 1 'label-issues: y.pred: example id 0: label 3 out of range (classes 3)' 'label-issues y.pred'
mk k3.pred 3 '[(900, 0, [0.25, 0.25, 0.5])]'
t_fail "parts of different K" 1 "label-issues: stdin: concatenated streams disagree on 'classes'" 'cat p0 k3.pred | label-issues'
t_fail "an id twice" 1 'label-issues: stdin: duplicate example id *' 'cat p0 p0 | label-issues'
t_fail "--train: a label that differs" 1 'label-issues: other.ds: example id * is labelled *, its prediction says *' \
	'ds-noise -q --count 400 --seed 9 --flipped x.ids all.ds > other.ds; label-issues --train other.ds oos.pred'
t_fail "--train: an example without a prediction" 1 'label-issues: all.ds: example id * has no prediction' 'label-issues --train all.ds p0'
t_fail "--train: predictions of other examples" 1 'label-issues: f0.ds: 200 examples, the predictions have 400 (ids not in it)' 'label-issues --train f0.ds oos.pred'
t_fail "bad --filter" 2 "label-issues: bad --filter 'x' (want prune_by_noise_rate, prune_by_class, both or confident_learning)*" 'label-issues --filter x oos.pred'
t_fail "bad --rank" 2 "label-issues: bad --rank 'x'*" 'label-issues --rank x oos.pred'
t_fail "a dataset instead of predictions" 1 "label-issues: all.ds: input is a 'dataset' stream, want 'predictions'" 'label-issues all.ds'
head -c 100 oos.pred > cut.pred
t_fail "truncated" 1 'label-issues: cut.pred: truncated stream*' 'label-issues cut.pred'
t_fail "two inputs" 2 'label-issues: at most one PREDICTIONS*' 'label-issues p0 p1'
t_tty "refuses a terminal" 'label-issues oos.pred'
t_done
