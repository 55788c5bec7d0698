# ds-remove: ids from text or streams, on either input, reports, strictness
. "$(dirname "$0")/lib.sh"

gen-data ds 200 7 > all.ds
printf '# drop these\n3\n10\n10\n199\n5000\n' > drop.txt
t_ok "ids as text on stdin, dataset as argument" 'ds-remove all.ds < drop.txt > out.ds 2> msg'
t_eq "197 examples remain" "examples 197" "$(ds-view --stats out.ds | head -1)"
t_eq "report" "ds-remove: 1 requested ids not in the dataset: 5000|ds-remove: dropped 3 of 4 requested ids: 200 -> 197 examples" "$(paste -sd'|' msg)"
t_eq "the dropped ids are gone, the rest intact" \
	"$(ds-view --csv all.ds | tail -n +2 | grep -Ev '^(3|10|199),')" "$(ds-view --csv out.ds | tail -n +2)"
t_ok "dataset on stdin, ids with -i" 'ds-remove -q -i drop.txt < all.ds | cmp - out.ds'
ds-noise -q --count 5 --flipped ids.ds --seed 1 < all.ds > /dev/null
t_ok "ids stream (from ds-noise) accepted" 'ds-remove -q -i ids.ds all.ds | ds-view --stats | grep -qx "examples 195"'
t_ok "--missing lists ids not found" 'ds-remove -q -i drop.txt --missing miss.txt all.ds > /dev/null && [ "$(cat miss.txt)" = 5000 ]'
t_fail "--strict fails on a missing id, no partial output" 1 \
	'ds-remove: 1 requested ids not in the dataset: 5000' 'ds-remove --strict -i drop.txt -o s.ds all.ds'
t_ok "--strict leaves no output file" '! ls s.ds* 2>/dev/null'
t_ok "--strict on stdout leaves a stream without trailer" \
	'ds-remove -q --strict -i drop.txt all.ds > part.ds 2>/dev/null; ! ds-view --stats part.ds 2>/dev/null'
printf '3\nten\n' > bad.txt
t_fail "bad id text" 1 "ds-remove: bad.txt:2: not an example id: 'ten'" 'ds-remove -i bad.txt all.ds'
printf '%s\n' 99999999999999999999999 > big.txt
t_fail "id out of range" 1 "ds-remove: big.txt:1: not an example id*" 'ds-remove -i big.txt all.ds'
gen-data ds 3 1 > notids.ds
t_fail "a dataset given as the ids" 1 "ds-remove: notids.ds: input is a 'dataset' stream, want 'ids'" 'ds-remove -i notids.ds all.ds'
head -c 20 ids.ds > cut.ids
t_fail "truncated ids stream" 1 "ds-remove: cut.ids: truncated stream*" 'ds-remove -i cut.ids all.ds'
t_fail "ids and dataset both on stdin" 2 'ds-remove: the ids and the dataset cannot both come from stdin*' 'ds-remove -i - < all.ds'
t_fail "needs ids" 2 'ds-remove: give the ids with -i IDS*' 'ds-remove < all.ds'
t_fail "write error" 1 'ds-remove: write *' 'ds-remove -q -i drop.txt all.ds > /dev/full'
t_tty "refuses a terminal" 'ds-remove -i drop.txt all.ds'
t_done
