# grad-outlier: the Hessian-free detectors as a stage of the loop — every
# method from a cache or a trace, the baselines against cnn-eval's own
# predictions, the flipped labels found, flags, CSV, the pipeline, bad input.
# (The outer product against the backward pass and the factorised norms
# against the materialised gradient: tests/unit/test-detect.c; the isolation
# forest against scikit-learn: tests/py/iforest.sh.)
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3

# 500 learnable examples, 10% of the labels flipped; an MLP, 4 epochs
gen-data blobs 500 1 | ds-noise -q --frac 0.1 --seed 3 --flipped flipped.ds > train.ds
cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 4 train.ds > run.tr
theta-cache -q run.tr > c.final
ds-view --csv flipped.ds | tail -n +2 | cut -d, -f1 > flipped.txt
M="oga-l2 oga-l1 oga-iforest loss self-confidence margin entropy"
for m in $M; do
	t_ok "$m" "grad-outlier -q --method $m --train train.ds c.final > s.$m"
	t_eq "$m: 500 scores, method in the header" "500 $m" \
		"$(ds-view --csv s.$m | tail -n +2 | wc -l) $(ds-view --header s.$m | sed 's/.*"method":"\([^"]*\)".*/\1/')"
	t_ok "$m: the same from the trace (--trace)" "grad-outlier -q --method $m --train train.ds --trace run.tr | cmp - s.$m"
	t_ok "$m: every score <= 0" "ds-view --csv s.$m | tail -n +2 | awk -F, '\$3 > 0 { exit 1 }'"
	hits=$(top-neg -q -n 50 --text s.$m | grep -cFxf flipped.txt)
	echo "# $m: flipped labels among the 50 most negative: $hits (random ~5)"
	t_ok "$m: the 50 most negative are mostly flipped labels (>= 40)" "[ $hits -ge 40 ]"
done
t_ok "cache on stdin" "grad-outlier -q --method oga-l2 --train train.ds < c.final | cmp - s.oga-l2"
t_ok "--device cpu gives the same scores" "grad-outlier -q --device cpu --method oga-iforest --train train.ds c.final | cmp - s.oga-iforest"

# the baselines from cnn-eval's per-example predictions, independently
cnn-eval -q --trace run.tr --predictions pred.mp train.ds > /dev/null
t_ok "loss, self-confidence and margin agree with cnn-eval --predictions" "$PY - <<'PY'
import io, struct, subprocess, msgpack, zstandard
def recs(path):
    raw = zstandard.ZstdDecompressor().stream_reader(open(path, 'rb'), read_across_frames=True).read()
    return list(msgpack.Unpacker(io.BytesIO(raw), raw=False))[1:-1]
pred = {r['id']: r for r in recs('pred.mp')}
for m in ('loss', 'self-confidence', 'margin'):
    for r in recs('s.' + m):
        q = pred[r['id']]
        p = struct.unpack('<%df' % (len(q['p']) // 4), q['p'])
        y = q['y']
        want = {'loss': -q['loss'], 'self-confidence': p[y] - 1,
                'margin': (p[y] - max(v for k, v in enumerate(p) if k != y) + 1) / 2 - 1}[m]
        assert abs(r['score'] - want) <= 1e-6 * max(1, abs(want)), (m, r, want)
PY"

# the isolation forest: seeded, its parameters in the header
t_ok "oga-iforest: --seed 0 is the default" "grad-outlier -q --method oga-iforest --seed 0 --train train.ds c.final | cmp - s.oga-iforest"
t_ok "oga-iforest: another seed, other scores" "grad-outlier -q --method oga-iforest --seed 5 --train train.ds c.final > s.if5; ! cmp -s s.if5 s.oga-iforest"
t_ok "oga-iforest: trees, subsample and seed in the header" \
	"ds-view --header s.oga-iforest | grep -q '\"trees\":100,\"subsample\":256,\"seed\":0'"
t_ok "oga-iforest: --trees 10 --subsample 64" \
	"grad-outlier -q --method oga-iforest --trees 10 --subsample 64 --train train.ds c.final | ds-view --header | grep -q '\"trees\":10,\"subsample\":64'"

# --layers all: every parameter's gradient, randomly projected (the
# projection against the materialised gradient: tests/unit/test-detect.c)
for m in oga-l2 oga-iforest; do
	t_ok "$m --layers all" "grad-outlier -q --method $m --layers all --dim 32 --train train.ds c.final > s.all.$m"
	t_ok "$m --layers all: proj_dim in the header" "ds-view --header s.all.$m | grep -q '\"proj_dim\":32'"
	t_ok "$m --layers all: the same again, and with --device cpu" \
		"grad-outlier -q --device cpu --method $m --layers all --dim 32 --train train.ds c.final | cmp - s.all.$m"
	hits=$(top-neg -q -n 50 --text s.all.$m | grep -cFxf flipped.txt)
	echo "# $m --layers all: flipped labels among the 50 most negative: $hits (random ~5)"
	t_ok "$m --layers all: the 50 most negative are mostly flipped labels (>= 35)" "[ $hits -ge 35 ]"
done
t_ok "--layers all: another seed, another projection" \
	"grad-outlier -q --method oga-l2 --layers all --dim 32 --seed 4 --train train.ds c.final > s.all4; ! cmp -s s.all4 s.all.oga-l2"
t_ok "--layers last is the default" "grad-outlier -q --method oga-l2 --layers last --train train.ds c.final | cmp - s.oga-l2"
t_fail "--layers all with oga-l1" 2 "grad-outlier: --layers all projects the gradient*use oga-l2 or oga-iforest*" \
	"grad-outlier --method oga-l1 --layers all --train train.ds c.final"
t_fail "--layers all with a baseline" 2 "grad-outlier: --layers applies to the gradient methods*" \
	"grad-outlier --method loss --layers all --train train.ds c.final"
t_fail "--layers some" 2 "grad-outlier: --layers 'some': want last or all*" \
	"grad-outlier --method oga-l2 --layers some --train train.ds c.final"
t_fail "--dim 0" 2 "grad-outlier: --dim must be at least 1*" \
	"grad-outlier --method oga-l2 --layers all --dim 0 --train train.ds c.final"

# flags: the header says how many and the score at the cut; top-neg takes them
t_ok "--contamination 0.05 flags 25" \
	"grad-outlier -q --method oga-iforest --contamination 0.05 --train train.ds c.final > s.c && ds-view --header s.c | grep -q '\"flagged\":25,\"threshold\":'"
t_ok "the 25 flagged are exactly top-neg -n 25, every one at or below the threshold" "$PY - <<'PY'
import io, subprocess, msgpack, zstandard
raw = zstandard.ZstdDecompressor().stream_reader(open('s.c', 'rb'), read_across_frames=True).read()
objs = list(msgpack.Unpacker(io.BytesIO(raw), raw=False))
thr, recs = objs[0]['threshold'], objs[1:-1]
below = sorted(r['id'] for r in recs if r['score'] <= thr)
top = sorted(int(x) for x in subprocess.run(['top-neg', '-q', '-n', '25', '--text', 's.c'],
             check=True, capture_output=True, text=True).stdout.split())
assert below == top and len(top) == 25, (below, top)
PY"
t_ok "the scores with flags equal those without" "ds-view --csv s.c | cmp - \$(ds-view --csv s.oga-iforest > a.csv; echo a.csv)"
t_ok "--count 7" "grad-outlier -q --method loss --count 7 --train train.ds c.final | ds-view --header | grep -q '\"flagged\":7,'"
t_fail "--count beyond the examples" 1 "grad-outlier: --count 501: only 500 examples" \
	"grad-outlier --method loss --count 501 --train train.ds c.final"
t_fail "--count and --contamination" 2 "grad-outlier: give at most one of --contamination and --count*" \
	"grad-outlier --method loss --count 5 --contamination 0.1 --train train.ds c.final"
t_ok "CSV export, most negative first" \
	"grad-outlier -q --method oga-l2 --csv s.csv --train train.ds c.final > /dev/null && head -1 s.csv | grep -qx 'x:image,y:label,influence,datasource_index' && tail -n +2 s.csv | cut -d, -f3 | sort -g -c && [ \$(tail -n +2 s.csv | wc -l) = 500 ]"

# in place of inf-score in the loop
t_ok "grad-outlier | top-neg | ds-remove | cnn-train | cnn-eval" \
	"grad-outlier -q --method oga-l2 --train train.ds c.final | top-neg -q --frac 0.05 | ds-remove -q train.ds | cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 4 | cnn-eval -q train.ds | ds-view | grep -q '\"n\":500'"

# bad input: one line on stderr, exit 1 (data) or 2 (usage)
gen-data blobs 500 9 > other.ds
t_fail "another training set" 1 "grad-outlier: other.ds: not the training set of c.final*" \
	"grad-outlier --method loss --train other.ds c.final"
gen-data idx 20 12 12 1 im lb
ds-import -q --classes 10 idx im lb > ten.ds
t_fail "a dataset the network does not fit" 1 "grad-outlier: ten.ds: *examples*" \
	"grad-outlier --method oga-l2 --train ten.ds c.final"
ds-view --csv train.ds | tail -n +2 | cut -d, -f1 > all.txt
ds-remove -q -i all.txt train.ds > empty.ds
t_fail "an empty dataset" 1 "grad-outlier: empty.ds: no examples" "grad-outlier --method oga-iforest --train empty.ds c.final"
t_fail "unknown method" 2 "grad-outlier: unknown --method 'magic'*" "grad-outlier --method magic --train train.ds c.final"
t_fail "no --train" 2 "grad-outlier: --method and --train are required*" "grad-outlier --method loss c.final"
head -c 3000 c.final > c.cut
t_fail "truncated cache" 1 "grad-outlier: c.cut: truncated stream*" "grad-outlier --method loss --train train.ds c.cut"
t_fail "a trace given as a cache" 1 "grad-outlier: run.tr: input is a 'trace' stream, want 'cache'*" \
	"grad-outlier --method loss --train train.ds run.tr"
t_fail "a dataset given as a trace" 1 "grad-outlier: train.ds: input is a 'dataset' stream, want 'trace'*" \
	"grad-outlier --method loss --train train.ds --trace train.ds"
t_fail "two inputs on stdin" 2 "grad-outlier: the network and --train cannot both come from stdin*" \
	"grad-outlier --method loss --train - < c.final"
t_fail "a cache and --trace" 2 "grad-outlier: one network: a CACHE or --trace TRACE*" \
	"grad-outlier --method loss --train train.ds --trace run.tr c.final"
t_tty "refuses a terminal" "grad-outlier -q --method loss --train train.ds c.final"
t_done
