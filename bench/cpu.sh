#!/bin/sh
# bench/cpu.sh — cleanse against PyTorch eager on the CPU, side by side in
# one run on the same machine (make bench; make bench-torch installs the
# baseline first). For each network (conv6, batch 32; hara-mnist, batch 64)
# and thread count (1, 2), on the same MNIST slice:
#   training   cnn-train --threads T: images/s over the epochs (from its
#              epoch lines, start-up excluded); bench/torch_cpu.py train:
#              the same net, batch, lr 0.05 and data, start-up excluded
#   the walks  inf-score --method sgd-last, sgd-last-ref and tracin-last on
#              that run's θ_T (--threads T): wall seconds of the program, and
#              of u and the u-walk as it reports them; bench/torch_cpu.py
#              walk: the same walk on the same θ_T, batches and validation
#              set (u and the walk only: start-up and reading excluded)
#   memory     peak RSS of every process (GNU time %M), torch's library
#              included in its figure
# and prints Markdown: first the issue's table with each target beside the
# measured ratio (met, or by how much it is missed), then the details.
# PyTorch is the Debian python3-torch of /usr/bin/python3 and is never a
# dependency: without it the PyTorch columns read "—" and one line says how
# to get it. The targets are ratios measured in this one run; no test times
# anything.
#
# Variables:
#   BENCH_N        training images (default 1000)
#   BENCH_NVAL     validation images of the walk (default 500)
#   BENCH_EPOCHS   training epochs (default 1; the walk covers the last)
#   BENCH_NETS     default "conv6 hara-mnist"
#   BENCH_THREADS  default "1 2"
#   BENCH_METHODS  the walks, default "sgd-last sgd-last-ref tracin-last"
#   BENCH_DATA     dataset stream the slice is cut from (default
#                  data/mnist-train.ds: make data)
#   BENCH_TORCH    auto (default: when importable), 0 (never), 1 (required)
# Run time: about 6 minutes on two cores (docs/cpu.md), over half of it
# PyTorch's walks; the work is about linear in BENCH_N, with a fixed part
# (inf-score's stability probes). A smoke run takes seconds:
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
METHODS=${BENCH_METHODS:-sgd-last sgd-last-ref tracin-last}
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
# the u-walk's own seconds from inf-score's summary line, and u's
walk_s() { sed -n 's/.*u-walk \([0-9.]*\) (.*/\1/p' $T/$1.err | tail -n 1; }
u_s() { sed -n 's/.*seconds: u \([0-9.]*\),.*/\1/p' $T/$1.err | tail -n 1; }
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
		for m in $METHODS; do
			echo "bench: $net, $t thread(s): inf-score --method $m" >&2
			run $k.$m inf-score --device cpu --method $m --threads $t \
				--train $T/train.ds --val $T/val.ds -o $T/$k.$m.scores $T/$k.cache
		done
		[ "$TORCH" = 1 ] || continue
		echo "bench: $net, $t thread(s): PyTorch training" >&2
		run $k.torch $PY bench/torch_cpu.py train --net $net --threads $t --epochs $EPOCHS \
			$T/train.ds
		for m in $METHODS; do
			echo "bench: $net, $t thread(s): PyTorch walk $m" >&2
			run $k.torch.$m $PY bench/torch_cpu.py walk --method $m --threads $t \
				--train $T/train.ds --val $T/val.ds $T/$k.cache
		done
	done
done

# ------------------------------------------------------------------ report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "—" || b == "—" || b == 0) print "—"; else printf "%.2f", a / b }'; }
# met when a OP b (ge: a ≥ b, le: a ≤ b, lt: a < b), with how far it is
# missed by (as a ratio of the target) when not; "not measured" without a
verdict() {
	awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN {
		if (a == "" || a == "—" || b == "" || b == "—") { print "not measured"; exit }
		a += 0; b += 0
		ok = op == "ge" ? a >= b : op == "le" ? a <= b : a < b
		if (ok) print "met"
		else printf "NOT met (%.0f %% short)\n", op == "ge" ? 100 * (1 - a / b) : 100 * (a / b - 1) }'
}
# (each succeeds, printing nothing where there is nothing: set -e)
rate() { if [ -s $T/$1.rate ]; then cut -d' ' -f1 $T/$1.rate; fi; }
epoch_s() { if [ -s $T/$1.rate ]; then cut -d' ' -f2 $T/$1.rate; fi; }
torch_rate() { if [ "$TORCH" = 1 ] && [ -s $T/$1.torch.out ]; then field $1.torch images_per_s; fi; }
# u and the u-walk of inf-score, seconds
uwalk() { awk -v u="$(u_s $1)" -v w="$(walk_s $1)" 'BEGIN { if (u != "" && w != "") printf "%.2f", u + w }'; }
has() { case " $1 " in *" $2 "*) return 0 ;; esac; return 1; }
unit() { if [ -n "$1" ] && [ "$1" != — ]; then echo "$1 $2"; else echo —; fi; }
seconds() { if [ "$TORCH" = 1 ] && [ -s $T/$1.out ]; then field $1 seconds; fi; }
t1=$(echo $THREADS | cut -d' ' -f1)
t2=$(echo $THREADS | awk '{ print $NF }')
thr() { [ "$1" = 1 ] && echo "1 thread" || echo "$1 threads"; }

echo "## cleanse against PyTorch eager, CPU"
echo
echo "- $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), nproc $(nproc); load average $load0 at the start, $(uptime | sed 's/.*load average: //') at the end; $(($(date +%s) - start)) s in all"
echo "- cleanse $(cnn-train --version 2>&1 | sed 's/.*) //'): $(sed -n 's/.*; on \(cpu.*\)$/\1/p' $T/$(echo $NETS | cut -d' ' -f1).$t1.train.err | head -n 1)"
echo "- MNIST slice: $N training images, $NVAL validation (ds-split --seed 7 of $DATA), $EPOCHS epoch(s), lr 0.05, plain SGD; the walks cover the last epoch ($(( (N + 31) / 32 )) conv6 steps, $(( (N + 63) / 64 )) hara-mnist)"
echo "- a walk's seconds are u and the u-walk (inf-score's own split; PyTorch: the same two); inf-score's whole run adds start-up, reading and, for the sgd-last walks, the stability probes (at most 4 x 20 Hessian-vector products, a fixed part)"
if [ "$TORCH" = 1 ]; then
	echo "- PyTorch $($PY -c 'import torch; print(torch.__version__)') eager ($PY), torch.set_num_threads(T), one inter-op thread"
else
	echo "- PyTorch: not measured ($PY cannot import torch, or BENCH_TORCH=0): \`make bench-torch\` installs Debian's python3-torch and runs this bench"
fi
echo
echo "The targets (ratios measured side by side in this run):"
echo
echo "| | cleanse | PyTorch | cleanse / PyTorch | want | cleanse ${t2}T / ${t1}T | want | |"
echo "|---|---|---|---|---|---|---|---|"
for net in $NETS; do
	for t in $THREADS; do
		c=$(rate $net.$t) p=$(torch_rate $net.$t)
		r=$(ratio "$c" "$p") su=— want=— swant=— v=—
		[ "$t" = "$t1" ] || su=$(ratio "$c" "$(rate $net.$t1)")
		case $net.$t in
		conv6.1) want="≥ 1.0"; v="$(verdict "$r" ge 1.0)" ;;
		conv6.2) want="≥ 1.2"; swant="≥ 1.7"
			v="$(verdict "$r" ge 1.2); $(verdict "$su" ge 1.7)" ;;
		hara-mnist.2) want="≥ 1.0"; swant="≥ 1.6"
			v="$(verdict "$r" ge 1.0); $(verdict "$su" ge 1.6)" ;;
		esac
		echo "| $net training, $(thr $t) | $(unit "$c" img/s) | $(unit "$p" img/s) | $r | $want | $su | $swant | $v |"
	done
done
for net in $NETS; do
	for m in $METHODS; do
		case $m in sgd-last | tracin-last) ;; *) continue ;; esac
		for t in $THREADS; do
			k=$net.$t
			c=$(uwalk $k.$m) p=$(seconds $k.torch.$m)
			r=$(ratio "$c" "$p")
			echo "| $net $m u-walk, $(thr $t) | $(unit "$c" s) | $(unit "$p" s) | $r | < 1 | | | $(verdict "$r" lt 1) |"
		done
	done
done
if has "$METHODS" sgd-last; then
	for net in $NETS; do
		for t in $THREADS; do
			k=$net.$t
			r=$(ratio "$(walk_s $k.sgd-last)" "$(epoch_s $k)")
			echo "| $net sgd-last epoch / training epoch, $(thr $t) | $r | | | ≤ 2 | | | $(verdict "$r" le 2) |"
		done
	done
fi
if has "$NETS" conv6; then
	m=$(for t in $THREADS; do for w in $METHODS; do rss_mb conv6.$t.$w; echo; done; done | sort -n | tail -n 1)
	echo "| conv6 inf-score peak RSS | $(unit "$m" MB) | | | ≤ 300 MB | | | $(verdict "$m" le 300) |"
fi
echo
echo "Training (images/s over the epochs, start-up excluded; peak RSS in MB):"
echo
echo "| net | threads | cleanse img/s | PyTorch img/s | cleanse / PyTorch | cleanse speed-up over $t1 thread | PyTorch speed-up | cnn-train RSS | PyTorch RSS |"
echo "|---|---|---|---|---|---|---|---|---|"
for net in $NETS; do
	for t in $THREADS; do
		k=$net.$t
		c=$(rate $k) c1=$(rate $net.$t1)
		p=$(torch_rate $k) p1=$(torch_rate $net.$t1) prss=—
		[ "$TORCH" = 1 ] && prss=$(rss_mb $k.torch)
		su=— psu=—
		[ "$t" = "$t1" ] || { su=$(ratio "$c" "$c1"); psu=$(ratio "$p" "$p1"); }
		echo "| $net | $t | $c | ${p:-—} | $(ratio "$c" "$p") | $su | $psu | $(rss_mb $k.train) | $prss |"
	done
done
echo
echo "The walks over the last epoch, seconds (inf-score: the whole program, and u + the u-walk as it reports them; PyTorch: u and the walk):"
echo
echo "| net | threads | method | inf-score s | its u + u-walk s | PyTorch s | u + u-walk / PyTorch | u-walk / cnn-train epoch | PyTorch walk / PyTorch epoch | inf-score RSS | PyTorch RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for net in $NETS; do
	for t in $THREADS; do
		k=$net.$t
		for m in $METHODS; do
			p= pep= prss=—
			if [ "$TORCH" = 1 ]; then
				p=$(field $k.torch.$m seconds)
				pep=$(awk -v s="$(field $k.torch seconds)" -v e=$EPOCHS 'BEGIN { print s / e }')
				prss=$(rss_mb $k.torch.$m)
			fi
			w=$(uwalk $k.$m)
			echo "| $net | $t | $m | $(wall $k.$m) | ${w:-—} | ${p:-—} | $(ratio "$w" "$p") | $(ratio "$(walk_s $k.$m)" "$(epoch_s $k)") | $(ratio "$p" "$pep") | $(rss_mb $k.$m) | $prss |"
		done
	done
done
