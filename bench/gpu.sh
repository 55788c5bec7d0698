#!/bin/sh
# bench/gpu.sh — make bench-gpu: the paper's MNIST run on one GPU, measured
# side by side with the same network in PyTorch eager (bench/torch_conv6.py,
# a baseline, not part of cleanse), in one run on the same GPU.
#   1. cnn-train --device cuda: conv6, 50,000 MNIST images, batch 32,
#      lr 0.05, EPOCHS epochs (20), the last traced with every θ_t
#   2. theta-cache: checkpoints:40 and final caches of the last epoch
#   3. inf-score --device cuda over the last epoch: sgd-last (final cache)
#      and sgd (θ_t replayed from the checkpoints)
#   4. PyTorch eager, same network and loop: defaults (TF32 allowed) and
#      --fp32 (the arithmetic cnn-train uses)
# Peak GPU memory is read by nvidia-smi every 100 ms during each program.
# Needs the built programs and data/mnist-train.ds (make data); PyTorch for
# step 4 (skipped with a note without it). Prints a table. EPOCHS=N and
# NTRAIN=N shorten the run (the table says so); DEVICE=cpu with a stand-in
# nvidia-smi on PATH checks the script itself on a machine without a GPU.
set -eu
cd "$(dirname "$0")/.."
PATH="$(pwd)/bin:$PATH"
EPOCHS=${EPOCHS:-20}
NTRAIN=${NTRAIN:-50000}
DEVICE=${DEVICE:-cuda}
T=$(mktemp -d)
trap 'kill $MON 2>/dev/null || true; rm -rf "$T"' EXIT
MON=
[ -x bin/cnn-train ] || { echo "bench-gpu: build first (make)" >&2; exit 1; }
[ -s data/mnist-train.ds ] || { echo "bench-gpu: run make data first (data/mnist-train.ds)" >&2; exit 1; }
command -v nvidia-smi >/dev/null || { echo "bench-gpu: no nvidia-smi: no GPU here" >&2; exit 1; }

mon_start() { nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 >"$T/mem" & MON=$!; }
mon_stop() { kill $MON 2>/dev/null || true; wait $MON 2>/dev/null || true; MON=
	sort -n "$T/mem" | tail -1; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) / 1e9 }'; }

echo "# bench-gpu $(date -u +%Y-%m-%d)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | sed 's/^/# GPU: /'
base=$(nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1)
echo "# memory in use before: $base MiB"

ds-split -q --val 10000 --seed 1 --val-out "$T/val.ds" data/mnist-train.ds >"$T/all.ds"
if [ "$NTRAIN" -lt 50000 ]; then
	ds-split -q --val "$NTRAIN" --seed 2 --val-out "$T/train.ds" "$T/all.ds" >/dev/null
else
	mv "$T/all.ds" "$T/train.ds"
fi

# 1. training
mon_start
s=$(date +%s%N)
cnn-train --device "$DEVICE" --net conv6 --batch 32 --lr 0.05 --epochs "$EPOCHS" --seed 1 \
	--snapshots every "$T/train.ds" >"$T/run.tr" 2>"$T/train.log"
e=$(date +%s%N)
mem_train=$(mon_stop)
grep -m1 "on " "$T/train.log" | sed 's/^/# /'
# per-epoch seconds from cnn-train's notes; the last epoch also writes every θ_t
awk -F'[(]' '/epoch [0-9]+\/[0-9]+:/ { split($2, a, " "); print a[1] }' "$T/train.log" >"$T/ep"
med=$(head -n $((EPOCHS > 1 ? EPOCHS - 1 : 1)) "$T/ep" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
tail -n 2 "$T/train.log" | sed 's/^/# /'
train_s=$(secs "$s" "$e")

# 2. caches
steps=$(( (NTRAIN + 31) / 32 )); ck=$(( steps < 40 ? steps : 40 ))
theta-cache -q --keep checkpoints:$ck "$T/run.tr" >"$T/ck.cache"
theta-cache -q --keep final "$T/run.tr" >"$T/final.cache"
rm -f "$T/run.tr"

# 3. scoring over the last epoch
score() { # method cache
	mon_start
	s=$(date +%s%N)
	inf-score -q --device "$DEVICE" --method "$1" --train "$T/train.ds" --val "$T/val.ds" "$2" >"$T/s.$1"
	e=$(date +%s%N)
	echo "$(secs "$s" "$e") $(mon_stop)"
}
set -- $(score sgd-last "$T/final.cache"); last_s=$1 mem_last=$2
set -- $(score sgd "$T/ck.cache"); sgd_s=$1 mem_sgd=$2

# 4. PyTorch eager
torch_row() { # label, options
	label=$1; shift
	if ! python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
		echo "| PyTorch eager ($label) | not measured: no PyTorch with CUDA here | | |"; return; fi
	idx=; [ -s data/raw/mnist/train-images-idx3-ubyte ] && idx="--idx data/raw/mnist"
	mon_start
	python3 bench/torch_conv6.py --epochs "$EPOCHS" --n "$NTRAIN" $idx "$@" >"$T/torch.log" 2>&1 || {
		mon_stop >/dev/null; echo "| PyTorch eager ($label) | failed: $(tail -1 "$T/torch.log") | | |"; return; }
	m=$(mon_stop)
	tail -1 "$T/torch.log" | sed 's/^/# /' >>"$T/notes"
	tw=$(tail -1 "$T/torch.log" | sed 's/.* epochs in \([0-9.]*\) s.*/\1/')
	tm=$(tail -1 "$T/torch.log" | sed 's/.*median epoch \([0-9.]*\) s.*/\1/')
	echo "| PyTorch eager ($label) | $tw | $tm | $m |"
	echo "$tm" >"$T/torch.$label"
}

echo
echo "| what ($EPOCHS epochs, $NTRAIN MNIST, conv6, batch 32, --device $DEVICE) | wall s | median epoch s | peak GPU MiB (nvidia-smi) |"
echo "|---|---|---|---|"
echo "| cnn-train --device $DEVICE | $train_s | $med | $mem_train |"
torch_row defaults
torch_row fp32 --fp32
echo "| inf-score sgd-last, last epoch | $last_s | | $mem_last |"
echo "| inf-score sgd (θ_t from checkpoints:$ck), last epoch | $sgd_s | | $mem_sgd |"
echo
[ -s "$T/notes" ] && cat "$T/notes"
for l in defaults fp32; do
	[ -s "$T/torch.$l" ] && echo "cnn-train vs PyTorch eager ($l), median epoch: $(awk -v a="$(cat "$T/torch.$l")" -v b="$med" 'BEGIN { printf "%.2f", a / b }')x faster (goal >= 5x)"
done
echo "inf-score over the last epoch / one training epoch: sgd-last $(awk -v a="$last_s" -v b="$med" 'BEGIN { printf "%.2f", a / b }')x, sgd $(awk -v a="$sgd_s" -v b="$med" 'BEGIN { printf "%.2f", a / b }')x (goal <= 2x; includes start-up and u from 10,000 validation images)"
