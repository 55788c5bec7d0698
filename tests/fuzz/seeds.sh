#!/bin/sh
# tests/fuzz/seeds.sh DIR — a small seed corpus for each harness, made by
# the programs in bin/ (seeded, a few KB each): DIR/<harness>/<file>. The
# msgpack readers get the decompressed bytes (the harness compresses them;
# see tests/fuzz/fuzz.h); fuzz-rec also gets one stream as it is.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$ROOT/bin:$ROOT/bin/tests:$PATH"
mkdir -p "$1"
D=$(cd "$1" && pwd)
rm -rf "$D"
for h in rec ds ids trace cache scores preds dyn idx cifar cifar-png csv png; do mkdir -p "$D/$h"; done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
gen-data blobs 12 1 8 > train.ds
gen-data ds 5 2 f32 > f32.ds
gen-data blobs 30 3 8 | ds-noise -q --frac 0.2 --seed 1 --flipped flipped.ids > noisy.ds
cnn-train -q --net linear --batch 4 --lr 0.1 --epochs 2 --snapshots every train.ds > run.tr
theta-cache -q --keep every-step run.tr > every.c
theta-cache -q --keep final run.tr > final.c
inf-score -q --method sgd-last --train train.ds --val train.ds final.c > s.sc
un() { zstd -qdc "$1" > "$2"; }
un train.ds "$D/ds/blobs"; un f32.ds "$D/ds/f32"
un flipped.ids "$D/ids/stream.msgpack"; printf 'z' > "$D/ids/z"; cat "$D/ids/stream.msgpack" >> "$D/ids/z"
printf '# ids\n1\n2\n18446744073709551615\n' > "$D/ids/text"
un run.tr "$D/trace/every"
un every.c "$D/cache/every-step"; un final.c "$D/cache/final"
un s.sc "$D/scores/scores"
ds-split -q --val 5 --val-out a.ds train.ds > b.ds
cnn-eval -q --trace run.tr --predictions p0 --train train.ds a.ds > /dev/null
cnn-eval -q --trace run.tr --predictions p1 b.ds > /dev/null
label-issues -q p1 > li.sc
un p1 "$D/preds/one"; cat p0 p1 | zstd -qdc > "$D/preds/two-parts"
un li.sc "$D/scores/label-issues"
cnn-train -q --net linear --batch 4 --lr 0.1 --epochs 2 --dynamics plain.dyn train.ds > /dev/null
cnn-train -q --net linear --batch 4 --lr 0.1 --epochs 2 --dynamics fake.dyn --aum-fake 3 train.ds > /dev/null
dyn-score -q --method aum fake.dyn > aum.sc
un plain.dyn "$D/dyn/plain"; un fake.dyn "$D/dyn/fake"; un aum.sc "$D/scores/aum"
cp train.ds "$D/rec/stream.zst"; un run.tr "$D/rec/trace"; un s.sc "$D/rec/scores"
# idx: first byte k, then k*8 bytes of images, then the labels
gen-data idx 3 2 4 1 im lb
{ printf '\003'; cat im; cat lb; } > "$D/idx/three"
gen-data cifar 1 1 "$D/cifar/one"
# cifar-png: first byte k, then k*4 bytes of JSON labels (padded with
# spaces), then the sheet
gen-data cifar-png 2 1 sheet.png labels.json
while [ $(($(wc -c < labels.json) % 4)) -ne 0 ]; do printf ' ' >> labels.json; done
{ printf "\\$(printf %o $(($(wc -c < labels.json) / 4)))"; cat labels.json sheet.png; } > "$D/cifar-png/two"
gen-data png 3 1 pngs
printf 'x:image,y:label\na.png,0\nb.png,1\n"a.png",2\n' > "$D/csv/list"
cp pngs/list.csv "$D/csv/gen" 2>/dev/null || true
for f in pngs/img/*.png; do cp "$f" "$D/png/$(basename "$f")"; done
