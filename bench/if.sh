#!/bin/sh
# bench/if.sh — the evidence of docs/if.md: forgetting one class with the
# influence-function update (inf-update) with the Hessian subset S chosen by
# hess-sample --by random | features | logits, on MNIST and Fashion-MNIST
# (make data), hara-mnist, CPU.
#
#   sh bench/if.sh run SET      SET = mnist or fashion: train, retrain without
#                               the class (the truth), then every K, seed and
#                               sampler; one line per run in out/if/SET/results.tsv
#   sh bench/if.sh report       the table (docs/if.md) and out/if/f1.dat for the plot
#
# Per set: 10,000 training images (ds-split --seed 11 keeps them apart from
# the rest), hara-mnist trained with the set's recipe (pipelines/recipe.sh),
# seed 1; class 0 is
# removed. The update: Gauss-Newton curvature, damping 0.01, CG to a
# relative residual of 1e-2 (at most 100 iterations); the same for every
# sampler. A line of results.tsv: set, K, sampler, seed, F1, a_self,
# a_rest, solver iterations, residual, then "seconds peak-KB user-s sys-s" of
# hess-sample and of inf-update (/usr/bin/time; the CPU seconds are what to
# compare on a shared machine). A run already in results.tsv is not
# run again.
set -u
cd "$(dirname "$0")/.."
O=${O:-out/if}
B=$O/bin
CLS=${CLS:-0}
KS=${KS:-64 256 1024}
SEEDS=${SEEDS:-1 2 3 4 5}
SAMPLERS=${SAMPLERS:-random features logits}
# another network or solver: e.g. O=out/if-conv6 TRAIN="--net conv6 --batch 32
# --lr 0.05 --epochs 1 --seed 1", or O=out/if-lissa SOLVE="... --solver lissa ..."
# the default: hara-mnist with the recipe of pipelines/recipe.sh for the set
TRAIN=${TRAIN:-}
SOLVE=${SOLVE:-"--curvature gn --damping 0.01 --cg-tol 1e-2 --max-iter 100"}
export OMP_NUM_THREADS=1

run() {
	DS=$1
	mkdir -p "$B" "$O/$DS"
	for p in ds-split ds-view cnn-train cnn-eval theta-cache hess-sample inf-update; do
		[ -x "$B/$p" ] || { cp "bin/$p" "$B/.$p" && mv -f "$B/.$p" "$B/$p"; }
	done
	ROOT=$(pwd)
	TRAIN=${TRAIN:-"--net hara-mnist $(sh pipelines/recipe.sh "$DS" hara-mnist) --seed 1"}
	B=$(cd "$B" && pwd)
	cd "$O/$DS"
	TEST=$ROOT/data/$DS-test.ds
	tr=train10k.ds
	[ -s $tr ] || $B/ds-split -q --val 10000 --seed 11 --val-out $tr -o /dev/null $ROOT/data/$DS-train.ds
	[ -s run.tr ] || $B/cnn-train -q $TRAIN -o run.tr $tr
	[ -s run.cache ] || $B/theta-cache -q -o run.cache run.tr
	$B/ds-view --csv $tr | awk -F, -v c=$CLS 'NR > 1 && $2 == c { print $1 }' > class.txt
	[ -s retrain.tr ] || $B/cnn-train -q $TRAIN --skip class.txt -o retrain.tr $tr
	echo "base $($B/cnn-eval -q --class $CLS --trace run.tr $TEST | $B/ds-view | sed -n 2p | grep -o '"a_self.*')" > truth.txt
	echo "retrain $($B/cnn-eval -q --class $CLS --trace retrain.tr $TEST | $B/ds-view | sed -n 2p | grep -o '"a_self.*')" >> truth.txt
	for K in $KS; do
	for seed in $SEEDS; do
	for by in $SAMPLERS; do
		grep -q "^$DS	$K	$by	$seed	" results.tsv 2>/dev/null && continue
		tag=$K.$by.$seed
		/usr/bin/time -f "%e %M %U %S" -o t.sample $B/hess-sample -q --by $by -k $K --seed $seed \
			--train $tr -o h.$tag.ids run.cache || exit 1
		/usr/bin/time -f "%e %M %U %S" -o t.update $B/inf-update $SOLVE --class $CLS \
			--hessian-ids h.$tag.ids --train $tr -o up.tr run.cache 2> e.update || {
			# a solve that failed is a result too: F1 nan, the steps and the
			# residual from its message (LiSSA ended worse than s = 0)
			cat e.update >&2
			sed -n 's/.*after \([0-9]*\) steps (residual \([^;]*\);.*/\1 \2/p' e.update |
				grep . > e.res || exit 1
			printf '%s\t%s\t%s\t%s\tnan\tnan\tnan\t%s\t%s\t%s\t%s\n' $DS $K $by $seed \
				$(cat e.res) "$(cat t.sample)" "$(tail -1 t.update)" >> results.tsv
			continue
		}
		it=$(sed -n 's/.*: \([0-9]*\) iterations.*/\1/p' e.update)
		res=$(sed -n 's/.*= \([0-9.e+-]*\)$/\1/p' e.update | head -1)
		m=$($B/cnn-eval -q --class $CLS --trace up.tr $TEST | $B/ds-view | sed -n 2p)
		f1=$(echo "$m" | sed 's/.*"f1":\([^,}]*\).*/\1/')
		as=$(echo "$m" | sed 's/.*"a_self":\([^,}]*\).*/\1/')
		ar=$(echo "$m" | sed 's/.*"a_rest":\([^,}]*\).*/\1/')
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $DS $K $by $seed $f1 $as $ar \
			$it $res "$(cat t.sample)" "$(cat t.update)" >> results.tsv
	done
	done
	done
}

case "${1:-}" in
run) run "$2" ;;
report) /usr/bin/python3 bench/if_report.py "$O" ;;
*) echo "usage: sh bench/if.sh run mnist|fashion | report" >&2; exit 2 ;;
esac
