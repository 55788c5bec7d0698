# the same bytes at any thread count, at sizes where the CPU backend's loops
# and products do run on several threads (the small nets of the other tests
# stay under the threshold, lib/nn/cpu.c PAR_MIN): conv6 on 28×28 images
# padded to 32×32 at batch 32 — training with batch-norm at 1, 2 and 3
# threads (3 does not divide the blocks evenly), and inf-score's R-passes and
# Hessian-vector products at 1 and 2
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

# idle OpenMP threads wait passively unless the user says otherwise
# (lib/util/util.c: a spinning thread takes the core a late one needs)
t_ok "OMP_WAIT_POLICY passive by default" \
	"env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT OMP_DISPLAY_ENV=verbose cnn-train --version 2>&1 | grep -q \"GOMP_SPINCOUNT = '0'\""
t_ok "the user's OMP_WAIT_POLICY wins" \
	"OMP_WAIT_POLICY=active OMP_DISPLAY_ENV=verbose cnn-train --version 2>&1 | grep \"OMP_WAIT_POLICY = \" | grep -q ACTIVE"
exit $failed
