# All the outputs of one run commit together, after everything succeeded
# (lib/util/util.c out_finish/out_commit): a run that fails after writing one
# output leaves every previous output as it was and no temporary file.
# One line per tool with more than one output: the file that must stay
# (its old content "old"), then the failing command; a new tool with
# several outputs is one more line.
. "$(dirname "$0")/lib.sh"

gen-data blobs 60 1 > train.ds
gen-data blobs 20 2 > val.ds
cnn-train -q --net linear --batch 10 --epochs 2 --snapshots every train.ds > run.tr
theta-cache -q --keep final run.tr > c.final
printf '1\n2\n999999\n' > drop.txt
cnn-eval -q --trace run.tr --predictions val.pred val.ds > /dev/null
label-issues -q --train val.ds val.pred > li.sc

while IFS='|' read -r name keep cmd; do
	[ -n "$name" ] || continue
	echo old > "$keep"
	sh -c "$cmd" >t.out 2>t.err
	rc=$?
	t_eq "$name: exit 1" 1 "$rc"
	t_eq "$name: one line on stderr" 1 "$(wc -l <t.err)"
	t_eq "$name: $keep is the old one" same "$(echo old | cmp -s - "$keep" && echo same || echo replaced)"
	t_eq "$name: no temporary file left" "" "$(ls ./*.tmp.* 2>/dev/null)"
	rm -f "$keep"
done <<'TABLE'
ds-split: -o fails after --val-out|V|ds-split -q --val 5 --val-out V -o nodir/o train.ds
ds-noise: -o fails after --flipped|F|ds-noise -q --frac 0.1 --flipped F -o nodir/o train.ds
ds-remove: --strict fails after --missing|M|ds-remove -q --strict -i drop.txt --missing M -o O train.ds
ds-remove: --strict leaves -o too|O|ds-remove -q --strict -i drop.txt --missing M2 -o O train.ds
cnn-eval: -o fails after --predictions|P|cnn-eval -q --trace run.tr --predictions P -o nodir/m val.ds
inf-score: --csv fails after -o|S|inf-score -q --method sgd-last --train train.ds --val val.ds -o S --csv nodir/s.csv c.final
cnn-train: -o fails after --dynamics|D|cnn-train -q --net linear --batch 10 --epochs 1 --dynamics D -o nodir/t train.ds
ds-relabel: -o fails after --changed|C|ds-relabel -q --changed C -o nodir/o val.ds li.sc
grad-outlier: --csv fails after -o|S|grad-outlier -q --method oga-l2 --train train.ds -o S --csv nodir/s.csv c.final
TABLE

# and when everything succeeds, every output is there
t_ok "ds-split: both outputs on success" \
	"ds-split -q --val 5 --val-out v.ds -o o.ds train.ds && ds-view --header v.ds | grep -q '\"n\":5' && ds-view --header o.ds | grep -q '\"n\":55'"
t_ok "inf-score: -o and --csv on success" \
	"inf-score -q --method sgd-last --train train.ds --val val.ds -o s.sc --csv s.csv c.final && [ -s s.sc ] && [ \$(wc -l <s.csv) -eq 61 ]"
t_done
