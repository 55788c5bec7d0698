#!/bin/sh
# bench/train.sh — CPU training throughput (images/s) of conv6 and hara-mnist
# on MNIST at the papers' batch sizes, measured side by side in one run on
# the same 2,000-image slice (make bench; needs make data).
set -eu
cd "$(dirname "$0")/.."
PATH="$(pwd)/bin:$PATH"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
[ -s data/mnist-train.ds ] || { echo "bench: run make data first" >&2; exit 1; }
ds-split -q --val 2000 --seed 7 --val-out $T/slice.ds data/mnist-train.ds > /dev/null
rate() { # net batch epochs
	s=$(date +%s%N)
	cnn-train -q --net "$1" --batch "$2" --epochs "$3" $T/slice.ds > /dev/null
	e=$(date +%s%N)
	awk -v n=$((2000 * $3)) -v t=$((e - s)) 'BEGIN { printf "%.0f", n / (t / 1e9) }'
}
h=$(rate hara-mnist 64 3)
c=$(rate conv6 32 1)
echo "CPU training throughput ($(nproc) cores, 2000 MNIST images; includes start-up):"
echo "  hara-mnist, batch 64: $h images/s  (50k-image epoch ~ $(awk -v r=$h 'BEGIN { printf "%.0f", 50000 / r }') s)"
echo "  conv6,      batch 32: $c images/s  (50k-image epoch ~ $(awk -v r=$c 'BEGIN { printf "%.0f", 50000 / r }') s)"
echo "  ratio hara-mnist / conv6 = $(awk -v a=$h -v b=$c 'BEGIN { printf "%.1f", a / b }')x"
