# cnn-train and cnn-eval: learning, bit-exact determinism, the skip-replay
# identity, trace contents, bad input
. "$(dirname "$0")/lib.sh"
NET="conv:6:3:1,bn,relu,pool,conv:8:3:1,relu,pool,affine"

gen-data blobs 240 1 > train.ds
gen-data blobs 200 2 > test.ds
t_ok "trains" "cnn-train -q --net '$NET' --batch 16 --lr 0.1 --epochs 4 --snapshots every:3 train.ds > a.tr"
t_ok "learns: test accuracy >= 90%" \
	"cnn-eval -q --trace a.tr test.ds | ds-view | sed -n 2p | grep -Eq '\"acc\":0\\.(9|1)|\"acc\":1'"
t_ok "same seed, same bytes" "cnn-train -q --net '$NET' --batch 16 --lr 0.1 --epochs 4 --snapshots every:3 train.ds | cmp - a.tr"
t_ok "same bytes with 1 thread" "cnn-train -q --threads 1 --net '$NET' --batch 16 --lr 0.1 --epochs 4 --snapshots every:3 train.ds | cmp - a.tr"
t_ok "cnn-eval: the same bytes with 1 and 2 threads" \
	"cnn-eval -q --threads 1 --trace a.tr --predictions p1 test.ds > m1 && cnn-eval -q --threads 2 --trace a.tr --predictions p2 test.ds | cmp - m1 && cmp p1 p2"
: > none.txt
t_ok "empty --skip replays the trace bit for bit" \
	"cnn-train -q --skip none.txt --net '$NET' --batch 16 --lr 0.1 --epochs 4 --snapshots every:3 train.ds | cmp - a.tr"
t_ok "another seed, another run" "cnn-train -q --seed 3 --net '$NET' --batch 16 --lr 0.1 --epochs 4 train.ds > b.tr; ! cmp -s b.tr a.tr"

# the traced epoch: 15 steps of 16 (240 examples), a snapshot every 3 steps,
# θ at its start and the final θ
ds-view a.tr > a.jsonl
t_eq "15 step records (the last epoch)" 15 "$(grep -c '"t":"step"' a.jsonl)"
t_eq "snapshots: epoch start, 5 steps, final" "epoch step step step step step final" \
	"$(grep '"t":"theta"' a.jsonl | sed 's/.*"at":"\([a-z]*\)".*/\1/' | paste -sd' ')"
t_eq "steps are numbered through the run" "45 59" \
	"$(grep '"t":"step"' a.jsonl | sed -n '1p;$p' | sed 's/.*"step":\([0-9]*\).*/\1/' | paste -sd' ')"
t_eq "each step lists its 16 ids" "16" "$(grep '"t":"step"' a.jsonl | head -1 | grep -o '"ids":\[[0-9,]*\]' | tr ',' '\n' | wc -l)"
t_eq "an epoch's steps cover every example once" "240" \
	"$(grep '"t":"step"' a.jsonl | grep -o '"ids":\[[0-9,]*\]' | tr -d 'ids":[]' | tr ',' '\n' | sort -nu | wc -l)"
t_ok "a metric per epoch" "[ \$(grep -c '\"t\":\"metric\"' a.jsonl) = 4 ]"

# counterfactual replay: the same batches, the left-out ids still listed,
# divisors unchanged, parameters different
printf '5\n17\n' > skip.txt
t_ok "--skip trains" "cnn-train -q --skip skip.txt --net '$NET' --batch 16 --lr 0.1 --epochs 4 --snapshots every:3 train.ds > s.tr"
ds-view s.tr > s.jsonl
t_eq "--skip keeps the batches and divisors" "$(grep '"t":"step"' a.jsonl)" "$(grep '"t":"step"' s.jsonl)"
t_ok "--skip changes the parameters" "[ \"\$(grep final a.jsonl)\" != \"\$(grep final s.jsonl)\" ]"
t_ok "--skip is recorded in the header" "ds-view --header s.tr | grep -q '\"skip\":\\[5,17\\]'"
# retraining the last epoch only (Hara et al.): the run before it is the
# original one, so θ at the start of the last epoch is a.tr's bit for bit
t_ok "--skip-from 3 trains" "cnn-train -q --skip skip.txt --skip-from 3 --net '$NET' --batch 16 --lr 0.1 --epochs 4 --snapshots every:3 train.ds > l.tr"
ds-view l.tr > l.jsonl
t_eq "--skip-from: θ at the start of the last epoch is the original run's" \
	"$(grep '"at":"epoch"' a.jsonl)" "$(grep '"at":"epoch"' l.jsonl)"
t_ok "--skip-from: the last epoch leaves them out (final θ neither the original nor the full replay)" \
	"[ \"\$(grep final a.jsonl)\" != \"\$(grep final l.jsonl)\" ] && [ \"\$(grep final s.jsonl)\" != \"\$(grep final l.jsonl)\" ]"
t_ok "--skip-from is recorded in the header" "ds-view --header l.tr | grep -q '\"skip_from\":3'"
t_ok "--skip-from 0 is --skip, byte for byte" "cnn-train -q --skip skip.txt --skip-from 0 --net '$NET' --batch 16 --lr 0.1 --epochs 4 --snapshots every:3 train.ds | cmp - s.tr"
t_fail "--skip-from without --skip" 2 "cnn-train: --skip-from needs --skip*" "cnn-train --skip-from 1 train.ds"
t_fail "--skip-from past the last epoch" 2 "cnn-train: --skip-from 4: the run has epochs 0 to 3*" "cnn-train --skip skip.txt --skip-from 4 --epochs 4 train.ds"
t_fail "inf-score refuses a --skip-from replay" 1 "inf-score: l.cache: a --skip-from replay*" "theta-cache -q l.tr > l.cache && inf-score --method tracin-last --train train.ds --val test.ds l.cache"

# learning-rate schedules: the η of every step, as the trace records it,
# against the formula (formats/trace.md) computed here in Python; 240
# examples in batches of 16, 4 epochs: 60 steps
cat > lrcheck.sh <<'EOF'
# $1 trace, $2 schedule, $3 lr, $4 lr_min, $5 warm-up, $6 decay, $7 steps per epoch
ds-view "$1" | grep '"t":"step"' | sed 's/.*"step":\([0-9]*\),"lr":\([^,]*\),.*/\1 \2/' |
/usr/bin/python3 -c '
import sys, math
sch, lr, lo, W, dec, P = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
rows = [l.split() for l in sys.stdin]
S = 4 * P
assert len(rows) == S, len(rows)
for s, got in rows:
    s, got = int(s), float(got)
    p = (s - W) / (S - W)
    want = {"const": lr, "step": lr * dec ** (s // P),
            "linear": lo + (lr - lo) * (1 - p), "cosine": lo + (lr - lo) * (1 + math.cos(math.pi * p)) / 2}[sch]
    if s < W:
        want = (lr if sch in ("linear", "cosine") else want) * (s + 1) / W
    assert abs(got - want) <= 1e-12 * lr, (s, got, want)
' "$2" "$3" "$4" "$5" "$6" "$7"
EOF
for sch in "const 0 0 1" "step 0 0 0.5" "linear 0.01 0 1" "cosine 0 0 1" "cosine 0.02 10 1" "const 0 7 1"; do
	set -- $sch
	opts="--schedule $1 --warmup $3"
	[ "$1" = step ] && opts="$opts --lr-decay $4"
	[ "$1" = linear ] || [ "$1" = cosine ] && opts="$opts --lr-min $2"
	t_ok "--schedule $1 (lr-min $2, warm-up $3): every step's lr is the formula's" \
		"cnn-train -q --net linear --batch 16 --lr 0.2 --epochs 4 --trace-epochs all $opts train.ds > sch.tr && sh lrcheck.sh sch.tr $1 0.2 $2 $3 $4 15"
done
t_ok "the schedule is in the header" \
	"cnn-train -q --net linear --batch 16 --epochs 2 --schedule cosine --lr-min 0.001 --warmup 3 train.ds | ds-view --header | grep -q '\"schedule\":\"cosine\",\"lr_min\":0.001,\"warmup\":3'"
t_ok "--lr-decay alone is the step schedule, as before (no schedule key)" \
	"cnn-train -q --net linear --batch 16 --epochs 2 --lr-decay 0.5 train.ds > d1.tr && cnn-train -q --net linear --batch 16 --epochs 2 --lr-decay 0.5 --schedule step train.ds | cmp - d1.tr && ! ds-view --header d1.tr | grep -q schedule"
t_ok "--schedule cosine trains (the cosine trace is read back by theta-cache and cnn-eval)" \
	"cnn-train -q --net '$NET' --batch 16 --lr 0.1 --epochs 4 --schedule cosine --warmup 5 --snapshots every train.ds > cos.tr && theta-cache -q --keep every-step cos.tr > /dev/null && cnn-eval -q --trace cos.tr test.ds > /dev/null"
# --drop-last: 250 examples in batches of 16 are 15 full steps an epoch, 10
# left out, other ones every epoch
gen-data blobs 250 1 > t250.ds
t_ok "--drop-last trains, every epoch traced" "cnn-train -q --net linear --batch 16 --epochs 4 --drop-last --trace-epochs all t250.ds > dl.tr"
ds-view dl.tr > dl.jsonl
t_eq "--drop-last: 15 steps an epoch, each of 16" "60 16" \
	"$(grep -c '"t":"step"' dl.jsonl) $(grep '"t":"step"' dl.jsonl | sed 's/.*"n":\([0-9]*\).*/\1/' | sort -u | paste -sd' ')"
t_eq "--drop-last: each epoch sees 240 distinct examples" "240 240 240 240" \
	"$(for e in 0 1 2 3; do grep '"t":"step","epoch":'$e, dl.jsonl | grep -o '"ids":\[[0-9,]*\]' | tr -d 'ids":[]' | tr ',' '\n' | sort -nu | wc -l; done | paste -sd' ')"
t_eq "--drop-last: the dropped ones change with the shuffle, so every example is seen" "250" \
	"$(grep '"t":"step"' dl.jsonl | grep -o '"ids":\[[0-9,]*\]' | tr -d 'ids":[]' | tr ',' '\n' | sort -nu | wc -l)"
t_ok "--drop-last is in the header" "ds-view --header dl.tr | grep -q '\"drop_last\":true'"
t_ok "--drop-last where the batch divides the data changes nothing but the header" \
	"cnn-train -q --net linear --batch 16 --epochs 2 train.ds | ds-view | tail -n +2 > nd.jsonl && cnn-train -q --net linear --batch 16 --epochs 2 --drop-last train.ds | ds-view | tail -n +2 | cmp - nd.jsonl"
t_fail "bad --schedule" 2 "cnn-train: bad --schedule 'cos' (want const, step, linear or cosine)*" "cnn-train --schedule cos train.ds"
t_fail "--lr-decay with cosine" 2 "cnn-train: --lr-decay goes with --schedule step (this is cosine)*" "cnn-train --schedule cosine --lr-decay 0.5 train.ds"
t_fail "--lr-min with const" 2 "cnn-train: --lr-min goes with --schedule linear or cosine*" "cnn-train --lr-min 0.01 train.ds"
t_fail "--lr-min above --lr" 2 "cnn-train: --lr-min 0.5 is above --lr 0.1*" "cnn-train --schedule linear --lr 0.1 --lr-min 0.5 train.ds"
t_fail "--warmup as long as the run" 2 "cnn-train: --warmup 30: the run has 30 steps*" "cnn-train -q --batch 16 --epochs 2 --warmup 30 train.ds"
t_fail "--drop-last with fewer examples than a batch" 2 "cnn-train: --drop-last: train.ds has 240 examples, fewer than a batch of 256*" "cnn-train --drop-last --batch 256 train.ds"

t_ok "augmentation is seeded" "cnn-train -q --augment crop:2,flip --net '$NET' --epochs 1 train.ds > g1.tr && cnn-train -q --augment crop:2,flip --net '$NET' --epochs 1 train.ds | cmp - g1.tr"
t_ok "augmentation changes training" "cnn-train -q --net '$NET' --epochs 1 train.ds > g0.tr; ! cmp -s g0.tr g1.tr"
t_ok "conv6 (small run): 32x32 padded input, 307370-parameter layout for 1x28x28... here 1x12x12" \
	"cnn-train -q --net conv6 --epochs 1 --batch 32 train.ds | ds-view --header | grep -q '\"input\":\\[1,32,32\\],\"data_shape\":\\[1,12,12\\]'"
t_ok "hara-mnist has 13750 parameters on 28x28" \
	"gen-data idx 20 28 28 1 im lb && ds-import -q idx im lb | cnn-train -q --net hara-mnist --epochs 1 | ds-view --header | grep -q '\"nparams\":13750'"
t_ok "conv6 has 307370 parameters and 448 state on 28x28" \
	"ds-import -q idx im lb | cnn-train -q --net conv6 --epochs 1 --batch 10 | ds-view --header | grep -q '\"nparams\":307370,\"nstate\":448'"

t_fail "bad net spec" 2 "cnn-train: bad network spec 'conv:0:3:1,affine'*" "cnn-train --net conv:0:3:1,affine train.ds"
t_fail "skip id not in the data" 1 "cnn-train: --skip: id 999 is not in the training set" "echo 999 | cnn-train --skip - train.ds"
gen-data bad huge-values > huge.ds
t_fail "divergence is an error" 1 "cnn-train: training diverged at epoch 0 step 1 (loss not finite); lower --lr" "cnn-train -q --net linear --batch 1 --epochs 1 huge.ds"
t_fail "bad augment" 2 "cnn-train: bad --augment 'crop:x'*" "cnn-train --augment crop:x train.ds"
t_fail "truncated dataset" 1 "cnn-train: train.cut: truncated stream*" "head -c 3000 train.ds > train.cut; cnn-train train.cut"
t_tty "refuses a terminal" "cnn-train --net linear --epochs 1 train.ds"
t_ok "--device cpu gives the same bytes" "cnn-train -q --device cpu --net '$NET' --batch 16 --lr 0.1 --epochs 4 --snapshots every:3 train.ds | cmp - a.tr"
if [ -x "$ROOT/bin/tests/parity-nn" ] && [ "$("$ROOT/bin/tests/parity-nn")" = "SKIP: no CUDA device" ]; then
	t_fail "--device cuda without a device" 1 "cnn-train: --device cuda: no CUDA device" "cnn-train --device cuda train.ds"
	t_fail "cnn-eval --device cuda without a device" 1 "cnn-eval: --device cuda: no CUDA device" "cnn-eval --device cuda --trace a.tr test.ds"
elif [ ! -x "$ROOT/bin/tests/parity-nn" ]; then
	t_fail "--device cuda in a CPU-only build" 1 "cnn-train: --device cuda: built without CUDA*" "cnn-train --device cuda train.ds"
fi
t_fail "bad --device" 2 "cnn-train: bad --device 'gpu'*" "cnn-train --device gpu train.ds"

gen-data idx 10 12 12 1 im12 lb12
ds-import -q --classes 10 idx im12 lb12 > ten.ds
t_fail "cnn-eval: other classes" 1 "cnn-eval: ten.ds: examples \\[1, 12, 12\\] with 10 classes; the network was trained on \\[1, 12, 12\\] with 4" "cnn-eval --trace a.tr ten.ds"
head -c 2000 a.tr > a.cut
t_fail "cnn-eval: truncated trace" 1 "cnn-eval: a.cut: truncated stream*" "cnn-eval --trace a.cut test.ds"
t_fail "cnn-eval: a dataset as the trace" 1 "cnn-eval: test.ds: input is a 'dataset' stream, want 'trace'" "cnn-eval --trace test.ds test.ds"
t_ok "cnn-eval: predictions, one per example" "cnn-eval -q --trace a.tr --predictions p.ds test.ds > /dev/null && [ \$(ds-view --csv p.ds | wc -l) = 201 ]"
t_ok "cnn-eval: to a terminal, the summary and no binary records" \
	"script -qec 'cnn-eval --trace a.tr test.ds' /dev/null </dev/null > tty.out; grep -q 'accuracy' tty.out && ! grep -q cleanse tty.out"
t_ok "cnn-eval: trace on stdin" "cnn-eval -q test.ds < a.tr | ds-view | grep -q '\"n\":200'"
t_done
