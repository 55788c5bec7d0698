# cnn-train --dynamics and dyn-score: the margins are the step's own forward
# pass (against θ_s of a traced linear run), the trace is the same bytes with
# and without, every example once an epoch; --aum-fake; AUM's threshold,
# forgetting events and the mean loss on hand-made dynamics; the flips found
# on a learnable set; bad input.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
# dyn FILE 'HEADER' 'RECORDS': a hand-made dynamics stream
dyn() { $PY -c "import sys, struct; sys.path.insert(0, '$ROOT/tests/py'); from write_stream import write
h = dict(net='linear', classes=2, outputs=2, train_n=8, train_digest=7, epochs=4, batch=8, steps_per_epoch=1, seed=0, aum_fake=0)
h.update($2)
f = lambda v: struct.pack('<%df' % len(v), *v)
write('$1', 'dynamics', 1, h, $3)"; }
# rec STEP 'IDS' 'Y' 'MARGINS' 'HITS': one record (loss = 1 + step)
rec() { echo "dict(epoch=$1, step=$1, ids=$2, y=$3, margin=f($4), loss=f([1.0 + $1] * len($2)), hit=bytes($5))"; }

gen-data blobs 200 1 | ds-noise -q --frac 0.1 --seed 1 --flipped fl.ds > tr.ds
T="cnn-train -q --net linear --batch 10 --epochs 3"
$T tr.ds > t0.tr
t_ok "--dynamics" "$T --dynamics d.dyn tr.ds > t1.tr"
t_ok "the trace is the same bytes with --dynamics" "cmp t0.tr t1.tr"
t_ok "the header: classes, outputs, the dataset's digest, the run" \
	"ds-view --header d.dyn | grep -q '\"net\":\"linear\",\"classes\":4,\"outputs\":4,\"train_n\":200,\"train_digest\":[0-9]*,\"epochs\":3,\"batch\":10,\"steps_per_epoch\":20,\"seed\":0,\"aum_fake\":0}'"
t_ok "one record a step, every example once an epoch" "$PY - <<'PY'
import sys; sys.path.insert(0, '$ROOT/tests/py'); import read_stream, zstandard
raw = zstandard.ZstdDecompressor().stream_reader(open('d.dyn', 'rb'), read_across_frames=True).read()
recs = [r for _, rs, _ in read_stream.parts(raw) for r in rs]
assert [r['step'] for r in recs] == list(range(60)), 'steps'
for e in range(3):
    ids = sorted(i for r in recs if r['epoch'] == e for i in r['ids'])
    assert ids == list(range(200)), e
PY"
t_ok "the dataset's digest, as the trace has it" \
	"[ \"\$(ds-view --header d.dyn | sed 's/.*\"train_digest\":\\([0-9]*\\).*/\\1/')\" = \"\$(ds-view --header t0.tr | sed 's/.*\"train_digest\":\\([0-9]*\\).*/\\1/')\" ]"
# the margins and hits are those of θ_s, the parameters of step s's forward
$T --trace-epochs all --snapshots every --dynamics e.dyn tr.ds > e.tr
t_ok "margins and hits are the step's forward pass (θ_s of every step, within 1e-5)" "$PY - <<'PY'
import sys; sys.path.insert(0, '$ROOT/tests/py'); import read_stream, zstandard, numpy as np
def rd(p):
    raw = zstandard.ZstdDecompressor().stream_reader(open(p, 'rb'), read_across_frames=True).read()
    return [r for _, rs, _ in read_stream.parts(raw) for r in rs]
X = {r['id']: np.frombuffer(r['x'], dtype=np.uint8) / 255.0 for r in rd('tr.ds')}
th = {r['step']: np.frombuffer(r['theta'], dtype='<f4').astype(float) for r in rd('e.tr')
      if r.get('t') == 'theta' and r['at'] == 'step'}
K, F = 4, len(X[0])
n = 0
for r in rd('e.dyn'):
    W, b = th[r['step']][:K * F].reshape(K, F), th[r['step']][K * F:K * F + K]
    m = np.frombuffer(r['margin'], dtype='<f4')
    for j, i in enumerate(r['ids']):
        z, y = W @ X[i] + b, r['y'][j]
        assert abs(z[y] - max(z[k] for k in range(K) if k != y) - m[j]) < 1e-5, (r['step'], i)
        assert (int(np.argmax(z)) == y) == r['hit'][j], (r['step'], i)
        n += 1
assert n == 600, n
PY"
t_ok "--dynamics with --drop-last, --augment and --skip: the kept examples" \
	"echo 5 > skip.txt; $T --drop-last --augment flip --skip skip.txt --dynamics k.dyn tr.ds > /dev/null && ! ds-view k.dyn | grep -q '\"ids\":\\[\\([0-9]*,\\)*5[],]' && dyn-score -q --method aum k.dyn | ds-view --header | grep -q '\"n\":199,.*\"unseen\":1'"

# the three methods find the flips
for m in aum forgetting mean-loss; do
	t_ok "dyn-score --method $m" "dyn-score -q --method $m d.dyn > $m.sc"
	auc=$($PY "$ROOT/pipelines/eval_scores.py" detect $m.sc fl.ds | sed 's/auroc=\([0-9.]*\).*/\1/')
	echo "# $m: AUROC $auc"
	t_ok "$m: the flips rank first (AUROC > 0.9)" "awk 'BEGIN { exit !($auc > 0.9) }'"
done
t_ok "scores stream: 200, the dataset's digest, no flags without fake examples" \
	"ds-view --header aum.sc | grep -q '\"method\":\"aum\",.*\"n\":200,' && ! ds-view aum.sc | grep -q flag && top-neg -q -n 5 aum.sc | ds-remove -q tr.ds | ds-view --stats | grep -qx 'examples 195'"

# --aum-fake: N examples trained as class K
t_ok "--aum-fake" "$T --dynamics f.dyn --aum-fake 40 tr.ds > f.tr"
t_ok "the header: K + 1 outputs, the fake class, its seed" \
	"ds-view --header f.dyn | grep -q '\"classes\":4,\"outputs\":5,.*\"aum_fake\":40,\"fake_class\":4,\"aum_seed\":0'"
t_eq "40 examples labelled 4 (every epoch)" "120" "$(ds-view f.dyn | grep -o '"y":\[[0-9,]*\]' | tr -c '0-9\n' ' ' | tr ' ' '\n' | grep -cx 4)"
t_ok "the trace's network has 5 outputs, and cnn-eval refuses it on the 4 classes" \
	"ds-view --header f.tr | grep -q '\"classes\":5' && ! cnn-eval -q --trace f.tr tr.ds 2>/dev/null"
t_ok "--aum-seed: other fake examples" "$T --dynamics g.dyn --aum-fake 40 --aum-seed 3 tr.ds > /dev/null && ! cmp -s f.dyn g.dyn"
t_ok "the same seed, the same bytes" "$T --dynamics h.dyn --aum-fake 40 tr.ds | cmp - f.tr && cmp h.dyn f.dyn"
t_ok "dyn-score aum: the real examples, a threshold, flags" "dyn-score -q --method aum f.dyn > fa.sc && ds-view --header fa.sc | grep -q '\"n\":160,.*\"fake\":40,.*\"percentile\":99,\"threshold\":[-0-9.e]*,\"flagged\":[0-9]*'"
t_ok "the flagged are the real examples below the threshold" "$PY - <<'PY'
import sys; sys.path.insert(0, '$ROOT/tests/py'); import read_stream, zstandard
raw = zstandard.ZstdDecompressor().stream_reader(open('fa.sc', 'rb'), read_across_frames=True).read()
(h, recs, _), = read_stream.parts(raw)
assert all(r['flag'] == (r['score'] < h['threshold']) for r in recs)
assert sum(r['flag'] for r in recs) == h['flagged']
PY"
t_ok "top-neg --flagged takes them" "[ \$(top-neg -q --flagged --text fa.sc | wc -l) = \$(ds-view --header fa.sc | sed 's/.*\"flagged\":\\([0-9]*\\).*/\\1/') ]"

# AUM's threshold on hand-made dynamics: fake examples 100..199 with AUM
# 0, 1, ..., 99 (two presentations each, margins m - 1 and m + 1): the 99th
# percentile is 98.01 (numpy's linear interpolation); real examples 0..3
# with AUM 98, 98.01, 98.02 and -5
R="[$(rec 0 'list(range(4)) + list(range(100, 200))' '[0] * 4 + [2] * 100' '[97.0, 97.01, 97.02, -6.0] + [m - 1.0 for m in range(100)]' '[1, 1, 1, 0] + [0] + [1] * 99'),
 $(rec 1 'list(range(4)) + list(range(100, 200))' '[0] * 4 + [2] * 100' '[99.0, 99.01, 99.02, -4.0] + [m + 1.0 for m in range(100)]' '[1, 1, 1, 0] + [1] * 100')]"
dyn hand.dyn "dict(classes=2, outputs=3, train_n=300, batch=104, aum_fake=100, fake_class=2, aum_seed=1, epochs=2)" "$R"
t_ok "dyn-score aum on a hand-made run" "dyn-score -q --method aum hand.dyn > hand.sc"
t_ok "the threshold is numpy's 99th percentile of the fake examples' AUM" "$PY - <<'PY'
import sys; sys.path.insert(0, '$ROOT/tests/py'); import read_stream, zstandard, numpy as np
raw = zstandard.ZstdDecompressor().stream_reader(open('hand.sc', 'rb'), read_across_frames=True).read()
(h, recs, _), = read_stream.parts(raw)
want = np.percentile(np.arange(100.0), 99)
assert abs(h['threshold'] - want) < 1e-12 and abs(want - 98.01) < 1e-12, h['threshold']
assert [r['id'] for r in recs] == [0, 1, 2, 3] and h['fake'] == 100, recs
aum = {r['id']: r['score'] for r in recs}
assert abs(aum[0] - 98.0) < 1e-5 and abs(aum[3] + 5) < 1e-12, aum
assert [r['flag'] for r in recs] == [True, False, False, True], recs
PY"
t_ok "--percentile 50: the median, 49.5" "dyn-score -q --method aum --percentile 50 hand.dyn | ds-view --header | grep -q '\"percentile\":50,\"threshold\":49.5,\"flagged\":1'"

# forgetting events and the mean loss on hand-made hits: id 0 right, wrong,
# right, wrong (2 events); 1 never right; 2 always right (0); 3 wrong, right,
# wrong (1, then absent at step 3)
R="[$(rec 0 '[0, 1, 2, 3]' '[0, 1, 0, 1]' '[1.0, -1.0, 1.0, -1.0]' '[1, 0, 1, 0]'),
 $(rec 1 '[0, 1, 2, 3]' '[0, 1, 0, 1]' '[-1.0, -1.0, 1.0, 1.0]' '[0, 0, 1, 1]'),
 $(rec 2 '[3, 0, 1, 2]' '[1, 0, 1, 0]' '[-1.0, 1.0, -1.0, 1.0]' '[0, 1, 0, 1]'),
 $(rec 3 '[0, 1, 2]' '[0, 1, 0]' '[-1.0, -1.0, 1.0]' '[0, 0, 1]')]"
dyn hits.dyn "dict(train_n=4, batch=4)" "$R"
t_eq "forgetting: -events, the never-learned at -4 (the most presentations)" "0:-2 1:-4 2:0 3:-1" \
	"$(dyn-score -q --method forgetting hits.dyn | ds-view | sed -n 's/{"id":\([0-9]*\),"y":[0-9]*,"score":\([-0-9]*\).*/\1:\2/p' | paste -sd' ')"
t_ok "forgetting: never_learned 1 in the header" "dyn-score -q --method forgetting hits.dyn | ds-view --header | grep -q '\"never_learned\":1'"
t_eq "mean-loss: minus the mean of 1, 2, 3, 4 (3: of 1, 2, 3)" "0:-2.5 1:-2.5 2:-2.5 3:-2" \
	"$(dyn-score -q --method mean-loss hits.dyn | ds-view | sed -n 's/{"id":\([0-9]*\),"y":[0-9]*,"score":\([-0-9.]*\).*/\1:\2/p' | paste -sd' ')"

# bad input: one line, exit 1
dyn badhit.dyn "{}" "[$(rec 0 '[0]' '[0]' '[-1.0]' '[1]')]"
t_fail "a hit with a negative margin" 1 'dyn-score: badhit.dyn: step 0: example id 0: hit 1 with margin -1' 'dyn-score --method aum badhit.dyn'
dyn nan.dyn "{}" "[$(rec 0 '[0]' '[0]' "[float('nan')]" '[0]')]"
t_fail "a NaN margin" 1 'dyn-score: nan.dyn: step 0: example id 0: margin or loss not finite' 'dyn-score --method aum nan.dyn'
dyn order.dyn "{}" "[$(rec 1 '[0]' '[0]' '[1.0]' '[1]'), $(rec 1 '[1]' '[0]' '[1.0]' '[1]')]"
t_fail "steps not increasing" 1 'dyn-score: order.dyn: step 1 after step 1: steps must increase' 'dyn-score --method aum order.dyn'
dyn lab.dyn "{}" "[$(rec 0 '[0]' '[2]' '[1.0]' '[1]')]"
t_fail "a label not below outputs" 1 'dyn-score: lab.dyn: step 0: example 0: want an id and a label below 2' 'dyn-score --method aum lab.dyn'
dyn two.dyn "{}" "[$(rec 0 '[0]' '[0]' '[1.0]' '[1]'), $(rec 1 '[0]' '[1]' '[1.0]' '[1]')]"
t_fail "an example under two labels" 1 'dyn-score: two.dyn: step 1: example id 0 trained as 1, earlier as 0' 'dyn-score --method aum two.dyn'
dyn dup.dyn "{}" "[$(rec 0 '[0, 0]' '[0, 0]' '[1.0, 1.0]' '[1, 1]')]"
t_fail "an id twice in a step" 1 'dyn-score: dup.dyn: step 0: example id 0 twice' 'dyn-score --method aum dup.dyn'
dyn len.dyn "{}" "[dict(epoch=0, step=0, ids=[0, 1], y=[0, 1], margin=f([1.0]), loss=f([1.0, 1.0]), hit=bytes([1, 1]))]"
t_fail "arrays of different lengths" 1 'dyn-score: len.dyn: step 0: margin is not 2 values' 'dyn-score --method aum len.dyn'
dyn fk.dyn "dict(aum_fake=2)" "[]"
t_fail "a fake count without its class" 1 'dyn-score: fk.dyn: bad dynamics header: fake_class must be classes, and given with aum_fake' 'dyn-score --method aum fk.dyn'
t_fail "empty input" 1 'dyn-score: stdin: empty input (no stream header)' 'dyn-score --method aum < /dev/null'
t_fail "a scores stream" 1 "dyn-score: aum.sc: input is a 'scores' stream, want 'dynamics'" 'dyn-score --method aum aum.sc'
head -c 200 d.dyn > cut.dyn
t_fail "truncated" 1 'dyn-score: cut.dyn: truncated stream*' 'dyn-score --method aum cut.dyn'
t_fail "no --method" 2 'dyn-score: --method is required (aum, forgetting or mean-loss)*' 'dyn-score d.dyn'
t_fail "bad --method" 2 "dyn-score: bad --method 'x' (want aum, forgetting or mean-loss)*" 'dyn-score --method x d.dyn'
t_fail "--percentile out of range" 2 "dyn-score: --percentile 101 out of range*" 'dyn-score --method aum --percentile 101 d.dyn'
t_tty "dyn-score refuses a terminal" 'dyn-score --method aum d.dyn'
t_fail "cnn-train: --aum-fake without --dynamics" 2 'cnn-train: --aum-fake goes with --dynamics FILE*' "$T --aum-fake 3 tr.ds"
t_fail "cnn-train: --aum-seed without --aum-fake" 2 'cnn-train: --aum-seed goes with --aum-fake N*' "$T --dynamics x.dyn --aum-seed 3 tr.ds"
t_fail "cnn-train: --aum-fake as large as the set" 2 'cnn-train: --aum-fake 200: tr.ds has 200 examples*' "$T --dynamics x.dyn --aum-fake 200 tr.ds"
t_fail "cnn-train: the trace and the dynamics both to stdout" 2 'cnn-train: --dynamics and the trace cannot both go to stdout*' "$T --dynamics - tr.ds"
t_fail "cnn-train: a failed run leaves no dynamics" 1 '*' "$T --dynamics fail.dyn -o nodir/t.tr tr.ds"
t_ok "... none at all" '! ls fail.dyn* 2>/dev/null'
t_done
