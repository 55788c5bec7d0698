# ds-relabel: the flagged examples get their suggested labels, the rest
# stay; the changes as an ids stream; scores of another training set, a
# suggested label outside the classes, ids not in the dataset refused.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
# sc FILE DIGEST 'RECORDS': a scores stream (method x, train_n 20)
sc() { $PY -c "import sys; sys.path.insert(0, '$ROOT/tests/py'); from write_stream import write; write('$1', 'scores', 1, {'method': 'x', 'train_n': 20, 'train_digest': $2}, $3)"; }

gen-data blobs 20 1 > d.ds
dg=$(cnn-train -q --net linear --epochs 1 --batch 5 --trace-epochs none d.ds | ds-view --header | sed 's/.*"train_digest":\([0-9]*\).*/\1/')
ds-view --csv d.ds | tail -n +2 | cut -d, -f1,2 > d.csv
y() { grep "^$1," d.csv | cut -d, -f2; }
# ids 3 and 7 flagged with suggestions, 5 flagged without one, 9 not flagged
o3=$(( ($(y 3) + 1) % 4 )); o7=$(( ($(y 7) + 2) % 4 ))
labels="[$(cut -d, -f2 d.csv | paste -sd,)]"
sc s.sc $dg "[{'id': i, 'y': $labels[i], 'score': -1.0 if i in (3, 5, 7) else 0.0, 'flag': i in (3, 5, 7), **({'suggest': {3: $o3, 7: $o7, 9: 0}[i]} if i in (3, 7, 9) else {})} for i in range(20)]"
t_ok "relabel" "ds-relabel -q --changed ch.ids -o r.ds d.ds s.sc"
ds-view --csv r.ds | tail -n +2 | cut -d, -f1,2 > r.csv
t_eq "the flagged with a suggestion relabelled, nothing else" "3,$o3 7,$o7" "$(diff d.csv r.csv | sed -n 's/^> //p' | paste -sd' ')"
t_eq "--changed: id, from, to" "3 $(y 3) $o3|7 $(y 7) $o7" \
	"$(ds-view ch.ids | sed -n 's/{"id":\([0-9]*\),"from":\([0-9]*\),"to":\([0-9]*\)}/\1 \2 \3/p' | paste -sd'|')"
t_ok "--changed header: what relabelled, the scores' training set and method" \
	"ds-view --header ch.ids | grep -q '\"what\":\"relabelled\",\"train_n\":20,\"train_digest\":$dg,\"method\":\"x\"'"
t_ok "the dataset keeps its shape, ids and pixels" "ds-view --stats r.ds | grep -qx 'examples 20' && [ \"\$(ds-view r.ds | sed 's/\"y\":[0-9]*//' | tail -n +2)\" = \"\$(ds-view d.ds | sed 's/\"y\":[0-9]*//' | tail -n +2)\" ]"
t_ok "a note on stderr" "ds-relabel --changed c2.ids d.ds s.sc 2>&1 >/dev/null | grep -q 'relabelled 2 of 20 examples (3 flagged by x)'"
t_ok "the flagged without a suggestion, said" "ds-relabel d.ds s.sc 2>&1 >/dev/null | grep -q '1 flagged examples have no suggested label'"
t_ok "the dataset on stdin" "ds-relabel -q - s.sc < d.ds | cmp - r.ds"
t_ok "the scores on stdin" "ds-relabel -q d.ds - < s.sc | cmp - r.ds"
t_ok "deterministic" "ds-relabel -q d.ds s.sc | cmp - r.ds"

# with label-issues on real predictions
gen-data blobs 300 2 | ds-noise -q --frac 0.1 --seed 2 --flipped fl.ds > n.ds
ds-split -q --folds 2 --fold 0 --val-out a.ds n.ds > b.ds
cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 4 b.ds > ta.tr
cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 4 a.ds > tb.tr
cnn-eval -q --trace ta.tr --predictions pa a.ds > /dev/null
cnn-eval -q --trace tb.tr --predictions pb b.ds > /dev/null
cat pa pb | label-issues -q --train n.ds > li.sc
t_ok "label-issues' flagged examples relabelled" "ds-relabel -q --changed ch2.ids n.ds li.sc > rl.ds"
nch=$(ds-view --csv ch2.ids | tail -n +2 | wc -l)
back=$(ds-view --csv ch2.ids | tail -n +2 | cut -d, -f1,3 | sort > c.txt; ds-view --csv fl.ds | tail -n +2 | cut -d, -f1,2 | sort > f.txt; comm -12 c.txt f.txt | wc -l)
echo "# relabelled $nch, of them back to their label before the flip: $back (30 flipped)"
t_eq "as many changed as flagged" "$nch" "$(ds-view --header li.sc | sed 's/.*"flagged":\([0-9]*\).*/\1/')"
t_ok "most changes put a flipped label back" "[ $back -ge \$(( $nch * 3 / 4 )) ]"

# bad input: one line, exit 1
sc other.sc 12345 "[{'id': 3, 'y': 0, 'score': -1.0, 'flag': True, 'suggest': 1}]"
t_fail "scores of another training set" 1 "ds-relabel: other.sc: x scores of another training set (20 examples, digest 00003039; d.ds has 20, digest *)" 'ds-relabel d.ds other.sc'
sc big.sc $dg "[{'id': 3, 'y': $(y 3), 'score': -1.0, 'flag': True, 'suggest': 4}]"
t_fail "a suggested label outside the classes" 1 'ds-relabel: big.sc: example id 3: suggested label 4 outside the 4 classes of d.ds' 'ds-relabel d.ds big.sc'
sc miss.sc $dg "[{'id': 99, 'y': 0, 'score': -1.0, 'flag': True, 'suggest': 1}]"
t_fail "an id not in the dataset" 1 'ds-relabel: miss.sc: example id 99 is not in d.ds' 'ds-relabel d.ds miss.sc'
sc lab.sc $dg "[{'id': 3, 'y': $(( ($(y 3) + 1) % 4 )), 'score': -1.0, 'flag': True, 'suggest': 1}]"
t_fail "a label that differs" 1 'ds-relabel: lab.sc: example id 3: the scores say label *, d.ds has *' 'ds-relabel d.ds lab.sc'
sc noflag.sc $dg "[{'id': 3, 'y': $(y 3), 'score': -1.0}]"
t_fail "scores without flags" 1 'ds-relabel: noflag.sc: no record is flagged or not (no flag key)*' 'ds-relabel d.ds noflag.sc'
t_fail "a dataset for scores" 1 "ds-relabel: d.ds: input is a 'dataset' stream, want 'scores'" 'ds-relabel d.ds d.ds'
t_fail "one argument" 2 'ds-relabel: give DATASET and SCORES*' 'ds-relabel d.ds'
t_fail "both from stdin" 2 'ds-relabel: the dataset and the scores cannot both come from stdin*' 'ds-relabel - -'
t_fail "a failed run leaves no output" 1 '*' 'ds-relabel -o out.ds --changed out.ids d.ds big.sc'
t_ok "... none at all" '! ls out.* 2>/dev/null'
t_tty "refuses a terminal" 'ds-relabel d.ds s.sc'
t_done
