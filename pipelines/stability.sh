#!/bin/sh
# pipelines/stability.sh — the evidence behind inf-score's default method
# (docs/stability.md): for every u-walk method and the baselines,
#   detect  mislabel detection: ds-noise on N training images of a dataset
#           (NOISE_KIND=symmetric, NOISE 0.1 of them flipped, or pairs: NOISE
#           of each source class of the dataset's pairs, pipelines/recipe.sh),
#           a clean validation set of 1,000; AUROC, recall@10 %,
#           precision@5 % of the flips (pipelines/eval_scores.py), and each
#           walk's stability (eta*lambda, |u| growth) from the scores header
#   agree   agreement with the true counterfactual on K examples
# In detect runs, GO="oga-l2 loss ..." also scores with grad-outlier's
# methods (docs/oga.md), and TRIM=0.05 TEST=data/SET-test.ds then removes
# each of TRIM_METHODS' first 5 % (and 5 % at random), retrains with the same
# seed and schedule, and prints the test accuracy (what = trim; `none` is the
# network trained on everything).
# Each line of its output is one run: tab-separated, with a header line.
#   sh pipelines/stability.sh detect DATASET NET N SEEDS...
#   sh pipelines/stability.sh agree  DATASET NET N K SEEDS...
# DATASET: a dataset stream (e.g. data/mnist-train.ds). Needs make (bin/).
# The network trains with the recipe of pipelines/recipe.sh for the dataset
# (named by the file: mnist-train.ds is mnist) and NET; TRAIN_OPTS="..."
# replaces it (cnn-train's options but --net and --seed). The run traces
# its last TRACE_LAST (default 3) epochs, which the walks go back over.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PATH="${BIN:-$ROOT/bin}:$PATH"
EVAL="$ROOT/pipelines/eval_scores.py"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
METHODS="${METHODS:-sgd sgd-flow sgd-gn sgd-last sgd-last-flow sgd-last-gn sgd-last+ref tracin-last}"
what=$1 ds=$2 net=$3 n=$4
shift 4
k=0
if [ "$what" = agree ]; then k=$1; shift; fi
name=$(basename "$ds" .ds)
set_name=${name%%-*}
TRAIN_OPTS=${TRAIN_OPTS:-$(sh "$ROOT/pipelines/recipe.sh" "$set_name" "$net")}
# the walks go back over the last TRACE_LAST epochs (as experiment.mk's)
TRACE_LAST=${TRACE_LAST:-3}
epochs=$(echo " $TRAIN_OPTS " | sed -n 's/.* --epochs \([0-9]*\) .*/\1/p')
epochs=${epochs:-20}
[ "$TRACE_LAST" -gt "$epochs" ] && TRACE_LAST=$epochs
traced=$(seq -s, $((epochs - TRACE_LAST)) $((epochs - 1)))
NOISE_KIND=${NOISE_KIND:-symmetric} NOISE=${NOISE:-0.1}
case $NOISE_KIND in
symmetric) noise="--frac $NOISE" ;;
pairs) noise="--pairs ${PAIRS:-$(sh "$ROOT/pipelines/recipe.sh" --pairs "$set_name")} --frac $NOISE" ;;
*) echo "stability.sh: NOISE_KIND=$NOISE_KIND: want symmetric or pairs" >&2; exit 2 ;;
esac
stab() { # scores → eta_lambda u_growth flow_steps
	ds-view --header "$1" | sed -n 's/.*"eta_lambda":\([^,]*\),.*"u_growth":\([^,]*\),.*"flow_steps":\([0-9]*\).*/\1 \2 \3/p'
}
TRIM=${TRIM:-} TEST=${TEST:-} GO=${GO:-}
TRIM_METHODS=${TRIM_METHODS:-}
if [ -n "$TRIM" ] && [ ! -s "$TEST" ]; then echo "stability.sh: TRIM needs TEST, a test set" >&2; exit 2; fi
acc() { # trace → test accuracy on TEST
	cnn-eval -q --trace "$1" "$TEST" | ds-view | sed -n 2p | sed 's/.*"acc":\([0-9.]*\).*/\1/'
}
printf 'what\tdata\tnet\tseed\tmethod\tresult\teta_lambda\tu_growth\tflow_steps\tseconds\n'
for seed in "$@"; do
	rm -f $T/s.* $T/trim.*
	# N training images with noisy labels, 1,000 clean for validation
	ds-split -q --val $((n + 1000)) --seed "$seed" --val-out $T/sub.ds "$ds" > /dev/null
	ds-split -q --val 1000 --seed "$seed" --val-out $T/val.ds $T/sub.ds > $T/clean.ds
	# shellcheck disable=SC2086
	ds-noise -q $noise --seed "$seed" --flipped $T/flipped.ds $T/clean.ds > $T/train.ds
	# shellcheck disable=SC2086
	cnn-train -q --net "$net" $TRAIN_OPTS --seed "$seed" --trace-epochs "$traced" --snapshots every \
		-o $T/run.tr $T/train.ds
	theta-cache -q --keep every-step -o $T/every.c $T/run.tr
	theta-cache -q --keep final -o $T/final.c $T/run.tr
	want=
	if [ "$what" = agree ]; then
		# K examples: the flips first (where the effects are), then others
		{ ds-view --csv $T/flipped.ds | tail -n +2 | cut -d, -f1 | head -n $((k / 2));
		  ds-view --csv $T/train.ds | tail -n +2 | cut -d, -f1 | head -n $((k / 2)); } |
			sort -u > $T/ids.txt
		want="--ids $T/ids.txt"
		inf-score -q --method counterfactual --train $T/train.ds --val $T/val.ds $want \
			-o $T/s.cf $T/every.c
	else
		s=$(date +%s.%N)
		cnn-eval -q --trace $T/run.tr --predictions $T/pred.ds $T/train.ds > /dev/null
		e=$(date +%s.%N)
		printf 'detect\t%s\t%s\t%s\tloss\t%s\t-\t-\t-\t%.1f\n' "$name" "$net" "$seed" \
			"$($EVAL detect $T/pred.ds $T/flipped.ds)" "$(awk -v a=$s -v b=$e "BEGIN { print b - a }")"
	fi
	for m in $GO; do
		[ "$what" = detect ] || break
		s=$(date +%s.%N)
		grad-outlier -q --method "$m" --train $T/train.ds -o $T/s.$m $T/final.c
		e=$(date +%s.%N)
		printf 'detect\t%s\t%s\t%s\t%s\t%s\t-\t-\t-\t%.1f\n' "$name" "$net" "$seed" "$m" \
			"$($EVAL detect $T/s.$m $T/flipped.ds)" "$(awk -v a=$s -v b=$e "BEGIN { print b - a }")"
	done
	for m in $METHODS; do
		meth=${m%+ref} ref=
		[ "$m" != "$meth" ] && ref=--ref-u-scale
		cache=$T/final.c
		case $meth in sgd|sgd-flow|sgd-gn) cache=$T/every.c ;; esac
		s=$(date +%s.%N)
		inf-score -q --method "$meth" $ref $want --train $T/train.ds --val $T/val.ds \
			-o $T/s.$m $cache 2>$T/err || { cat $T/err >&2; exit 1; }
		e=$(date +%s.%N)
		if [ "$what" = agree ]; then
			r=$($EVAL agree $T/s.$m $T/s.cf 20)
		else
			r=$($EVAL detect $T/s.$m $T/flipped.ds)
		fi
		st=$(stab $T/s.$m)
		[ -n "$st" ] || st="- - -"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\n' "$what" "$name" "$net" "$seed" "$m" \
			"$r" "$(echo $st | tr ' ' '\t')" "$(awk -v a=$s -v b=$e "BEGIN { print b - a }")"
	done
	[ "$what" = detect ] && [ -n "$TRIM" ] || continue
	[ -s $T/s.loss ] || grad-outlier -q --method loss --train $T/train.ds -o $T/s.loss $T/final.c
	n_trim=$(ds-view --stats $T/train.ds | awk -v f="$TRIM" '/^examples / { printf "%.0f", $2 * f }')
	for m in none random $TRIM_METHODS; do
		tr=$T/trim.tr
		case $m in
		none) tr=$T/run.tr ;;
		random) top-neg -q --random "$n_trim" --seed "$seed" -o $T/trim.ids $T/s.loss ;;
		*) top-neg -q --frac "$TRIM" -o $T/trim.ids $T/s.$m ;;
		esac
		if [ "$m" != none ]; then
			ds-remove -q -i $T/trim.ids -o $T/trim.ds $T/train.ds
			# shellcheck disable=SC2086
			cnn-train -q --net "$net" $TRAIN_OPTS --seed "$seed" -o $tr $T/trim.ds
		fi
		printf 'trim\t%s\t%s\t%s\t%s\tacc=%s\t-\t-\t-\t-\n' "$name" "$net" "$seed" "$m" "$(acc $tr)"
	done
done
