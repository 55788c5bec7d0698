# make bench's CPU comparison (bench/cpu.sh) on a tiny seeded set, without
# PyTorch: it runs, and its tables have every row, with figures in them.
# Where /usr/bin/python3 can import torch, the baseline's walk
# (bench/torch_cpu.py) is also held to inf-score's scores on the same θ_T
# and batches: the same per-example dots and Hessian-vector products, or the
# comparison measures something else. Skipped cleanly without torch.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

gen-data idx 120 28 28 10 im lb
ds-import -q idx im lb > all.ds

t_ok "bench/cpu.sh runs on a tiny set without PyTorch" \
	"BENCH_N=64 BENCH_NVAL=32 BENCH_NETS=hara-mnist BENCH_TORCH=0 BENCH_DATA=all.ds sh '$ROOT/bench/cpu.sh' > table.md"
num='[0-9][0-9.]*'
rows=$(grep -c "^| hara-mnist | [12] | $num | — | — | " table.md)
t_eq "two training rows (1 and 2 threads), cleanse's figures in them" 2 "$rows"
rows=$(grep -c "^| hara-mnist | [12] | \(sgd-last\|sgd-last-ref\|tracin-last\) | $num | $num | — | — | $num | — | $num | — |$" table.md)
t_eq "six walk rows (sgd-last, sgd-last-ref, tracin-last at 1 and 2 threads)" 6 "$rows"
t_eq "the targets' table: training at 1 and 2 threads, with the speed-up's verdict" 2 \
	"$(grep -c "^| hara-mnist training, [12] threads\? | $num img/s | — | — | " table.md)"
t_eq "... the 2-thread row: PyTorch not measured, the speed-up met or not" 1 \
	"$(grep -c "^| hara-mnist training, 2 threads | .* | $num | ≥ 1.6 | not measured; \(met\|NOT met ($num % short)\) |$" table.md)"
t_eq "... the u-walks against PyTorch's (sgd-last, tracin-last at 1 and 2 threads)" 4 \
	"$(grep -c "^| hara-mnist \(sgd-last\|tracin-last\) u-walk, [12] threads\? | $num s | — | — | < 1 | | | not measured |$" table.md)"
t_eq "... sgd-last epoch / training epoch" 2 \
	"$(grep -c "^| hara-mnist sgd-last epoch / training epoch, [12] threads\? | $num | | | ≤ 2 | | | \(met\|NOT met ($num % short)\) |$" table.md)"
t_eq "the path the build took" 1 "$(grep -c '^- cleanse .*: cpu; convolutions: ' table.md)"
t_eq "without PyTorch, one line says how to get it" 1 "$(grep -c 'make bench-torch' table.md)"
t_eq "the machine at the top: nproc and the load average" 1 "$(grep -c "nproc $(nproc); load average" table.md)"
t_fail "a bad BENCH_TORCH: usage" 2 "bench: BENCH_TORCH=x (want auto, 0 or 1)" \
	"BENCH_TORCH=x BENCH_DATA=all.ds sh '$ROOT/bench/cpu.sh'"

if ! $PY -c 'import torch' 2>/dev/null; then
	echo "ok - the PyTorch walk against inf-score # SKIP: $PY cannot import torch"
	t_done
fi
# hara-mnist, and a small net with batch-norm (conv6's layer kinds: padded
# conv, bn, relu, pool, affine), two epochs, batch 16: four traced steps
ds-split -q --val 32 --seed 1 --val-out val.ds all.ds > train.ds
cnn-train -q --net hara-mnist --batch 16 --epochs 2 --seed 3 train.ds | theta-cache -q > h.cache
cnn-train -q --net conv:4:3:1,bn,relu,conv:4:3:1,relu,pool,conv:8:3:1,bn,relu,pool,affine \
	--batch 16 --epochs 2 --seed 3 train.ds | theta-cache -q > b.cache
for c in h.sgd-last h.sgd-last-ref h.tracin-last b.sgd-last; do
	inf-score -q --method ${c#*.} --train train.ds --val val.ds ${c%%.*}.cache 2> /dev/null > $c.scores
	ds-view --csv $c.scores > $c.csv
done
# the four walks in one process (importing torch takes seconds)
t_ok "PyTorch's walks give inf-score's scores (hara-mnist sgd-last, sgd-last-ref and tracin-last, bn net sgd-last; within 1e-4 of the largest)" "$PY - '$ROOT/bench' <<'PY'
import argparse, sys
sys.path.insert(0, sys.argv[1])
import torch_cpu
for c in ('h.sgd-last', 'h.sgd-last-ref', 'h.tracin-last', 'b.sgd-last'):
    net, method = c.split('.', 1)
    torch_cpu.walk(argparse.Namespace(cache=net + '.cache', train='train.ds', val='val.ds',
                                      method=method, scores=c + '.torch', double=False))
    want = {int(l.split(',')[0]): float(l.split(',')[2]) for l in open(c + '.csv').readlines()[1:]}
    got = {int(l.split()[0]): float(l.split()[1]) for l in open(c + '.torch')}
    assert set(want) == set(got), c + ': different ids'
    big = max(abs(v) for v in want.values())
    assert big > 0, c + ': no example scored'
    d = max(abs(got[i] - want[i]) for i in want)
    assert d <= 1e-4 * big, '%s: max difference %g, largest score %g' % (c, d, big)
PY"
t_done
