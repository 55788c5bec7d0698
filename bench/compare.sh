#!/bin/sh
# bench/compare.sh — CPU speed of two builds, side by side in one run:
#
#   sh bench/compare.sh OLD_BIN NEW_BIN
#
# OLD_BIN and NEW_BIN are directories holding the programs (bin/ of two
# builds). Measured for each build, interleaved (old, new, old, new, ...;
# best of REPS, default 3) so that a busy machine weighs on both alike:
#   conv6 training throughput (images/s, batch 32, 1 epoch),
#   hara-mnist training throughput (images/s, batch 64, 2 epochs),
#   inf-score --method sgd-last seconds (conv6, θ_T of the run above,
#   scoring the first NSCORE (default 256) training examples against NVAL).
# Every figure includes the program's start-up. The data: an MNIST slice
# when make data has been run, else random 28x28 images from
# NEW_BIN/tests/gen-data (the arithmetic is the same; nothing here learns).
# Both builds read the same data files (each its own trace and cache) and
# run on the CPU (--device cpu).
# Prints a table with new/old ratios (> 1: new is faster).
set -eu
export LC_ALL=C
REPS=${REPS:-3}
N=${N:-512}       # training images
NVAL=${NVAL:-64}  # validation images for inf-score
NSCORE=${NSCORE:-256}  # training examples inf-score scores
IMETHOD=${IMETHOD:-sgd-last}  # the inf-score method timed
if [ $# -ne 2 ] || [ ! -d "$1" ] || [ ! -d "$2" ]; then
	echo "usage: $0 OLD_BIN NEW_BIN  (two directories holding the programs)" >&2
	exit 2
fi
OLD=$(cd "$1" && pwd)
NEW=$(cd "$2" && pwd)
cd "$(dirname "$0")/.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

if [ -s data/mnist-train.ds ]; then
	src="MNIST (data/)"
	"$NEW/ds-split" -q --val "$N" --seed 7 --val-out $T/train.ds data/mnist-train.ds > $T/rest.ds
	"$NEW/ds-split" -q --val "$NVAL" --seed 8 --val-out $T/val.ds $T/rest.ds > /dev/null
else
	src="random 28x28 images (gen-data)"
	"$NEW/tests/gen-data" idx "$N" 28 28 1 $T/im $T/lb
	"$NEW/tests/gen-data" idx "$NVAL" 28 28 2 $T/vim $T/vlb
	"$NEW/ds-import" -q --classes 10 -o $T/train.ds idx $T/im $T/lb
	"$NEW/ds-import" -q --classes 10 -o $T/val.ds idx $T/vim $T/vlb
fi
rm -f $T/rest.ds
"$NEW/ds-view" --csv -n "$NSCORE" $T/train.ds | tail -n +2 | cut -d, -f1 > $T/ids.txt

# usecs old|new PROGRAM ARGS...: wall time in µs of one run of that
# build's PROGRAM, its stdout to $T/NAME.old or .new (NAME: see best); "%b"
# in an argument becomes old or new, so that each build reads its own files.
# Any failure stops the benchmark.
usecs() {
	w=$1
	if [ "$w" = old ]; then bin=$OLD; else bin=$NEW; fi
	shift
	n=$#
	while [ "$n" -gt 0 ]; do
		a=$1
		shift
		case $a in *%b*) a="${a%%%b*}$w${a#*%b}" ;; esac
		set -- "$@" "$a"
		n=$((n - 1))
	done
	p=$1
	shift
	s=$(date +%s%N)
	"$bin/$p" "$@" > $T/$name.$w || { echo "compare: $bin/$p failed" >&2; exit 1; }
	e=$(date +%s%N)
	echo $(((e - s) / 1000))
}

# best NAME PROGRAM ARGS...: REPS interleaved runs of each build (old, new,
# old, new, ...); sets old_NAME and new_NAME to the best times in µs
best() {
	name=$1
	shift
	bo= bn=
	for _ in $(seq "$REPS"); do
		t=$(usecs old "$@")
		if [ -z "$bo" ] || [ "$t" -lt "$bo" ]; then bo=$t; fi
		t=$(usecs new "$@")
		if [ -z "$bn" ] || [ "$t" -lt "$bn" ]; then bn=$t; fi
	done
	eval "old_$name=$bo new_$name=$bn"
}

best conv6 cnn-train -q --device cpu --net conv6 --batch 32 --epochs 1 $T/train.ds
best hara cnn-train -q --device cpu --net hara-mnist --batch 64 --epochs 2 $T/train.ds
# θ_T of each build's conv6 run (its trace, $T/conv6.old or .new), cached by
# that build; the bytes are the same where make same-bytes passes
"$OLD/theta-cache" -q --keep final -o $T/cache.old $T/conv6.old
"$NEW/theta-cache" -q --keep final -o $T/cache.new $T/conv6.new
best score inf-score -q --device cpu --method $IMETHOD --ids $T/ids.txt \
	--train $T/train.ds --val $T/val.ds $T/cache.%b

echo "CPU speed, old = $OLD"
echo "           new = $NEW"
echo "$N training images, $src; best of $REPS, interleaved; $(nproc) cores"
printf '%-34s %10s %10s %9s\n' "" old new new/old
row() { # label old new unit: rates (higher is better) or seconds (lower)
	awk -v l="$1" -v o="$2" -v n="$3" -v u="$4" 'BEGIN {
		if (u == "s") r = o / n; else r = n / o
		printf "%-34s %10.*f %10.*f %8.2fx\n", l, (u == "s" ? 2 : 1), o, (u == "s" ? 2 : 1), n, r
	}'
}
img() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.3f", n / (t / 1e6) }'; }
row "conv6 training, images/s" "$(img "$N" "$old_conv6")" "$(img "$N" "$new_conv6")" img/s
row "hara-mnist training, images/s" "$(img $((N * 2)) "$old_hara")" "$(img $((N * 2)) "$new_hara")" img/s
row "inf-score $IMETHOD (conv6, $NSCORE), s" \
	"$(awk -v t="$old_score" 'BEGIN { print t / 1e6 }')" "$(awk -v t="$new_score" 'BEGIN { print t / 1e6 }')" s
echo "(new/old > 1: the new build is faster; seconds are inverted so that it reads the same way)"
