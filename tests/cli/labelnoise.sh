# pipelines/labelnoise.sh on a tiny experiment: every product made once (a
# second run makes nothing), the table's figures are the streams' (AUROC
# from detect.py, the flagged set's size from label-issues, the removal arm
# retrained by hand to the same bits), and a directory that is not an
# experiment is refused
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
gen-data blobs 240 1 > train.ds
gen-data blobs 60 2 > test.ds
make --no-print-directory -f "$ROOT/pipelines/experiment.mk" B="$ROOT/bin" DATASET=blobs TRAIN_DS=train.ds \
	TEST_DS=test.ds NTRAIN=150 NVAL=40 NET=linear BATCH=16 EPOCHS=2 SEEDS='1 2' NS='0 15' METHODS=loss NOISE=0.1 O=o \
	> make.out 2>&1 || { echo "FAIL - experiment.mk: $(tail -5 make.out)"; exit 1; }
LN="env B=$ROOT/bin TEST_DS=test.ds JOBS=2 sh $ROOT/pipelines/labelnoise.sh o blobs"
if ! $LN > ln.out 2> ln.err; then
	echo "FAIL - labelnoise.sh: $(tail -5 ln.err)"; exit 1
fi
t_ok "the table: detection rows for label-issues (each rank, in-sample), AUM, forgetting and the experiment's loss" \
	"for m in 'label-issues, 5-fold, self_confidence' 'label-issues, 5-fold, normalized_margin' 'label-issues, in-sample' 'AUM (dyn-score)' 'forgetting events (dyn-score)' 'loss'; do grep -q \"^| \$m | \" o/labelnoise.md || exit 1; done"
t_ok "the table: the actions beside none, the ceiling and the experiment's arms" \
	"grep -q '^| label-issues flagged, removed |' o/labelnoise.md && grep -q '^| label-issues flagged, relabelled' o/labelnoise.md && grep -q '^| ceiling (clean labels) |' o/labelnoise.md && grep -q '^| random, first 15 removed | 15 (' o/labelnoise.md"
t_ok "every seed: 5 folds, each example predicted once, out of sample" \
	"for s in 1 2; do [ \$(ls o/s\$s/cv/f?.pred | wc -l) = 5 ] && [ \"\$(ds-view --csv o/s\$s/cv/oos.pred | tail -n +2 | cut -d, -f1 | sort -n)\" = \"\$(ds-view --csv o/s\$s/train.ds | tail -n +2 | cut -d, -f1 | sort -n)\" ] || exit 1; done"
want=$(for s in 1 2; do $PY "$ROOT/pipelines/detect.py" o/s$s/aum.scores o/s$s/flipped.ds curve.txt | cut -d, -f1; done |
	$PY -c 'import statistics as s, sys; v = [float(x) for x in sys.stdin.read().split()]; print("%.3f ± %.3f" % (s.fmean(v), s.stdev(v)))')
t_ok "AUM's AUROC in the table is detect.py's, mean ± std over the seeds ($want)" \
	"grep '^| AUM (dyn-score) |' o/labelnoise.md | grep -qF '| $want |'"
t_ok "detect.py writes a device in place: /dev/null stays a device" \
	"$PY $ROOT/pipelines/detect.py o/s1/aum.scores o/s1/flipped.ds /dev/null > /dev/null && [ -c /dev/null ]"
t_ok "the removal arm is the flagged set removed and the recipe retrained: the same accuracy by hand" \
	"top-neg -q --flagged o/s1/cl-self_confidence.scores | ds-remove -q o/s1/train.ds | cnn-train -q \$(cat o/stamps/train) --seed 1 --trace-epochs none | cnn-eval -q test.ds | ds-view --csv | tail -1 | cut -d, -f3 | cmp - o/s1/ln-cl-remove.acc"
t_ok "the relabel arm changed exactly the flagged examples" \
	"[ \$(ds-view --csv o/s1/cl-relabel.changed | tail -n +2 | wc -l) = \$(ds-view --csv o/s1/cl-flagged.ids | tail -n +2 | wc -l) ]"
touch marker
$LN > ln2.out 2> ln2.err
t_ok "a second run makes nothing and prints the same table" "[ \$(find o -newer marker -type f ! -name labelnoise.md | wc -l) = 0 ] && cmp -s ln.out ln2.out"
t_fail "not an experiment" 1 "labelnoise.sh: nowhere is not an experiment.mk output*" "sh $ROOT/pipelines/labelnoise.sh nowhere blobs"
t_fail "no arguments" 2 "usage: sh pipelines/labelnoise.sh EXP*" "sh $ROOT/pipelines/labelnoise.sh"
t_done
