#!/bin/sh
# bench/cache.sh — cache sizes of the three storage policies (make bench).
# Measured on a small conv6 run (320 MNIST-sized images, batch 32, one
# traced epoch of 10 steps): parameter bytes must equal |θ|·4·snapshots,
# and the bytes written show zstd's effect. Then the same formula at the
# papers' MNIST scale (50,000 images, batch 32: 1563 steps per epoch).
set -eu
cd "$(dirname "$0")/.."
PATH="$(pwd)/bin:$(pwd)/bin/tests:$PATH"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
gen-data idx 320 28 28 5 $T/im $T/lb
ds-import -q idx $T/im $T/lb > $T/train.ds
cnn-train -q --net conv6 --epochs 1 --batch 32 --snapshots every $T/train.ds > $T/run.tr
P=$(ds-view --header $T/run.tr | sed 's/.*"nparams":\([0-9]*\).*/\1/')
echo "cache sizes, conv6 (|θ| = $P parameters, $((P * 4)) bytes per snapshot):"
echo "  measured, 10 traced steps:"
for k in final every-step checkpoints:3; do
	theta-cache --keep $k $T/run.tr 2> $T/msg > $T/c
	kept=$(ds-view --header $T/c | sed 's/.*"kept":\([0-9]*\).*/\1/')
	tb=$(ds-view --header $T/c | sed 's/.*"theta_bytes":\([0-9]*\).*/\1/')
	[ "$tb" -eq $((kept * P * 4)) ] || { echo "bench: $k: $tb != $kept x $P x 4" >&2; exit 1; }
	printf '    %-15s %3d snapshots  %11d bytes of parameters  %11d bytes written\n' $k $kept $tb $(stat -c %s $T/c)
done
steps=$(( (50000 + 31) / 32 ))
echo "  at the papers' MNIST scale (1 traced epoch of $steps steps; formula checked above):"
for k in final every-step checkpoints:40; do
	case $k in final) n=1 ;; every-step) n=$((steps + 1)) ;; *) n=41 ;; esac
	awk -v k=$k -v n=$n -v p=$P 'BEGIN { b = n * p * 4; printf "    %-15s %5d snapshots  %14.0f bytes (%8.3f MB)\n", k, n, b, b / 1e6 }'
done
awk -v p=$P -v s=$steps 'BEGIN { printf "  every-step / final = %.0fx\n", (s + 1) }'
