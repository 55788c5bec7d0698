# Python's standard msgpack and zstandard read every record exactly as the
# C reader does (tests/py/read_stream.py, written from the spec alone).
. "$(dirname "$0")/../cli/lib.sh"
PY=/usr/bin/python3
R="$PY $ROOT/tests/py/read_stream.py"

t_ok "python3 has msgpack and zstandard" "$PY -c 'import msgpack, zstandard'"
gen-data idx 300 28 28 11 im lb
ds-import -q --names mnist idx im lb > all.ds
ds-split -q --val 100 --val-out val.ds --seed 2 < all.ds > train.ds
seq 0 3 299 > drop.txt
ds-remove -q -i drop.txt train.ds > clean.ds
ds-noise -q --count 10 --flipped flipped.ds --seed 1 < clean.ds > noisy.ds
for f in all.ds val.ds train.ds clean.ds noisy.ds flipped.ds; do
	t_ok "$f: python agrees record by record" "$R $f > py.jsonl && ds-view $f > c.jsonl && cmp py.jsonl c.jsonl"
done
gen-data ds 50 3 f32 > f.ds
t_ok "f32 dataset agrees" "$R f.ds > py.jsonl && ds-view f.ds > c.jsonl && cmp py.jsonl c.jsonl"
t_ok "python decodes pixels identical to the IDX file" "$PY - <<'PY'
import msgpack, zstandard
raw = zstandard.ZstdDecompressor().stream_reader(open('all.ds', 'rb'), read_across_frames=True).read()
objs = list(msgpack.Unpacker(__import__('io').BytesIO(raw), raw=False))
im = open('im', 'rb').read()[16:]
recs = objs[1:-1]
assert len(recs) == 300
for r in recs:
    assert r['x'] == im[r['id'] * 784:(r['id'] + 1) * 784], r['id']
assert objs[0]['class_names'][3] == '3'
PY"
cat val.ds train.ds > cat.ds
t_ok "concatenated parts agree" "$R cat.ds > py.jsonl && ds-view cat.ds > c.jsonl && cmp py.jsonl c.jsonl"
gen-data bad crc > crc.ds
t_ok "python also rejects a bad CRC" "! $R crc.ds 2>/dev/null"
t_done
