# cnn-train --dynamics on the GPU (make test-gpu; SKIP without a CUDA
# device; make test runs it under tests/emu): the logits and losses of each
# step's forward pass come to the host, the trace is the same bytes with
# and without, two GPU runs give the same bytes, and the margins, losses and
# hits agree with a CPU run's to round-off.
. "$(dirname "$0")/../cli/lib.sh"
if "$ROOT/bin/tests/parity-nn" | grep -q '^SKIP'; then
	echo "SKIP: no CUDA device"
	exit 0
fi
gen-data blobs 200 1 | ds-noise -q --frac 0.1 --seed 3 --flipped flipped.ds > train.ds
NET=conv:8:3:1,bn,relu,pool,conv:8:3:1,relu,pool,affine
T="cnn-train -q --net $NET --batch 20 --lr 0.05 --epochs 2 --augment crop:2,flip train.ds"
t_ok "on the GPU, with --dynamics and --aum-fake" "$T --device cuda --dynamics g.dyn --aum-fake 30 > g.tr"
t_ok "on the GPU again: the same bytes" "$T --device cuda --dynamics g2.dyn --aum-fake 30 | cmp - g.tr && cmp g.dyn g2.dyn"
t_ok "on the GPU, the trace the same bytes without --dynamics" \
	"$T --device cuda --dynamics d.dyn > a.tr && $T --device cuda | cmp - a.tr"
t_ok "on the CPU" "$T --device cpu --dynamics c.dyn --aum-fake 30 > c.tr"
t_ok "margins and losses within round-off of the CPU's, the hits the same but at ties" "/usr/bin/python3 - <<'PY'
import sys; sys.path.insert(0, '$ROOT/tests/py'); import read_stream, zstandard, numpy as np
def rd(p):
    raw = zstandard.ZstdDecompressor().stream_reader(open(p, 'rb'), read_across_frames=True).read()
    return [r for _, rs, _ in read_stream.parts(raw) for r in rs]
g, c = rd('g.dyn'), rd('c.dyn')
assert len(g) == len(c) == 20
worst, flips = 0.0, 0
for a, b in zip(g, c):
    assert a['ids'] == b['ids'] and a['y'] == b['y']
    for k in ('margin', 'loss'):
        x, y = np.frombuffer(a[k], '<f4'), np.frombuffer(b[k], '<f4')
        worst = max(worst, float(np.max(np.abs(x - y) / np.maximum(1, np.abs(y)))))
    m = np.frombuffer(b['margin'], '<f4')
    flips += sum(1 for j in range(len(m)) if a['hit'][j] != b['hit'][j] and abs(m[j]) > 1e-3)
assert worst < 1e-2 and flips == 0, (worst, flips)
print('worst relative difference', worst)
PY"
t_ok "dyn-score on the GPU's dynamics" "dyn-score -q --method aum g.dyn | ds-view --header | grep -q '\"fake\":30'"
t_done
