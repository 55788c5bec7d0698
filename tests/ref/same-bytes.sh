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
#     replay trace; for the mlp also top-neg and ds-view;
#   and every other program: ds-import of every format (idx, cifar,
#     cifar-png, csv, dir), ds-noise --pairs and --matrix, ds-split,
#     ds-remove, ds-view --csv and --stats, ds-sheet (PNG and HTML),
#     cnn-train's schedules, --drop-last and --skip-from, cnn-eval --class,
#     grad-outlier (every method, --layers all, --csv --image-dir),
#     hess-sample (every --by), inf-update (CG, LiSSA, --remove), and
#     inf-score's -flow, -gn and default methods and --method if.
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
	$G cifar 7 2 c1                      # ds-import's other formats
	$G cifar 5 3 c2
	$G cifar-png 7 2 s1.png l1.json
	$G png 9 4 p
	printf '0.5 0.25 0.25 0\n0 1 0 0\n0 0 0.5 0.5\n0.1 0.2 0.3 0.4\n' > matrix.txt
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
	others
}

# every other program, on the outputs above (the mlp's and conv6's)
others() {
	r=../raw
	o import/cifar.ds -- ds-import -q -o import/cifar.ds cifar $r/c1 $r/c2
	o import/cifar-png.ds -- ds-import -q -o import/cifar-png.ds cifar-png $r/l1.json $r/s1.png
	o import/csv.ds -- ds-import -q -o import/csv.ds csv $r/p/list.csv
	o import/csv-gray.ds -- ds-import -q --channels 1 --names a,b,c -o import/csv-gray.ds \
		csv $r/p/list.csv
	o import/dir.ds -- ds-import -q -o import/dir.ds dir $r/p/classes
	o data/pairs.ds data/pairs.flipped -- ds-noise -q --pairs 0:1,1:0,2:3 --frac 0.3 --seed 4 \
		--flipped data/pairs.flipped -o data/pairs.ds $r/m-clean.ds
	o data/matrix.ds data/matrix.flipped -- ds-noise -q --matrix $r/matrix.txt --seed 5 \
		--flipped data/matrix.flipped -o data/matrix.ds $r/m-clean.ds
	o data/split.ds data/split-val.ds -- ds-split -q --val-frac 0.2 --stratify --seed 6 \
		--val-out data/split-val.ds -o data/split.ds data/mlp.ds
	o data/removed.ds data/missing.txt -- sh -c 'printf "3\n7\n9999\n" > rm.txt &&
		ds-remove -q -i rm.txt --missing data/missing.txt -o data/removed.ds data/mlp.ds'
	o data/mlp.csv -- sh -c 'ds-view --csv data/mlp.ds > data/mlp.csv'
	o data/mlp.stats -- sh -c 'ds-view --stats data/mlp.ds > data/mlp.stats'
	o show/sheet.png -- ds-sheet -q --train data/mlp.ds -k 24 --cols 6 --predictions mlp/predictions \
		--flipped data/mlp.flipped -o show/sheet.png mlp/scores.sgd
	o show/sheet.html -- ds-sheet -q --train data/mlp.ds -k 12 --html --predictions mlp/predictions \
		--flipped data/mlp.flipped -o show/sheet.html mlp/scores.sgd
	o show/sheet-ids.png -- ds-sheet -q --train data/mlp.ds --scale 3 -o show/sheet-ids.png mlp/top-neg
	t="cnn-train -q --threads 2 --device cpu --net mlp:16 --batch 24 --lr 0.1"
	o train/cosine -- $t --epochs 3 --schedule cosine --lr-min 0.01 --warmup 5 --drop-last \
		--trace-epochs all --snapshots every:4 -o train/cosine data/mlp.ds
	o train/linear -- $t --epochs 2 --schedule linear --momentum 0.5 --weight-decay 0.01 \
		--augment crop:1,flip --seed 3 -o train/linear data/mlp.ds
	o train/skip-from -- $t --epochs 3 --skip ../raw/m-skip.txt --skip-from 2 --trace-epochs 2 \
		--snapshots every -o train/skip-from data/mlp.ds
	o train/metrics-class -- cnn-eval -q --device cpu --trace mlp/trace --class 1 \
		-o train/metrics-class ../raw/m-val.ds
	g="grad-outlier -q --device cpu --threads 2 --train data/mlp.ds"
	for m in oga-l2 oga-l1 oga-iforest loss self-confidence margin entropy; do
		o go/$m -- $g --method $m -o go/$m mlp/cache.final
	done
	o go/all-l2 -- $g --method oga-l2 --layers all --dim 16 --count 10 -o go/all-l2 mlp/cache.final
	o go/all-iforest -- $g --method oga-iforest --layers all --trees 20 --subsample 64 --seed 2 \
		--contamination 0.05 -o go/all-iforest --trace mlp/trace
	o go/conv6 -- grad-outlier -q --device cpu --threads 2 --train ../raw/c6-train.ds --method oga-l2 \
		--layers all -o go/conv6 conv6/cache.final
	o go/loss.csv go/images.sums -- sh -c "$g --method loss --csv go/loss.csv --image-dir go/img \
		-o /dev/null mlp/cache.final && (cd go/img && cksum *) > go/images.sums"
	h="hess-sample -q --device cpu --threads 2 --train data/mlp.ds -k 12"
	for b in random features logits; do
		o hs/$b -- $h --by $b --seed 1 -o hs/$b mlp/cache.final
	done
	o hs/nearest -- $h --by features --pick nearest --clusters 3 -o hs/nearest mlp/cache.final
	u="inf-update -q --device cpu --threads 2 --train data/mlp.ds"
	o upd/class -- $u --hessian-size 64 --class 1 --curvature gn -o upd/class mlp/cache.final
	o upd/remove -- $u --hessian-size 64 --remove mlp/top-neg --divisor kept --damping 1 \
		-o upd/remove mlp/cache.final
	o upd/hessian-ids -- $u --class 2 --hessian-ids hs/logits --curvature gn -o upd/hessian-ids \
		mlp/cache.final
	o upd/lissa -- $u --hessian-size 64 --class 0 --curvature gn --solver lissa --lissa-depth 50 --lissa-batch 16 \
		-o upd/lissa mlp/cache.final
	s="inf-score -q --device cpu --threads 2 --train data/mlp.ds --val ../raw/m-val.ds"
	for m in sgd-last-ref sgd-flow sgd-gn sgd-last-flow sgd-last-gn; do
		o is/$m -- $s --method $m -o is/$m mlp/cache.every-step
	done
	o is/if-gn -- $s --method if --curvature gn --hessian-size 64 -o is/if-gn mlp/cache.final
	o is/if-lissa -- $s --method if --curvature gn --solver lissa --lissa-depth 50 \
		--hessian-ids hs/random -o is/if-lissa mlp/cache.final
	o is/if-ids -- $s --method if --curvature gn --damping 0.1 --ids mlp/top-neg \
		-o is/if-ids mlp/cache.final
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
