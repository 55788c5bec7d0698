# ds-split: counts, seeding, stratification, order and ids, usage errors
. "$(dirname "$0")/lib.sh"

gen-data ds 300 5 > all.ds
t_ok "split 100 off" 'ds-split --val 100 --val-out val.ds --seed 1 < all.ds > train.ds'
t_eq "held-out part has 100" "examples 100" "$(ds-view --stats val.ds | head -1)"
t_eq "the rest has 200" "examples 200" "$(ds-view --stats train.ds | head -1)"
ds-view --csv all.ds | tail -n +2 | sort > all.csv
cat val.ds train.ds | ds-view --csv | tail -n +2 | sort > both.csv
t_ok "parts are a partition with ids and labels intact" 'cmp all.csv both.csv'
t_ok "parts keep input order" 'ds-view --csv train.ds | tail -n +2 | cut -d, -f1 | sort -n -c'
t_ok "same seed, same bytes" 'ds-split -q --val 100 --val-out v2.ds --seed 1 < all.ds > t2.ds && cmp val.ds v2.ds && cmp train.ds t2.ds'
t_ok "other seed, other split" 'ds-split -q --val 100 --val-out v3.ds --seed 2 < all.ds > t3.ds && ! cmp -s val.ds v3.ds'
t_ok "fraction" 'ds-split -q --val-frac 0.25 --val-out vf.ds all.ds > tf.ds && ds-view --stats vf.ds | grep -qx "examples 75"'
t_ok "stratified split keeps class shares (largest remainder)" '
	ds-split -q --val 100 --stratify --val-out vs.ds --seed 9 < all.ds > ts.ds
	ds-view --stats all.ds | grep ^label | cut -d" " -f3 > n.txt
	ds-view --stats vs.ds | grep ^label | cut -d" " -f3 > k.txt
	paste n.txt k.txt | awk "{ d = \$2 - \$1 / 3; if (d < -1 || d > 1) exit 1; s += \$2 } END { exit s != 100 }"'
t_ok "-o writes the rest to a file" 'ds-split -q --val 10 --val-out a.ds -o b.ds all.ds && ds-view --stats b.ds | grep -qx "examples 290"'
t_ok "outputs get the usual file mode" 'umask 022; ds-split -q --val 10 --val-out m.ds -o t.ds all.ds && [ "$(stat -c %a m.ds)" = 644 ]'
# a FIFO (like /dev/null) is written in place, never renamed over
mkfifo fifo
t_ok "-o to a FIFO writes into it and leaves it a FIFO" '
	cat fifo > got.ds & ds-split -q --val 10 --val-out v.ds -o fifo all.ds; wait
	[ -p fifo ] && ds-view --stats got.ds | grep -qx "examples 290"'
t_fail "more than the input" 1 'ds-split: --val 301 is more than the 300 examples of the input' 'ds-split --val 301 --val-out x.ds < all.ds'
t_ok "a failed split leaves no output files" '! ls x.ds* 2>/dev/null'
t_fail "needs --val-out" 2 'ds-split: --val-out FILE is required*' 'ds-split --val 3 < all.ds'
t_fail "needs one of --val, --val-frac" 2 'ds-split: give exactly one of --val, --val-frac and --folds*' 'ds-split --val-out x < all.ds'
t_fail "bad number" 2 "ds-split: invalid --val '12x'*" 'ds-split --val 12x --val-out x < all.ds'
t_fail "fraction out of range" 2 "ds-split: --val-frac 1.5 out of range*" 'ds-split --val-frac 1.5 --val-out x < all.ds'
t_fail "both parts to stdout" 2 'ds-split: --val-out and -o cannot both be stdout*' 'ds-split --val 1 --val-out - < all.ds'
t_fail "write error on stdout" 1 'ds-split: write *' 'ds-split -q --val 10 --val-out v.ds < all.ds > /dev/full'
t_fail "unwritable output directory" 1 'ds-split: cannot create nodir/v.ds: No such file or directory' 'ds-split --val 10 --val-out nodir/v.ds < all.ds'
t_tty "refuses a terminal" 'ds-split --val 10 --val-out v.ds all.ds'

# K-fold cross-validation: the held-out folds partition the input, each the
# complement of its rest, stratified, balanced, seeded
gen-data ds 103 7 > f.ds
ds-view --csv f.ds | tail -n +2 | sort > f.csv
for i in 0 1 2 3 4; do
	ds-split -q --folds 5 --fold $i --seed 4 --val-out v$i.ds -o r$i.ds f.ds
done
t_ok "every example in exactly one held-out fold" 'cat v0.ds v1.ds v2.ds v3.ds v4.ds | ds-view --csv | tail -n +2 | sort | cmp - f.csv'
t_ok "each fold's rest is the other four folds" '
	for i in 0 1 2 3 4; do
		cat v$i.ds r$i.ds | ds-view --csv | tail -n +2 | sort | cmp -s - f.csv || exit 1
		ds-view --csv r$i.ds | tail -n +2 | sort > a.csv
		for j in 0 1 2 3 4; do [ $j = $i ] || ds-view --csv v$j.ds | tail -n +2; done | sort | cmp -s - a.csv || exit 1
	done'
t_ok "fold sizes differ by at most one" '
	for i in 0 1 2 3 4; do ds-view --stats v$i.ds | sed -n "s/^examples //p"; done |
	sort -n | sed -n "1p;\$p" | paste -sd" " | awk "{ exit \$2 - \$1 > 1 }"'
t_ok "each class's share within one in every fold" '
	ds-view --stats f.ds | grep ^label | cut -d" " -f3 > n.txt
	for i in 0 1 2 3 4; do
		ds-view --stats v$i.ds | grep ^label | cut -d" " -f3 > k.txt
		paste n.txt k.txt | awk "{ d = \$2 - \$1 / 5; if (d <= -1 || d >= 1) exit 1 }" || exit 1
	done'
t_ok "the same seed, the same folds" 'ds-split -q --folds 5 --fold 2 --seed 4 --val-out w.ds f.ds | cmp - r2.ds && cmp w.ds v2.ds'
t_ok "another seed, other folds" 'ds-split -q --folds 5 --fold 2 --seed 5 --val-out w.ds f.ds > /dev/null; ! cmp -s w.ds v2.ds'
t_ok "two folds: halves" 'ds-split -q --folds 2 --fold 1 --val-out h.ds f.ds > /dev/null && ds-view --stats h.ds | grep -Eqx "examples (51|52)"'
t_fail "--fold out of range" 2 'ds-split: --fold 5: the folds are 0 to 4*' 'ds-split --folds 5 --fold 5 --val-out x f.ds'
t_fail "--folds out of range" 2 'ds-split: --folds 1: want 2 to 1000*' 'ds-split --folds 1 --fold 0 --val-out x f.ds'
t_fail "--folds too large" 2 "ds-split: --folds 1001 out of range*" 'ds-split --folds 1001 --fold 0 --val-out x f.ds'
t_fail "--folds without --fold" 2 'ds-split: --folds needs --fold I (0 to 4)*' 'ds-split --folds 5 --val-out x f.ds'
t_fail "--fold without --folds" 2 'ds-split: --fold goes with --folds K*' 'ds-split --fold 1 --val-out x f.ds'
t_fail "--folds with --val" 2 'ds-split: --folds goes without --val and --val-frac*' 'ds-split --folds 5 --fold 1 --val 3 --val-out x f.ds'
t_fail "more folds than examples" 1 'ds-split: --folds 200: the input has 103 examples' 'ds-split --folds 200 --fold 0 --val-out x f.ds'
t_done
