#!/bin/sh
# bench/cpu.sh — cleanse against PyTorch eager on the CPU, side by side in
# one run on the same machine (make bench; make bench-torch installs the
# baseline first). For each network (conv6, batch 32; hara-mnist, batch 64)
# and thread count (1, 2), on the same MNIST slice:
#   training   cnn-train --threads T: images/s over the epochs (from its
#              epoch lines, start-up excluded); bench/torch_cpu.py train:
#              the same net, batch, lr 0.05 and data, start-up excluded
#   the walk   inf-score --method sgd-last and sgd-last-ref on that run's
#              θ_T (OMP_NUM_THREADS=T, or --threads T once inf-score has
#              it): wall seconds per traced epoch, start-up, reading, u and
#              the stability probes included; bench/torch_cpu.py walk: the
#              same walk on the same θ_T, batches and validation set
#              (u and the walk only: start-up and reading excluded)
#   memory     peak RSS of every process (GNU time %M), torch's library
#              included in its figure
# and prints a Markdown table with the ratios the targets name. PyTorch is
# the Debian python3-torch of /usr/bin/python3 and is never a dependency:
# without it the PyTorch columns read "—" and one line says how to get it.
#
# Variables:
#   BENCH_N        training images (default 1000)
#   BENCH_NVAL     validation images of the walk (default 500)
#   BENCH_EPOCHS   training epochs (default 1; the walk covers the last)
#   BENCH_NETS     default "conv6 hara-mnist"
#   BENCH_THREADS  default "1 2"
#   BENCH_DATA     dataset stream the slice is cut from (default
#                  data/mnist-train.ds: make data)
#   BENCH_TORCH    auto (default: when importable), 0 (never), 1 (required)
# Run time: BENCH_N=500 took 9 min (541 s) under nice at a load average of
# 5 to 6 on two cores (other jobs building and testing), over half of it
# conv6's walks; on two idle cores the default 1000 should take about as
# long (the work is about linear in BENCH_N, with a fixed part: the
# stability probes of inf-score). A smoke run takes seconds:
# BENCH_N=64 BENCH_NVAL=32 BENCH_NETS=hara-mnist BENCH_TORCH=0.
set -eu
# BENCH_DATA relative to where the bench was started
case ${BENCH_DATA:-/} in /*) ;; *) BENCH_DATA=$(pwd)/$BENCH_DATA ;; esac
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PATH="$ROOT/bin:$PATH"
PY=/usr/bin/python3
N=${BENCH_N:-1000}
NVAL=${BENCH_NVAL:-500}
EPOCHS=${BENCH_EPOCHS:-1}
NETS=${BENCH_NETS:-conv6 hara-mnist}
THREADS=${BENCH_THREADS:-1 2}
DATA=${BENCH_DATA:-data/mnist-train.ds}
TORCH=${BENCH_TORCH:-auto}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

[ -s "$DATA" ] || { echo "bench: $DATA missing: run make data first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) missing: apt-get install time" >&2; exit 1; }
case $TORCH in
auto) if $PY -c 'import torch' 2>/dev/null; then TORCH=1; else TORCH=0; fi ;;
1) $PY -c 'import torch' 2>/dev/null ||
	{ echo "bench: BENCH_TORCH=1 but $PY cannot import torch: make bench-torch" >&2; exit 1; } ;;
0) ;;
*) echo "bench: BENCH_TORCH=$TORCH (want auto, 0 or 1)" >&2; exit 2 ;;
esac
ithreads=
inf-score --help 2>&1 | grep -q -- '--threads' && ithreads=yes
start=$(date +%s)
load0=$(uptime | sed 's/.*load average: //')

# the slice: N + NVAL images of DATA, then NVAL of them set aside
ds-split -q --val $((N + NVAL)) --seed 7 --val-out $T/slice.ds "$DATA" > /dev/null
ds-split -q --val "$NVAL" --seed 1 --val-out $T/val.ds $T/slice.ds > $T/train.ds

# run NAME command...: its wall seconds and peak RSS (KiB) into $T/NAME.time,
# stdout into $T/NAME.out, stderr into $T/NAME.err; a failure stops the bench
run() {
	name=$1
	shift
	if ! /usr/bin/time -f '%e %M' -o $T/$name.time "$@" > $T/$name.out 2> $T/$name.err; then
		echo "bench: $name failed: $*" >&2
		tail -n 5 $T/$name.err >&2
		exit 1
	fi
}
wall() { cut -d' ' -f1 $T/$1.time; }
# the u-walk's own seconds from inf-score's summary line
walk_s() { sed -n 's/.*u-walk \([0-9.]*\) (.*/\1/p' $T/$1.err | tail -n 1; }
rss_mb() { awk '{ printf "%.0f", $2 / 1024 }' $T/$1.time; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" $T/$1.out; }      # key=value of a torch line

for net in $NETS; do
	case $net in conv6) b=32 ;; hara-mnist) b=64 ;; *) b=32 ;; esac
	for t in $THREADS; do
		k=$net.$t
		echo "bench: $net, $t thread(s): cnn-train" >&2
		run $k.train cnn-train --device cpu --threads $t --net $net --batch $b --epochs $EPOCHS --seed 1 \
			-o $T/$k.tr $T/train.ds
		# images/s of the epochs alone: N / Σ (N / rate of epoch e)
		grep 'epoch .*images/s' $T/$k.train.err |
			sed 's/.* s, \([0-9.]*\) images\/s).*/\1/' |
			awk -v n=$N '{ s += n / $1; k++ } END { if (k) printf "%.1f %.3f\n", n * k / s, s / k }' \
			> $T/$k.rate
		[ -s $T/$k.rate ] || { echo "bench: no epoch line from cnn-train" >&2; exit 1; }
		theta-cache -q --keep final $T/$k.tr > $T/$k.cache
		for m in sgd-last sgd-last-ref; do
			echo "bench: $net, $t thread(s): inf-score --method $m" >&2
			run $k.$m env OMP_NUM_THREADS=$t inf-score --device cpu --method $m \
				${ithreads:+--threads $t} --train $T/train.ds --val $T/val.ds \
				-o $T/$k.$m.scores $T/$k.cache
		done
		[ "$TORCH" = 1 ] || continue
		echo "bench: $net, $t thread(s): PyTorch training" >&2
		run $k.torch $PY bench/torch_cpu.py train --net $net --threads $t --epochs $EPOCHS \
			$T/train.ds
		for m in sgd-last sgd-last-ref; do
			echo "bench: $net, $t thread(s): PyTorch walk $m" >&2
			run $k.torch.$m $PY bench/torch_cpu.py walk --method $m --threads $t \
				--train $T/train.ds --val $T/val.ds $T/$k.cache
		done
	done
done

# ------------------------------------------------------------------ report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.2f", a / b }'; }
t1=$(echo $THREADS | cut -d' ' -f1)
echo "## cleanse against PyTorch eager, CPU"
echo
echo "- $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), nproc $(nproc); load average $load0 at the start, $(uptime | sed 's/.*load average: //') at the end; $(($(date +%s) - start)) s in all"
echo "- inf-score's seconds include what every run of it does besides the walk: start-up, reading, u, and the stability probes (power iteration, at most 4 x 20 Hessian-vector products, whatever the size: a fixed part that weighs more the smaller BENCH_N is)"
echo "- MNIST slice: $N training images, $NVAL validation (ds-split --seed 7 of $DATA), $EPOCHS epoch(s), lr 0.05, plain SGD; the walk covers the last epoch ($(( (N + 31) / 32 )) conv6 steps, $(( (N + 63) / 64 )) hara-mnist)"
if [ "$TORCH" = 1 ]; then
	echo "- PyTorch $($PY -c 'import torch; print(torch.__version__)') eager ($PY), torch.set_num_threads(T), one inter-op thread"
else
	echo "- PyTorch: not measured ($PY cannot import torch, or BENCH_TORCH=0): \`make bench-torch\` installs Debian's python3-torch and runs this bench"
fi
echo
echo "Training (images/s over the epochs, start-up excluded; peak RSS in MB):"
echo
echo "| net | threads | cleanse img/s | PyTorch img/s | cleanse / PyTorch | cleanse speed-up over $t1 thread | PyTorch speed-up | cnn-train RSS | PyTorch RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for net in $NETS; do
	for t in $THREADS; do
		k=$net.$t
		c=$(cut -d' ' -f1 $T/$k.rate) c1=$(cut -d' ' -f1 $T/$net.$t1.rate)
		p= p1= prss=—
		if [ "$TORCH" = 1 ]; then
			p=$(field $k.torch images_per_s) p1=$(field $net.$t1.torch images_per_s)
			prss=$(rss_mb $k.torch)
		fi
		su=— psu=—
		[ "$t" = "$t1" ] || { su=$(ratio "$c" "$c1"); psu=$(ratio "$p" "$p1"); }
		echo "| $net | $t | $c | ${p:-—} | $(ratio "$c" "$p") | $su | $psu | $(rss_mb $k.train) | $prss |"
	done
done
echo
echo "The sgd-last walk, seconds per traced epoch (inf-score: the whole program, and the u-walk alone as it reports it; PyTorch: u and the walk):"
echo
echo "| net | threads | method | inf-score s | its u-walk s | PyTorch s | inf-score / PyTorch | u-walk / cnn-train epoch | inf-score / cnn-train epoch | PyTorch walk / PyTorch epoch | inf-score RSS | PyTorch RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for net in $NETS; do
	for t in $THREADS; do
		k=$net.$t
		ep=$(cut -d' ' -f2 $T/$k.rate)
		for m in sgd-last sgd-last-ref; do
			s=$(wall $k.$m)
			p= pep= prss=—
			if [ "$TORCH" = 1 ]; then
				p=$(field $k.torch.$m seconds)
				pep=$(awk -v s="$(field $k.torch seconds)" -v e=$EPOCHS 'BEGIN { print s / e }')
				prss=$(rss_mb $k.torch.$m)
			fi
			w=$(walk_s $k.$m)
			echo "| $net | $t | $m | $s | ${w:-—} | ${p:-—} | $(ratio "$s" "$p") | $(ratio "$w" "$ep") | $(ratio "$s" "$ep") | $(ratio "$p" "$pep") | $(rss_mb $k.$m) | $prss |"
		done
	done
done

# ------------------------------------------------------------------ targets
# met when a OP b (ge: a ≥ b, le: a ≤ b, lt: a < b), — when not measured
verdict() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		if (a == "" || a == "—" || b == "" || b == "—") { print "not measured"; exit }
		ok = op == "ge" ? a + 0 >= b + 0 : op == "le" ? a + 0 <= b + 0 : a + 0 < b + 0
		print ok ? "met" : "NOT met" }'
}
rate() { [ -s $T/$1.rate ] && cut -d' ' -f1 $T/$1.rate; }
echo
echo "Targets:"
echo
for t in $THREADS; do
	case " $NETS " in *" conv6 "*) ;; *) break ;; esac
	p=
	[ "$TORCH" = 1 ] && p=$(field conv6.$t.torch images_per_s)
	r=$(ratio "$(rate conv6.$t)" "$p")
	echo "- conv6 training, $t thread(s): cleanse / PyTorch images/s = $r, want ≥ 1.5: $(verdict "$r" ge 1.5)"
done
if [ -s $T/$(echo $NETS | cut -d' ' -f1).1.rate ] && [ -s $T/$(echo $NETS | cut -d' ' -f1).2.rate ]; then
	for net in $NETS; do
		r=$(ratio "$(rate $net.2)" "$(rate $net.1)")
		echo "- $net training: 2 threads / 1 thread = $r, want ≥ 1.8: $(verdict "$r" ge 1.8)"
	done
fi
for net in $NETS; do
	for t in $THREADS; do
		k=$net.$t
		s=$(wall $k.sgd-last)
		r=$(ratio "$(walk_s $k.sgd-last)" "$(cut -d' ' -f2 $T/$k.rate)")
		p=
		[ "$TORCH" = 1 ] && p=$(field $k.torch.sgd-last seconds)
		echo "- $net, $t thread(s): inf-score sgd-last u-walk epoch / training epoch = $r, want ≤ 2.5: $(verdict "$r" le 2.5); $s s against PyTorch's ${p:-—} s, want faster: $(verdict "$s" lt "$p")"
	done
done
case " $NETS " in *" conv6 "*)
	m=$(for t in $THREADS; do rss_mb conv6.$t.sgd-last; echo; rss_mb conv6.$t.sgd-last-ref; echo; done | sort -n | tail -n 1)
	echo "- conv6: inf-score peak RSS $m MB, want ≤ 300: $(verdict "$m" le 300)" ;;
esac
