#!/bin/sh
# pipelines/recipes.sh — choose a training recipe by measurement
# (docs/recipes.md): train NET on NTRAIN images of DATASET with each recipe,
# for every seed, on the clean labels and with NOISE of them flipped
# (symmetric), and test every run on the dataset's test set.
#
#   sh pipelines/recipes.sh OUT DATASET NET NTRAIN "SEEDS" NAME='OPTS' ...
#   e.g. sh pipelines/recipes.sh out/recipes/mnist mnist hara-mnist 10000 "1 2 3 4 5" \
#            short='--batch 64 --epochs 3' cos15='--batch 64 --epochs 15 --schedule cosine --drop-last'
#
# The split is experiment.mk's (a seed draws NVAL validation images, then
# NTRAIN training images, from data/DATASET-train.ds), so a recipe chosen
# here is measured on the data the workflows train on. Each run is one
# cnn-train process at --threads 1, JOBS (default 2) at once; a run's
# line, OUT/rows/NAME.SEED.LABELS, holds the test accuracy and the CPU
# seconds (user + system) of training and testing. Runs already done are
# not run again, so a sweep can be stopped and resumed, or widened with more
# seeds or recipes. LABELS=clean or noisy (default both) runs one of them.
# At the end: OUT/rows.tsv, and pipelines/recipes_table.py prints the table.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/bin}
[ $# -ge 6 ] || { echo "usage: sh pipelines/recipes.sh OUT DATASET NET NTRAIN \"SEEDS\" NAME='OPTS' ..." >&2; exit 2; }
out=$1 ds=$2 net=$3 ntrain=$4 seeds=$5
shift 5
NVAL=${NVAL:-2000} NOISE=${NOISE:-0.1} JOBS=${JOBS:-2} LABELS=${LABELS:-clean noisy}
train=$ROOT/data/$ds-train.ds test=$ROOT/data/$ds-test.ds
[ -s "$train" ] && [ -s "$test" ] || { echo "recipes.sh: no $train or $test; run make data" >&2; exit 1; }
mkdir -p "$out/rows" "$out/data"
for r in "$@"; do
	case $r in *=*) ;; *) echo "recipes.sh: '$r' is not NAME='OPTS'" >&2; exit 2 ;; esac
	printf '%s\n' "${r#*=}" > "$out/rows/${r%%=*}.opts"
done
# the table lists the recipes in this order
for r in "$@"; do echo "${r%%=*}"; done > "$out/rows/order"

# the seed's split and noisy labels, made once and shared by every recipe
for s in $seeds; do
	d=$out/data/s$s
	[ -s "$d/noisy.ds" ] && continue
	mkdir -p "$d"
	"$B/ds-split" -q --val "$NVAL" --seed "$s" --val-out "$d/val.ds" -o "$d/rest.ds" "$train"
	"$B/ds-split" -q --val "$ntrain" --seed "$s" --val-out "$d/clean.ds" -o /dev/null "$d/rest.ds"
	rm "$d/rest.ds"
	"$B/ds-noise" -q --frac "$NOISE" --seed "$s" --flipped "$d/flipped.ds" -o "$d/noisy.ds" "$d/clean.ds"
done

# one run: train, test, a line of results
run() { # name seed labels
	f=$out/rows/$1.$2.$3
	[ -s "$f" ] && return 0
	opts=$(cat "$out/rows/$1.opts")
	t=$(mktemp)
	# shellcheck disable=SC2086
	/usr/bin/time -f '%U %S' -o "$t.time" "$B/cnn-train" -q --threads 1 --net "$net" $opts \
		--seed "$2" --trace-epochs none -o "$t.tr" "$out/data/s$2/$3.ds"
	acc=$("$B/cnn-eval" -q --threads 1 --trace "$t.tr" "$test" | "$B/ds-view" --csv | tail -1 | cut -d, -f3)
	cpu=$(awk '{ print $1 + $2 }' "$t.time")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$ds" "$net" "$ntrain" "$1" "$2" "$3" "$acc" "$cpu" > "$f.tmp"
	mv "$f.tmp" "$f"
	rm -f "$t" "$t.time" "$t.tr"
	echo "recipes: $ds $net $1 seed $2 $3: accuracy $acc, $cpu CPU s" >&2
}
jobs=$(mktemp)
for r in "$@"; do
	for s in $seeds; do
		for l in $LABELS; do echo "${r%%=*} $s $l"; done
	done
done > "$jobs"
# JOBS runs at once: each line of $jobs by a background worker
i=0
while [ $i -lt "$JOBS" ]; do
	awk -v i=$i -v n="$JOBS" 'NR % n == i' "$jobs" | while read -r name seed lab; do
		run "$name" "$seed" "$lab"
	done &
	i=$((i + 1))
done
wait
rm -f "$jobs"
{
	printf 'dataset\tnet\tntrain\trecipe\tseed\tlabels\taccuracy\tcpu_s\n'
	cat "$out"/rows/*.*.clean "$out"/rows/*.*.noisy 2>/dev/null | sort
} > "$out/rows.tsv"
/usr/bin/python3 "$ROOT/pipelines/recipes_table.py" "$out"
