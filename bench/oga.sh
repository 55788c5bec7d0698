#!/bin/sh
# bench/oga.sh — the evidence of docs/oga.md: mislabel detection and
# trimming with grad-outlier's detectors beside inf-score's, on MNIST and
# Fashion-MNIST (make data), hara-mnist trained to convergence with the
# recipe of pipelines/recipe.sh, CPU.
#
#   sh bench/oga.sh prep      split, flip 10 % of the labels, train, cache, inf-score
#   sh bench/oga.sh score     grad-outlier, every method
#   sh bench/oga.sh retrain   trim each method's top 5 % (and 5 % at random), retrain, test
#   sh bench/oga.sh report    the tables (detection, then accuracy)
#   sh bench/oga.sh cost      seconds and peak memory of scoring 50,000 MNIST images
#                             per method, against one training epoch
#
# Per set and seed s (out/oga/SET/s/): 15,000 images are taken from the
# training set (ds-split --seed 11), then 5,000 of them held out for
# validation (inf-score needs it; grad-outlier does not) and 10,000 kept,
# of which 10 % get a flipped label (ds-noise --frac 0.1 --seed s; with
# NOISE_KIND=pairs 10 % of each source class of the set's pairs). Every
# intermediate is a stream that ds-view shows; a step whose output exists
# is not run again.
set -eu
cd "$(dirname "$0")/.."
O=${O:-out/oga}
# the programs are copied first, so that a rebuild of bin/ during a long run
# does not pull them out from under it
# (report reads what is there)
B=$O/bin
mkdir -p "$B"
[ "${1:-all}" = report ] || for p in ds-split ds-noise ds-view ds-remove cnn-train cnn-eval \
	theta-cache inf-score grad-outlier top-neg; do
	cp "bin/$p" "$B/.$p" && mv -f "$B/.$p" "$B/$p"
done
SEEDS=${SEEDS:-1 2 3}
SETS=${SETS:-mnist fashion}
NET=${NET:-hara-mnist}
# the recipe of pipelines/recipe.sh for each set and NET, unless TRAIN_OPTS
# (cnn-train's options but --seed) replaces it
TRAIN_OPTS=${TRAIN_OPTS:-}
train_opts() { echo "${TRAIN_OPTS:-"--net $NET $(sh pipelines/recipe.sh "$1" "$NET")"}"; }
# NOISE_KIND=symmetric: 10 % of the labels flipped; pairs: 10 % of each
# source class of the set's pairs (pipelines/recipe.sh --pairs)
NOISE_KIND=${NOISE_KIND:-symmetric}
noise_opts() {
	case $NOISE_KIND in
	symmetric) echo "--frac 0.1" ;;
	pairs) echo "--pairs $(sh pipelines/recipe.sh --pairs "$1") --frac 0.1" ;;
	*) echo "bench/oga.sh: NOISE_KIND=$NOISE_KIND: want symmetric or pairs" >&2; exit 2 ;;
	esac
}
# M+all: grad-outlier --method M --layers all (every parameter, projected to
# --dim 64)
GO=${GO:-"oga-l2 oga-l1 oga-iforest oga-l2+all oga-iforest+all loss self-confidence margin entropy"}
INF=${INF-"tracin-last sgd-last"}
FRAC=0.05

run() { echo "+ $*" >&2; "$@"; }
# grad-outlier's options for a name of GO
go_args() { case $1 in *+all) echo "--method ${1%+all} --layers all" ;; *) echo "--method $1" ;; esac; }

prep() {
	set=$1 s=$2 d=$O/$1/$2
	mkdir -p "$d"
	[ -s "$O/$set/pool.ds" ] || run $B/ds-split -q --val 15000 --seed 11 \
		--val-out "$O/$set/pool.ds" -o /dev/null "data/$set-train.ds"
	[ -s "$d/train.ds" ] || {
		run $B/ds-split -q --val 5000 --seed "$s" --val-out "$d/val.ds" -o "$d/clean.ds" "$O/$set/pool.ds"
		run $B/ds-noise -q $(noise_opts "$set") --seed "$s" --flipped "$d/flipped.ds" -o "$d/train.ds" "$d/clean.ds"
		$B/ds-view --csv "$d/flipped.ds" | tail -n +2 | cut -d, -f1 | sort > "$d/flipped.txt"
	}
	[ -s "$d/run.cache" ] || {
		run $B/cnn-train -q $(train_opts "$set") --seed "$s" -o "$d/run.tr" "$d/train.ds"
		run $B/theta-cache -q -o "$d/run.cache" "$d/run.tr"
	}
	for m in $INF; do
		[ -s "$d/s.$m" ] || run $B/inf-score -q --method "$m" --train "$d/train.ds" \
			--val "$d/val.ds" -o "$d/s.$m" "$d/run.cache"
	done
}

score() {
	d=$O/$1/$2
	for m in $GO; do
		[ -s "$d/s.$m" ] || run $B/grad-outlier -q $(go_args "$m") --train "$d/train.ds" \
			-o "$d/s.$m" "$d/run.cache"
	done
}

acc() { $B/cnn-eval -q --trace "$1" "$2" | $B/ds-view | sed -n 2p | sed 's/.*"acc":\([0-9.]*\).*/\1/'; }

retrain() {
	set=$1 s=$2 d=$O/$1/$2
	[ -s "$d/acc.none" ] || acc "$d/run.tr" "data/$set-test.ds" > "$d/acc.none"
	n=$($B/ds-view --stats "$d/train.ds" | sed -n "s/^examples //p")
	for m in $GO $INF random; do
		[ -s "$d/acc.$m" ] && continue
		if [ "$m" = random ]; then
			$B/top-neg -q --random "$(awk -v n="$n" -v f=$FRAC 'BEGIN { printf "%.0f", n * f }')" \
				--seed "$s" -o "$d/trim.$m" "$d/s.loss"
		else
			$B/top-neg -q --frac $FRAC -o "$d/trim.$m" "$d/s.$m"
		fi
		run sh -c "$B/ds-remove -q -i $d/trim.$m $d/train.ds | $B/cnn-train -q $(train_opts "$set") --seed $s -o $d/trim.$m.tr"
		acc "$d/trim.$m.tr" "data/$set-test.ds" > "$d/acc.$m"
		rm -f "$d/trim.$m.tr"
	done
}

report() {
	for set in $SETS; do
		echo "## $set: detection of the flipped labels (mean ± std over seeds $SEEDS)"
		echo
		echo "| method | AUROC | recall in the first 10 % | precision of the first 5 % |"
		echo "|---|---|---|---|"
		for m in $GO $INF; do
			for s in $SEEDS; do
				d=$O/$set/$s
				/usr/bin/python3 bench/oga_metrics.py "$d/s.$m" "$d/flipped.txt"
			done | awk -v m="$m" '{ for (i = 1; i <= 3; i++) { x[i] += $i; xx[i] += $i * $i } n++ }
				END { printf "| %s |", m; for (i = 1; i <= 3; i++) { mu = x[i] / n; v = xx[i] / n - mu * mu;
				printf " %.3f ± %.3f |", mu, sqrt(v > 0 ? v * n / (n - 1) : 0) } printf "\n" }'
		done
		echo
		echo "## $set: test accuracy (%) after trimming 5 % and retraining (mean ± std over seeds $SEEDS)"
		echo
		echo "| trimmed by | test accuracy | − none (paired) | − random (paired) | per seed |"
		echo "|---|---|---|---|---|"
		for m in none random $GO $INF; do
			for s in $SEEDS; do
				d=$O/$set/$s
				echo "$(cat "$d/acc.$m") $(cat "$d/acc.none") $(cat "$d/acc.random")"
			done | awk -v m="$m" '
				function ms(t, tt, n,   mu, v) { mu = t / n; v = tt / n - mu * mu
					return sprintf("%+.2f ± %.2f", mu, sqrt(v > 0 ? v * n / (n - 1) : 0)) }
				{ a = 100 * $1; b = a - 100 * $2; c = a - 100 * $3; all = all " " sprintf("%.2f", a)
				  t += a; tt += a * a; tb += b; tbb += b * b; tc += c; tcc += c * c; n++ }
				END { x = ms(t, tt, n); sub(/^\+/, "", x)
				printf "| %s | %s | %s | %s |%s |\n", m, x, ms(tb, tbb, n), ms(tc, tcc, n), all }'
		done
		echo
	done
}

cost() {
	d=$O/cost
	mkdir -p "$d"
	[ -s "$d/train.ds" ] || run $B/ds-split -q --val 10000 --seed 1 --val-out "$d/val.ds" \
		-o "$d/train.ds" data/mnist-train.ds
	TIME="%e s, %M KB"
	export TIME
	echo "one training epoch of $NET on 50,000 images:"
	/usr/bin/time $B/cnn-train -q --net "$NET" --batch 64 --lr 0.05 --epochs 1 --seed 1 \
		-o "$d/run.tr" "$d/train.ds"
	$B/theta-cache -q -o "$d/run.cache" "$d/run.tr"
	for m in $GO; do
		echo "grad-outlier $(go_args "$m"):"
		/usr/bin/time $B/grad-outlier -q $(go_args "$m") --train "$d/train.ds" -o /dev/null "$d/run.cache"
	done
	for m in $INF; do
		echo "inf-score --method $m (one traced epoch, 10,000 validation images):"
		/usr/bin/time $B/inf-score -q --method "$m" --train "$d/train.ds" --val "$d/val.ds" \
			-o /dev/null "$d/run.cache"
	done
}

phase=${1:-all}
case $phase in
prep | score | retrain)
	for set in $SETS; do for s in $SEEDS; do $phase "$set" "$s"; done; done ;;
report) report ;;
cost) cost ;;
all)
	for p in prep score retrain; do
		for set in $SETS; do for s in $SEEDS; do $p "$set" "$s"; done; done
	done
	report ;;
*) echo "usage: sh bench/oga.sh [prep|score|retrain|report|cost|all]" >&2; exit 2 ;;
esac
