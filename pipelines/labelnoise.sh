#!/bin/sh
# pipelines/labelnoise.sh — the label-noise methods (docs/labelnoise.md) on
# the seeds of an experiment pipelines/experiment.mk has run: the same
# split, the same noisy labels, the same recipe, so that their rows stand
# beside the experiment's (no removal, the clean-label ceiling, sgd-last,
# loss, oga-l2 and random removal of n).
#
#   sh pipelines/labelnoise.sh EXP [DATASET]
#   e.g. make exp DATASET=mnist NOISE_KIND=pairs NOISE=0.2 NS="0 1000"
#        sh pipelines/labelnoise.sh out/exp/mnist-pairs mnist
#
# For every seed directory EXP/s<seed>/ (train.ds, flipped.ds, base.tr):
#   cv/           5-fold cross-validation (pipelines/crossval.mk, the same
#                 recipe and seed): out-of-sample predictions, label-issues
#   cl-<rank>.scores   label-issues on them with each --rank
#   cl-in.scores  label-issues on in-sample predictions (base.tr predicting
#                 the set it trained on)
#   dyn, aum.scores forgetting.scores  cnn-train --dynamics, the same run
#                 recorded, and dyn-score
#   ln-<arm>.acc  retrained with the recipe and seed: cl-remove (the
#                 examples label-issues flags, out-of-sample, removed),
#                 cl-relabel (their labels replaced by its suggestion)
# Then EXP/labelnoise.md: detection (AUROC, precision of the first k, the
# flagged set's F1 and estimated count, CPU seconds with the extra
# trainings) and accuracy (paired with no removal, gap recovered), beside
# the experiment's rows (pipelines/labelnoise_table.py). A product that
# exists is not made again; JOBS (default 2) seeds at once, each program on
# one thread. B: the programs (default bin/); TEST_DS: the test set
# (default data/DATASET-test.ds).
set -eu
[ $# -ge 1 ] || { echo "usage: sh pipelines/labelnoise.sh EXP [DATASET]" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
first=$1
[ "$first" = --seed ] && shift
exp=$1
ds=${2:-$(sed 's/.*data\/\([a-z0-9]*\)-train.ds.*/\1/' "$exp/stamps/data")}
B=${B:-$ROOT/bin}
PY=${PY:-/usr/bin/python3}
JOBS=${JOBS:-2}
test=${TEST_DS:-$ROOT/data/$ds-test.ds}
[ "$first" = --seed ] || [ -s "$exp/stamps/train" ] || { echo "labelnoise.sh: $exp is not an experiment.mk output (no stamps/train)" >&2; exit 1; }
opts=$(cat "${exp%/s[0-9]*}/stamps/train")
export OMP_NUM_THREADS=1

# CPU seconds (user + system) of a command into FILE: cpu FILE CMD...
cpu() { sh "$ROOT/pipelines/cpu.sh" "$@"; }
# test accuracy of a trace into FILE: acc TRACE FILE
acc() {
	"$B/cnn-eval" -q --trace "$1" -o "$2.metrics" "$test"
	"$B/ds-view" --csv "$2.metrics" | tail -1 | cut -d, -f3 > "$2.tmp"
	[ -s "$2.tmp" ] && mv "$2.tmp" "$2" && rm -f "$2.metrics"
}

seed_run() { # seed directory
	d=$1 s=${1##*/s}
	[ -s "$d/train.ds" ] && [ -s "$d/base.tr" ] || { echo "labelnoise.sh: $d: no train.ds or base.tr" >&2; exit 1; }
	# 5-fold out-of-sample predictions and label-issues
	[ -s "$d/cv/label-issues.scores" ] || make -s --no-print-directory -f "$ROOT/pipelines/crossval.mk" B="$B" \
		TRAIN="$d/train.ds" FLIPPED="$d/flipped.ds" O="$d/cv" SEED="$s" INSAMPLE=0 TRAIN_OPTS="$opts" \
		"$d/cv/label-issues.scores" "$d/cv/f0.cpu" "$d/cv/f1.cpu" "$d/cv/f2.cpu" "$d/cv/f3.cpu" "$d/cv/f4.cpu" >&2
	for r in self_confidence normalized_margin confidence_weighted_entropy; do
		[ -s "$d/cl-$r.scores" ] || "$B/label-issues" -q --rank "$r" --train "$d/train.ds" -o "$d/cl-$r.scores" "$d/cv/oos.pred"
	done
	[ -s "$d/cl.cpu" ] || cat "$d"/cv/f?.cpu | awk '{ s += $1 } END { printf "%.1f\n", s }' > "$d/cl.cpu"
	# in-sample: the run on everything predicting what it trained on
	if [ ! -s "$d/cl-in.scores" ]; then
		cpu "$d/cl-in.cpu" "$B/cnn-eval" -q --trace "$d/base.tr" --train "$d/train.ds" --predictions "$d/in.pred" -o /dev/null "$d/train.ds"
		"$B/label-issues" -q --train "$d/train.ds" -o "$d/cl-in.scores" "$d/in.pred"
	fi
	# training dynamics: the recipe's run, recorded
	if [ ! -s "$d/forgetting.scores" ]; then
		# shellcheck disable=SC2086
		cpu "$d/dyn.cpu" "$B/cnn-train" -q $opts --seed "$s" --trace-epochs none --dynamics "$d/dyn" -o "$d/dyn.tr" "$d/train.ds"
		"$B/dyn-score" -q --method aum -o "$d/aum.scores" "$d/dyn"
		"$B/dyn-score" -q --method forgetting -o "$d/forgetting.scores" "$d/dyn"
		rm -f "$d/dyn.tr"
	fi
	# the actions on what label-issues flags (out-of-sample, self-confidence)
	if [ ! -s "$d/ln-cl-remove.acc" ]; then
		"$B/top-neg" -q --flagged -o "$d/cl-flagged.ids" "$d/cl-self_confidence.scores"
		# shellcheck disable=SC2086
		"$B/ds-remove" -q -i "$d/cl-flagged.ids" -o "$d/cl-removed.ds" "$d/train.ds"
		# shellcheck disable=SC2086
		"$B/cnn-train" -q $opts --seed "$s" --trace-epochs none -o "$d/ln-cl-remove.tr" "$d/cl-removed.ds"
		acc "$d/ln-cl-remove.tr" "$d/ln-cl-remove.acc"
		rm -f "$d/ln-cl-remove.tr" "$d/cl-removed.ds"
	fi
	if [ ! -s "$d/ln-cl-relabel.acc" ]; then
		"$B/ds-relabel" -q --changed "$d/cl-relabel.changed" -o "$d/cl-relabel.ds" "$d/train.ds" "$d/cl-self_confidence.scores"
		# shellcheck disable=SC2086
		"$B/cnn-train" -q $opts --seed "$s" --trace-epochs none -o "$d/ln-cl-relabel.tr" "$d/cl-relabel.ds"
		acc "$d/ln-cl-relabel.tr" "$d/ln-cl-relabel.acc"
		rm -f "$d/ln-cl-relabel.tr" "$d/cl-relabel.ds"
	fi
	echo "labelnoise: $d done" >&2
	return 0
}

if [ "$first" = --seed ]; then
	seed_run "$exp"
	exit
fi
fail=$exp/.labelnoise-failed
rm -f "$fail"
i=0
for d in "$exp"/s[0-9]*; do
	# each seed in its own shell, where set -e stops it at the first failure
	{ sh "$0" --seed "$d" "$ds" || touch "$fail"; } &
	i=$((i + 1))
	[ $((i % JOBS)) -ne 0 ] || wait
done
wait
[ ! -e "$fail" ] || exit 1
"$PY" "$ROOT/pipelines/labelnoise_table.py" "$exp" > "$exp/labelnoise.md.tmp" && mv "$exp/labelnoise.md.tmp" "$exp/labelnoise.md"
cat "$exp/labelnoise.md"
