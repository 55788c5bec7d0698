# ds-sheet: the contact sheet's cells are the flagged examples' pixels, in
# order, captioned and framed; the HTML report renders (headless Chromium)
# with the flagged examples visible, and counts the known flips
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
CHK="$PY $ROOT/tests/py/png_check.py"

gen-data blobs 200 1 | ds-noise -q --frac 0.1 --seed 3 --flipped flipped.ids > train.ds
gen-data blobs 50 2 > other.ds
cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 2 train.ds > run.tr
theta-cache -q --keep final run.tr > c.final
grad-outlier -q --method loss --train train.ds c.final > s
cnn-eval -q --trace run.tr --predictions pred train.ds > /dev/null
top-neg -q -n 10 s > ids
top-neg -q -n 10 --text s > ids.txt
ds-view --csv flipped.ids | tail -n +2 | cut -d, -f1 | sort > flips.txt
IDS=$(tr '\n' ' ' < ids.txt)
REV=$(sort -rn ids.txt | tr '\n' ' ')
# each flagged id, ":1" if a known flip
MARKED=$(while read -r i; do if grep -qx "$i" flips.txt; then echo "$i:1"; else echo "$i:0"; fi; done < ids.txt | tr '\n' ' ')
NFLIP=$(echo "$MARKED" | tr ' ' '\n' | grep -c ':1')

t_ok "a sheet of the 10 most negative scores" "ds-sheet -q --train train.ds -k 10 --cols 4 --scale 3 -o a.png s"
t_ok "each cell is its example's pixels, in rank order, captioned" "$CHK sheet a.png train.ds 3 4 3 $IDS"
t_ok "the check fails on the cells in another order" "! $CHK sheet a.png train.ds 3 4 3 $REV 2>/dev/null"
t_ok "the same sheet from top-neg's ids stream" "ds-sheet -q --train train.ds --cols 4 --scale 3 -o b.png ids && $CHK sheet b.png train.ds 3 4 3 $IDS"
t_ok "and from text ids on stdin" "ds-sheet -q --train train.ds --cols 4 --scale 3 -o c.png < ids.txt && $CHK sheet c.png train.ds 3 4 2 $IDS"
t_ok "with predictions and flips: known flips framed orange" \
	"ds-sheet -q --train train.ds -k 10 --cols 5 --scale 2 --predictions pred --flipped flipped.ids -o d.png s && $CHK sheet d.png train.ds 2 5 5 $MARKED"
t_ok "the frame check can fail" "! $CHK sheet d.png train.ds 2 5 5 $(echo "$MARKED" | tr 01 10) 2>/dev/null"
t_ok "the summary counts the flips shown" \
	"ds-sheet --train train.ds -k 10 --flipped flipped.ids -o e.png s 2>&1 | grep -qx 'ds-sheet: 10 examples shown; $NFLIP of them known flips (of 20)'"
t_tty "a PNG is not written to a terminal" "ds-sheet --train train.ds s"
t_fail "--train is needed" 2 'ds-sheet: give the dataset with --train DATASET*' "ds-sheet s"
echo 9999 > bad.txt
t_fail "an id not in the dataset" 1 'ds-sheet: bad.txt: example id 9999 is not in train.ds' "ds-sheet -q --train train.ds -o x.png bad.txt"
t_ok "scores of another training set: warned" \
	"ds-sheet --train other.ds -o y.png ids.txt 2>/dev/null; ds-sheet --train other.ds -k 3 -o y.png s 2>&1 | grep -q 'scores of another training set'"

# the scoring stages' CSV with images, and the predictions' probabilities
t_ok "grad-outlier --csv --image-dir" "grad-outlier -q --method loss --train train.ds --csv s.csv --image-dir img c.final > /dev/null"
t_eq "x:image holds each example's PNG path, most negative first" "x:image,y:label,influence,datasource_index|img/$(head -1 ids.txt).png" \
	"$(head -1 s.csv)|$(sed -n 2p s.csv | cut -d, -f1)"
t_eq "one PNG per example" 200 "$(ls img | wc -l)"
t_ok "each PNG is its example's pixels" \
	"for i in $(head -3 ids.txt | tr '\n' ' '); do $CHK image img/\$i.png train.ds \$i || exit 1; done"
t_ok "... and the check can fail" "! $CHK image img/$(sed -n 1p ids.txt).png train.ds $(sed -n 2p ids.txt) 2>/dev/null"
t_fail "--image-dir goes with --csv" 2 'grad-outlier: --image-dir goes with --csv*' "grad-outlier --method loss --train train.ds --image-dir img c.final"
gen-data idx 60 12 12 4 im lb
ds-import -q --names fashion-mnist --classes 10 -o named.ds idx im lb
cnn-train -q --net mlp:8 --epochs 1 named.ds | theta-cache -q --keep final > named.c
t_ok "class names beside the labels" \
	"grad-outlier -q --method loss --train named.ds --csv n.csv named.c > /dev/null && head -1 n.csv | grep -qx 'x:image,y:label,label_name,influence,datasource_index' && grep -q ',0,T-shirt/top,' n.csv && grep -q ',9,Ankle boot,' n.csv"
t_eq "ds-view --csv: a predictions stream's probabilities, one column per class" "id,y,pred,loss,p0,p1,p2,p3" "$(ds-view --csv pred | head -1)"
t_ok "... each row sums to 1 and its largest is pred" \
	"ds-view --csv pred | tail -n +2 | awk -F, '{ s = 0; m = 5; for (k = 5; k <= 8; k++) { s += \$k; if (\$k > \$m) m = k } if (s < 0.9999 || s > 1.0001 || m - 5 != \$3) bad = 1 } END { exit bad }'"

# the HTML report
t_ok "an HTML report" "ds-sheet -q --train train.ds --predictions pred --flipped flipped.ids --html -k 10 -o r.html s"
t_eq "one inlined image per flagged example" 10 "$(grep -o '<img [^>]*src="data:image/png;base64,' r.html | wc -l)"
t_eq "nothing fetched from elsewhere" 0 "$(grep -Ec '(src|href)="(http|//|file)' r.html)"
t_ok "the flips found" "grep -q '<b id=\"flips\">$NFLIP of the 10 flagged are known flips</b>' r.html"
t_ok "per-class counts: the 4 classes' examples add up to 200" \
	"[ \$(sed -n '/id=\"classes\"/,/<\\/table>/p' r.html | grep -o '<tr><td>[0-9]*</td><td>[^<]*</td><td>[0-9]*' | sed 's/.*>//' | awk '{ s += \$1 } END { print s }') -eq 200 ]"
t_ok "sortable: a script sorts by a column's title" "grep -q \"querySelectorAll('table.sortable th')\" r.html"
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROME" ]; then
	# root needs --no-sandbox; scale 1 so the images are drawn pixel for pixel
	timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--force-device-scale-factor=1 --window-size=900,1600 \
		--screenshot="$PWD/shot.png" "file://$PWD/r.html" >/dev/null 2>&1
	FIRST=$(head -3 ids.txt | tr '\n' ' ')
	t_ok "the report renders in Chromium: the first flagged examples are on screen" "$CHK find shot.png train.ds 7 $FIRST"
	UNFLAGGED=$(ds-view --csv train.ds | tail -n +2 | cut -d, -f1 | grep -vxFf ids.txt | head -1)
	t_ok "an example not flagged is not (the check can fail)" "! $CHK find shot.png train.ds 7 $UNFLAGGED 2>/dev/null"
else
	echo "ok - the report renders in Chromium # SKIP: no chromium"
fi
t_done
