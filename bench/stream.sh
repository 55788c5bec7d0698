#!/bin/sh
# bench/stream.sh — throughput of the stream layer on full MNIST (make bench):
# import → split → remove, each stage alone and the whole pipeline on ONE
# core (taskset -c 0), against cat of the same bytes through the same number
# of pipes as the floor. Figures are measured side by side in one run; the
# best of REPS runs is kept.
set -eu
cd "$(dirname "$0")/.."
PATH="$(pwd)/bin:$PATH"
REPS=${REPS:-5}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
IM=data/raw/mnist/train-images-idx3-ubyte
LB=data/raw/mnist/train-labels-idx1-ubyte
[ -s $IM ] || { echo "bench: run make data first" >&2; exit 1; }
seq 0 600 59999 | head -n 100 > $T/drop.txt
ONE="taskset -c 0"

# best wall time in seconds of REPS runs of a shell command
best() {
	b=
	for _ in $(seq "$REPS"); do
		s=$(date +%s%N)
		sh -c "$1"
		e=$(date +%s%N)
		t=$(( (e - s) / 1000 ))
		if [ -z "$b" ] || [ "$t" -lt "$b" ]; then b=$t; fi
	done
	echo "$b"
}

ds-import -q idx $IM $LB > $T/all.ds
ds-split -q --val 10000 --val-out $T/val.ds < $T/all.ds > $T/train.ds
raw=$(( $(stat -c %s $IM) + $(stat -c %s $LB) ))
zall=$(stat -c %s $T/all.ds)

t_import=$(best "$ONE ds-import -q idx $IM $LB > $T/o.ds")
t_split=$(best "$ONE ds-split -q --val 10000 --val-out $T/v.ds < $T/all.ds > $T/o.ds")
t_remove=$(best "$ONE ds-remove -q -i $T/drop.txt $T/train.ds > $T/o.ds")
t_view=$(best "$ONE ds-view --stats $T/all.ds > /dev/null")
t_pipe=$(best "$ONE ds-import -q idx $IM $LB | $ONE ds-split -q --val 10000 --val-out $T/v.ds | $ONE ds-remove -q -i $T/drop.txt > $T/o.ds")
t_cat=$(best "cat $IM $LB | $ONE cat | $ONE cat > $T/o.raw")

rate() { # records bytes microseconds -> "records/s  MB/s"
	awk -v n="$1" -v b="$2" -v t="$3" 'BEGIN { printf "%10.0f rec/s %8.1f MB/s", n / (t / 1e6), b / 1e6 / (t / 1e6) }'
}
echo "stream layer on MNIST (60000 examples, $raw raw bytes, $zall bytes as a stream), best of $REPS, one core:"
printf '  %-34s %8.3f s  %s\n' "ds-import (IDX -> stream)" "$(echo "$t_import" | awk '{print $1/1e6}')" "$(rate 60000 $raw $t_import)"
printf '  %-34s %8.3f s  %s\n' "ds-split --val 10000" "$(echo "$t_split" | awk '{print $1/1e6}')" "$(rate 60000 $raw $t_split)"
printf '  %-34s %8.3f s  %s\n' "ds-remove 100 ids (of 50000)" "$(echo "$t_remove" | awk '{print $1/1e6}')" "$(rate 50000 $((raw * 5 / 6)) $t_remove)"
printf '  %-34s %8.3f s  %s\n' "ds-view --stats (read + validate)" "$(echo "$t_view" | awk '{print $1/1e6}')" "$(rate 60000 $raw $t_view)"
printf '  %-34s %8.3f s  %s\n' "import | split | remove" "$(echo "$t_pipe" | awk '{print $1/1e6}')" "$(rate 60000 $raw $t_pipe)"
printf '  %-34s %8.3f s  %s\n' "floor: cat | cat | cat of the IDX" "$(echo "$t_cat" | awk '{print $1/1e6}')" "$(rate 60000 $raw $t_cat)"
echo "  pipeline / floor = $(awk -v a="$t_pipe" -v b="$t_cat" 'BEGIN { printf "%.1f", a / b }')x;  goal: pipeline under 2 s on one core: $(awk -v a="$t_pipe" 'BEGIN { print (a < 2e6 ? "met" : "NOT met") }')"
