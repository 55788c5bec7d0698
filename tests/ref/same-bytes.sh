#!/bin/sh
# tests/ref/same-bytes.sh — do two builds give the same CPU bytes?
#
#   sh tests/ref/same-bytes.sh OLD_BIN NEW_BIN      (make same-bytes OLD=...)
#
# OLD_BIN and NEW_BIN are directories holding the programs (bin/ of two
# builds, e.g. one of the code before a refactor and ./bin). Small seeded
# data is made once with NEW_BIN/tests/gen-data; then the same reference set
# of runs is made with each build, each in its own scratch directory, every
# program on the CPU (--device cpu), and every output is cmp'd:
#
#   conv6 (batch-norm; 12x12 images padded to 32x32), hara-mnist (28x28),
#   mlp:16, and a layer list with bn trained with crop:2,flip augmentation:
#     the datasets made by ds-import / ds-noise, cnn-train traces (3 epochs,
#     the last 2 traced with θ at every step), theta-cache caches (final,
#     every-step, checkpoints:K), inf-score scores (sgd from every-step and
#     from checkpoints, sgd-last, tracin-last, counterfactual, sgd with
#     --ref-u-scale, --csv), cnn-eval metrics and --predictions, a --skip
#     replay trace; for the mlp also top-neg and ds-view.
#
# One line per output, "same  NET/OUTPUT" or "DIFF  NET/OUTPUT" ("FAIL" when
# a run making it failed, its stderr below, or it is empty), then "N passed, N failed". Exit
# 0 if every output is the same, 1 otherwise, 2 on bad usage. About a minute
# on 2 cores.
#
# Environment: SAME_BYTES_KEEP=1 keeps the scratch directory (its path is
# printed); SAME_BYTES_CORRUPT=NET/OUTPUT appends a byte to that output of
# the new build before comparing, to see the script fail (a check that
# cannot fail checks nothing).
set -eu
export LC_ALL=C
# compression level is part of the bytes: both builds use the default
unset CLEANSE_ZSTD_LEVEL
me=same-bytes
if [ $# -ne 2 ] || [ ! -d "$1" ] || [ ! -d "$2" ]; then
	echo "usage: $0 OLD_BIN NEW_BIN  (two directories holding the programs)" >&2
	exit 2
fi
OLD=$(cd "$1" && pwd)
NEW=$(cd "$2" && pwd)
for b in "$OLD" "$NEW"; do
	for p in ds-import ds-noise ds-view cnn-train cnn-eval theta-cache inf-score top-neg; do
		[ -x "$b/$p" ] || { echo "$me: $b/$p: no such program" >&2; exit 2; }
	done
done
[ -x "$NEW/tests/gen-data" ] || { echo "$me: $NEW/tests/gen-data: no such program (make)" >&2; exit 2; }

T=$(mktemp -d)
if [ -n "${SAME_BYTES_KEEP:-}" ]; then
	echo "$me: scratch directory $T (kept)" >&2
else
	trap 'rm -rf "$T"' EXIT
fi
mkdir "$T/raw" "$T/old" "$T/new"

# ---------------------------------------------------------------- data
# made once, by the new build's gen-data; the builds import it themselves
(
	cd "$T/raw"
	G=$NEW/tests/gen-data
	$G blobs 32 1 > c6-train.ds          # conv6: 12x12, padded to 32x32
	$G blobs 16 2 > c6-val.ds
	$G idx 64 28 28 3 h-im h-lb          # hara-mnist: raw IDX, 10 classes
	$G idx 32 28 28 4 hv-im hv-lb
	$G blobs 200 1 > m-clean.ds          # mlp: 10% of the labels flipped below
	$G blobs 100 2 > m-val.ds
	$G blobs 64 5 > a-train.ds           # layer list with bn, augmented
	$G blobs 32 6 > a-val.ds
	printf '3\n17\n' > c6-skip.txt
	printf '5\n40\n' > h-skip.txt
	printf '7\n11\n150\n' > m-skip.txt
	printf '9\n33\n' > a-skip.txt
	printf '4\n21\n' > c6-ids.txt        # counterfactual of conv6, hara: a few ids
	printf '2\n13\n30\n61\n' > h-ids.txt
)

# ---------------------------------------------------------------- runs
# o OUTPUT... -- COMMAND...: run COMMAND (cwd: the build's scratch
# directory); OUTPUTs are the files it writes, listed in the manifest in
# order. A failing command is logged and marks its outputs failed.
o() {
	outs=
	while [ "$1" != -- ]; do outs="$outs $1"; shift; done
	shift
	for f in $outs; do
		echo "$f" >> manifest
		mkdir -p "${f%/*}"
	done
	if "$@" 2> err; then
		:
	else
		rc=$?
		for f in $outs; do echo "$f" >> failed; done
		{ echo "exit $rc: $*"; sed 's/^/    /' err; } >> log
	fi
}

# train NET DATA VAL SKIP K CF_IDS cnn-train-options...: the reference set
# for one network, its outputs in NET/; K checkpoints; the counterfactual
# scores CF_IDS (a file of ids), or all of the training set
train() {
	n=$1 d=$2 v=$3 skip=$4 k=$5 cf=$6
	shift 6
	o $n/trace -- cnn-train -q --threads 2 --device cpu --epochs 3 --trace-epochs 1,2 \
		--snapshots every "$@" -o $n/trace $d
	o $n/trace.skip -- cnn-train -q --threads 2 --device cpu --epochs 3 --trace-epochs 1,2 \
		--snapshots every --skip $skip "$@" -o $n/trace.skip $d
	for p in final every-step checkpoints:$k; do
		o $n/cache.${p%:*} -- theta-cache -q --keep $p -o $n/cache.${p%:*} $n/trace
	done
	s="inf-score -q --device cpu --train $d --val $v"
	o $n/scores.sgd $n/scores.csv -- $s --method sgd --csv $n/scores.csv -o $n/scores.sgd $n/cache.every-step
	o $n/scores.sgd-ckpt -- $s --method sgd -o $n/scores.sgd-ckpt $n/cache.checkpoints
	o $n/scores.sgd-last -- $s --method sgd-last -o $n/scores.sgd-last $n/cache.final
	o $n/scores.tracin-last -- $s --method tracin-last -o $n/scores.tracin-last $n/cache.every-step
	o $n/scores.ref-u-scale -- $s --method sgd --ref-u-scale -o $n/scores.ref-u-scale $n/cache.every-step
	if [ "$cf" = all ]; then
		o $n/scores.counterfactual -- $s --method counterfactual -o $n/scores.counterfactual $n/cache.every-step
	else
		o $n/scores.counterfactual -- $s --method counterfactual --ids $cf \
			-o $n/scores.counterfactual $n/cache.every-step
	fi
	o $n/metrics $n/predictions -- cnn-eval -q --device cpu --trace $n/trace \
		--predictions $n/predictions -o $n/metrics $v
}

runs() { # old|new BIN
	cd "$T/$1"
	PATH="$2:$PATH"
	: > manifest
	: > failed
	: > log
	o data/hara.ds -- ds-import -q -o data/hara.ds idx ../raw/h-im ../raw/h-lb
	o data/hara-val.ds -- ds-import -q --classes 10 -o data/hara-val.ds idx ../raw/hv-im ../raw/hv-lb
	o data/mlp.ds data/mlp.flipped -- ds-noise -q --frac 0.1 --seed 3 --flipped data/mlp.flipped \
		-o data/mlp.ds ../raw/m-clean.ds
	r=../raw
	train conv6 $r/c6-train.ds $r/c6-val.ds $r/c6-skip.txt 2 $r/c6-ids.txt \
		--net conv6 --batch 16 --lr 0.05
	train hara-mnist data/hara.ds data/hara-val.ds $r/h-skip.txt 3 $r/h-ids.txt \
		--net hara-mnist --batch 16 --lr 0.05
	train mlp data/mlp.ds $r/m-val.ds $r/m-skip.txt 5 all \
		--net mlp:16 --batch 20 --lr 0.1 --lr-decay 0.8 --weight-decay 0.001
	train bn-aug $r/a-train.ds $r/a-val.ds $r/a-skip.txt 2 all \
		--net conv:6:3:1,bn,relu,pool,conv:8:3:1,relu,pool,affine --augment crop:2,flip --batch 16 --lr 0.1
	o mlp/trace.momentum -- cnn-train -q --threads 2 --device cpu --epochs 2 --net mlp:16 \
		--batch 20 --momentum 0.9 --snapshots every:3 -o mlp/trace.momentum data/mlp.ds
	o mlp/top-neg -- top-neg -q -n 20 -o mlp/top-neg mlp/scores.sgd
	o mlp/scores.jsonl -- sh -c 'ds-view mlp/scores.sgd > mlp/scores.jsonl'
}

( runs old "$OLD" )
( runs new "$NEW" )

# ---------------------------------------------------------------- compare
if [ -n "${SAME_BYTES_CORRUPT:-}" ]; then
	printf x >> "$T/new/$SAME_BYTES_CORRUPT"
fi
# a scores stream as JSON lines without the header's additive stability key
strip_stability() {
	"$NEW/ds-view" "$1" 2>/dev/null | sed 's/,"stability":{[^}]*}//; s/,"writer":"[^"]*"//'
}
# any output without the header's writer key (formats/stream.md): the
# program and version that wrote it, which differ between two builds by
# design; nor an ids header's additive origin keys (formats/ids.md); a
# stream as its JSON lines (payloads by size and CRC-32), text as it is
strip_writer() {
	if "$NEW/ds-view" --header "$1" >/dev/null 2>&1; then
		"$NEW/ds-view" "$1" 2>/dev/null
	else
		cat "$1"
	fi | sed 's/,"writer":"[^"]*"//
		s/,"train_n":[0-9]*,"train_digest":[0-9]*,"method":"[^"]*","scores":"[^"]*"//'
}
pass=0
fail=0
if ! cmp -s "$T/old/manifest" "$T/new/manifest"; then
	echo "FAIL  the two runs listed different outputs"; fail=$((fail + 1))
fi
while read -r f; do
	if grep -qxF "$f" "$T/old/failed" "$T/new/failed"; then
		echo "FAIL  $f"; fail=$((fail + 1))
	elif [ ! -s "$T/old/$f" ] || [ ! -s "$T/new/$f" ]; then
		# an output that both builds leave empty compares equal and shows nothing
		echo "FAIL  $f (empty)"; fail=$((fail + 1))
	elif cmp -s "$T/old/$f" "$T/new/$f"; then
		echo "same  $f"; pass=$((pass + 1))
	elif [ "$(strip_writer "$T/old/$f")" = "$(strip_writer "$T/new/$f")" ]; then
		# the same but for the header's writer (formats/stream.md)
		echo "same  $f (but the header's writer)"; pass=$((pass + 1))
	elif case $f in */scores.*) true ;; *) false ;; esac &&
	     [ "$(strip_stability "$T/old/$f")" = "$(strip_stability "$T/new/$f")" ]; then
		# a build with the u-walk's stability in the scores header
		# (formats/scores.md) against one without: all else the same
		echo "same  $f (but the header's stability key)"; pass=$((pass + 1))
	else
		echo "DIFF  $f"; fail=$((fail + 1))
	fi
done < "$T/new/manifest"
for b in old new; do
	[ -s "$T/$b/log" ] || continue
	echo "$b build, failed runs:"
	sed 's/^/  /' "$T/$b/log"
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
