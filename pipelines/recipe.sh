#!/bin/sh
# pipelines/recipe.sh — the training recipe of a dataset and network, as
# chosen by measurement (docs/recipes.md): the one place the workflows
# (experiment.mk, stability.sh, bench/oga.sh, bench/if.sh) take it from.
#
#   sh pipelines/recipe.sh DATASET NET          cnn-train's options
#   sh pipelines/recipe.sh --vars DATASET NET   the same as VAR=value words
#                                               (BATCH LR EPOCHS SCHEDULE
#                                               DROP_LAST AUGMENT)
#   sh pipelines/recipe.sh --pairs DATASET      the class pairs of pair noise
#                                               (ds-noise --pairs)
# The pairs: Patrini et al.'s for MNIST (2->7, 3->8, 5<->6, 7->1); for
# Fashion-MNIST T-shirt/top <-> Shirt, Pullover -> Coat, Sandal -> Sneaker;
# for CIFAR-10 the standard truck -> automobile, bird -> airplane,
# deer -> horse, cat <-> dog.
# DATASET: mnist, fashion or cifar10 (another name: mnist's); NET: hara-mnist
# or conv6 (another: hara-mnist's). Exit 2 on bad usage.
set -eu
if [ "${1:-}" = --pairs ]; then
	case ${2:-} in
	mnist) echo 2:7,3:8,5:6,6:5,7:1 ;;
	fashion) echo 0:6,6:0,2:4,5:7 ;;
	cifar10) echo 9:1,2:0,4:7,3:5,5:3 ;;
	*) echo "recipe.sh: no class pairs for '${2:-}' (mnist, fashion or cifar10)" >&2; exit 2 ;;
	esac
	exit 0
fi
vars=0
if [ "${1:-}" = --vars ]; then vars=1; shift; fi
[ $# -eq 2 ] || { echo "usage: sh pipelines/recipe.sh [--vars] DATASET NET" >&2; exit 2; }
ds=$1 net=$2
case $net in conv6) ;; *) net=hara-mnist ;; esac
case $ds in fashion|cifar10) ;; *) ds=mnist ;; esac
# dataset net: batch lr epochs schedule drop_last augment
case "$ds $net" in
"mnist hara-mnist")   set -- 64 0.1 15 cosine 1 none ;;
"fashion hara-mnist") set -- 64 0.1 40 cosine 1 none ;;
"cifar10 hara-mnist") set -- 64 0.05 30 cosine 1 crop:4,flip ;;
"mnist conv6")        set -- 32 0.05 8 cosine 1 none ;;
"fashion conv6")      set -- 32 0.05 8 cosine 1 none ;;
"cifar10 conv6")      set -- 32 0.05 30 cosine 1 crop:4,flip ;;
esac
if [ $vars = 1 ]; then
	echo "BATCH=$1 LR=$2 EPOCHS=$3 SCHEDULE=$4 DROP_LAST=$5 AUGMENT=$6"
else
	o="--batch $1 --lr $2 --epochs $3 --schedule $4"
	[ "$5" = 1 ] && o="$o --drop-last"
	[ "$6" = none ] || o="$o --augment $6"
	echo "$o"
fi
