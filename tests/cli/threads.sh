# the same bytes at any thread count, at sizes where the CPU backend's loops
# and products do run on several threads (the small nets of the other tests
# stay under the threshold, lib/nn/cpu.c PAR_MIN): conv6 on 28×28 images
# padded to 32×32 at batch 32 — training with batch-norm at 1, 2 and 3
# threads (3 does not divide the blocks evenly), and inf-score's R-passes and
# Hessian-vector products at 1 and 2; and the convolutions' chunks (below)
. "$(dirname "$0")/lib.sh"

gen-data idx 64 28 28 10 im lb && ds-import -q idx im lb > train.ds
gen-data idx 32 28 28 11 vim vlb && ds-import -q idx vim vlb > val.ds
t_ok "conv6 trains, 1 thread" \
	"cnn-train -q --threads 1 --net conv6 --batch 32 --epochs 2 train.ds > t1.tr"
for n in 2 3; do
	t_ok "conv6 training: $n threads, the same bytes" \
		"cnn-train -q --threads $n --net conv6 --batch 32 --epochs 2 train.ds | cmp - t1.tr"
done
theta-cache -q --keep final t1.tr > c.final
t_ok "inf-score sgd-last, 1 thread" \
	"inf-score -q --threads 1 --method sgd-last --train train.ds --val val.ds c.final > s1"
t_ok "inf-score sgd-last: 2 threads, the same bytes" \
	"inf-score -q --threads 2 --method sgd-last --train train.ds --val val.ds c.final | cmp - s1"

# the convolutions' chunks (lib/nn/cpu_dnnl.c: a batch cut into at most 8, the
# last one smaller; the weight gradient's parts added in chunk order):
# batches of 20 and 4 (20 = 3+3+3+3+3+3+2), at 1, 2 and 3 threads, and
# the walks' R-passes on them; hara-mnist, whose 20 channels oneDNN pads to
# 32, at batch 64 (8 chunks of 8)
t_ok "conv6, batch 20, trains, 1 thread" \
	"cnn-train -q --threads 1 --net conv6 --batch 20 --epochs 1 train.ds > b1.tr"
for n in 2 3; do
	t_ok "conv6, batch 20: $n threads, the same bytes" \
		"cnn-train -q --threads $n --net conv6 --batch 20 --epochs 1 train.ds | cmp - b1.tr"
done
theta-cache -q --keep final b1.tr > b.final
for m in sgd-last-ref tracin-last; do
	inf-score -q --threads 1 --method $m --train train.ds --val val.ds b.final > "$m.1"
	t_ok "inf-score $m, batch 20: 3 threads, the same bytes" \
		"inf-score -q --threads 3 --method $m --train train.ds --val val.ds b.final | cmp - $m.1"
done
t_ok "hara-mnist trains, 1 thread" \
	"cnn-train -q --threads 1 --net hara-mnist --batch 64 --epochs 2 train.ds > h1.tr"
t_ok "hara-mnist: 3 threads, the same bytes" \
	"cnn-train -q --threads 3 --net hara-mnist --batch 64 --epochs 2 train.ds | cmp - h1.tr"

# idle OpenMP threads sleep at once on a busy machine and spin 30,000 turns
# first on an idle one, unless the user says otherwise (lib/nn/engine.c: a
# spinning thread takes the core a late one needs; a sleeping one is slow
# to wake for the next loop). The machine as /proc/loadavg shows it: runnable
# tasks (this program included) / all tasks
printf '3.10 2.50 1.20 4/120 999\n' > busy.loadavg
printf '0.10 0.05 0.01 1/120 999\n' > idle.loadavg
spin() { env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT OMP_DISPLAY_ENV=verbose "$@" cnn-train --version 2>&1 |
	sed -n "s/.*GOMP_SPINCOUNT = '\([0-9]*\)'.*/\1/p" | tail -n 1; }
t_eq "a busy machine: idle threads sleep at once" 0 "$(spin CLEANSE_LOADAVG=busy.loadavg)"
t_eq "an idle machine: idle threads spin 30000 turns first" 30000 "$(spin CLEANSE_LOADAVG=idle.loadavg)"
t_eq "no load to read: they sleep at once" 0 "$(spin CLEANSE_LOADAVG=missing)"
t_ok "the user's OMP_WAIT_POLICY wins" \
	"OMP_WAIT_POLICY=active OMP_DISPLAY_ENV=verbose cnn-train --version 2>&1 | grep \"OMP_WAIT_POLICY = \" | grep -q ACTIVE"
t_eq "the user's GOMP_SPINCOUNT wins" 123 \
	"$(GOMP_SPINCOUNT=123 CLEANSE_LOADAVG=busy.loadavg OMP_DISPLAY_ENV=verbose cnn-train --version 2>&1 | sed -n "s/.*GOMP_SPINCOUNT = '\([0-9]*\)'.*/\1/p" | tail -n 1)"
exit $failed
