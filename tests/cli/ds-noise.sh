# ds-noise: exact counts, every flip changes the label, the side file is true;
# pair flips and a transition matrix; bad pairs and matrices
. "$(dirname "$0")/lib.sh"

gen-data ds 400 3 > all.ds
t_ok "flip 10%" 'ds-noise --frac 0.1 --seed 4 --flipped f.ds < all.ds > noisy.ds'
t_eq "40 flipped ids recorded" "40" "$(ds-view --csv f.ds | tail -n +2 | wc -l)"
ds-view --csv all.ds | tail -n +2 > a.csv
ds-view --csv noisy.ds | tail -n +2 > b.csv
t_eq "exactly 40 labels differ" "40" "$(paste -d, a.csv b.csv | awk -F, '$2 != $4' | wc -l)"
t_eq "ids and order unchanged" "$(cut -d, -f1 a.csv)" "$(cut -d, -f1 b.csv)"
t_eq "side file says from/to truly" \
	"$(paste -d, a.csv b.csv | awk -F, '$2 != $4 { print $1 "," $2 "," $4 }')" \
	"$(ds-view --csv f.ds | tail -n +2)"
t_ok "deterministic" 'ds-noise -q --frac 0.1 --seed 4 --flipped f2.ds < all.ds | cmp - noisy.ds && cmp f.ds f2.ds'
t_ok "removing the flipped ids leaves only clean labels" '
	ds-remove -q -i f.ds noisy.ds | ds-view --csv | tail -n +2 > c.csv
	[ $(wc -l < c.csv) = 360 ] && grep -Fxf c.csv a.csv | wc -l | grep -qx 360'
t_fail "count above the input" 1 'ds-noise: --count 401 is more than the 400 examples of the input' 'ds-noise --count 401 --flipped g.ds < all.ds'
t_ok "no side file left after a failure" '! ls g.ds* 2>/dev/null'
t_fail "needs --flipped" 2 'ds-noise: --flipped FILE is required*' 'ds-noise --count 3 < all.ds'
t_tty "refuses a terminal" 'ds-noise --count 3 --flipped f3.ds all.ds'
# pair noise (Patrini et al.'s kind): exactly round(F * n_A) of each class A
# flipped to B, the other classes untouched; 0:1,1:0 swaps without
# flipping any example twice
gen-data blobs 3000 4 > four.ds
ds-view --csv four.ds | tail -n +2 > four.csv
t_ok "--pairs flips" 'ds-noise -q --pairs 0:1,1:0,2:3 --frac 0.2 --seed 5 --flipped fp.ds four.ds > p.ds'
ds-view --csv p.ds | tail -n +2 > p.csv
t_eq "--pairs: round(0.2 n_A) of each source class flipped to its pair, no other change" \
	"$(awk -F, '{ n[$2]++ } END { for (c = 0; c < 3; c++) printf "%d:%d:%d ", c, (c == 0 ? 1 : c == 1 ? 0 : 3), int(0.2 * n[c] + 0.5) }' four.csv)" \
	"$(paste -d, four.csv p.csv | awk -F, '$2 != $4 { k[$2 ":" $4]++ } END { for (c = 0; c < 3; c++) for (d = 0; d < 4; d++) if (k[c ":" d]) printf "%d:%d:%d ", c, d, k[c ":" d] }')"
t_eq "--pairs: the side file is the truth" \
	"$(paste -d, four.csv p.csv | awk -F, '$2 != $4 { print $1 "," $2 "," $4 }')" "$(ds-view --csv fp.ds | tail -n +2)"
t_ok "--pairs: deterministic, and another seed picks others" \
	'ds-noise -q --pairs 0:1,1:0,2:3 --frac 0.2 --seed 5 --flipped fp2.ds four.ds | cmp - p.ds && cmp fp.ds fp2.ds && ds-noise -q --pairs 0:1,1:0,2:3 --frac 0.2 --seed 6 --flipped fp3.ds four.ds > p3.ds; ! cmp -s p3.ds p.ds'
gen-data idx 200 6 6 1 im lb
ds-import -q --classes 10 --names fashion-mnist idx im lb > named.ds
t_eq "--pairs by class name (the dataset names its classes) is --pairs by number" \
	"$(ds-noise -q --pairs 'T-shirt/top:Shirt,Pullover:Coat' --frac 0.5 --seed 1 --flipped fn.ds named.ds | ds-view --csv)" \
	"$(ds-noise -q --pairs 0:6,2:4 --frac 0.5 --seed 1 --flipped fn1.ds named.ds | ds-view --csv)"
t_ok "--pairs by name flips some" '[ $(ds-view fn.ds | grep -c "\"id\"") -ge 5 ] && cmp fn.ds fn1.ds'
# a transition matrix: row i the probabilities of the new label of class i
printf '1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n' > id.txt
t_ok "--matrix identity flips nothing" 'ds-noise -q --matrix id.txt --flipped fi.ds four.ds | ds-view --csv | tail -n +2 | cmp - four.csv && ! ds-view fi.ds | grep -q "\"id\""'
printf '# rows: given label; columns: new label\n0.7, 0.3, 0, 0\n0 1 0 0\n0.1 0.1 0.6 0.2\n0 0 0.5 0.5\n' > m.txt
t_ok "--matrix flips" 'ds-noise -q --matrix m.txt --seed 2 --flipped fm.ds four.ds > m.ds'
ds-view --csv m.ds | tail -n +2 > m.csv
t_ok "--matrix: each row's frequencies within 0.05 of its probabilities (3000 examples), zeros never drawn" \
	"paste -d, four.csv m.csv | awk -F, '{ n[\$2]++; k[\$2 \",\" \$4]++ } END { split(\"0.7 0.3 0 0 0 1 0 0 0.1 0.1 0.6 0.2 0 0 0.5 0.5\", T, \" \"); for (i = 0; i < 4; i++) for (j = 0; j < 4; j++) { f = k[i \",\" j] / n[i]; t = T[4 * i + j + 1]; if (f - t > 0.05 || t - f > 0.05 || (t == 0 && f > 0)) bad++ } exit bad > 0 }'"
t_eq "--matrix: the side file lists exactly the changed labels" \
	"$(paste -d, four.csv m.csv | awk -F, '$2 != $4 { print $1 "," $2 "," $4 }')" "$(ds-view --csv fm.ds | tail -n +2)"
# bad input: one clear line each
t_fail "--pairs: a class outside the data" 2 "ds-noise: --pairs: class 9: the data has classes 0 to 3*" 'ds-noise --pairs 0:9 --frac 0.1 --flipped g.ds four.ds'
t_fail "--pairs: not a class" 2 "ds-noise: --pairs: 'cat' is not a class (want 0 to 3)*" 'ds-noise --pairs cat:1 --frac 0.1 --flipped g.ds four.ds'
t_fail "--pairs: a class to itself" 2 "ds-noise: --pairs: 2:2 flips a class to itself*" 'ds-noise --pairs 2:2 --frac 0.1 --flipped g.ds four.ds'
t_fail "--pairs: one class to two" 2 "ds-noise: --pairs: class 1 flips twice (1:2 and 1:3)*" 'ds-noise --pairs 1:2,1:3 --frac 0.1 --flipped g.ds four.ds'
t_fail "--pairs: not a pair" 2 "ds-noise: --pairs: '12' is not a pair FROM:TO*" 'ds-noise --pairs 12 --frac 0.1 --flipped g.ds four.ds'
t_fail "--pairs without --frac" 2 "ds-noise: --pairs takes --frac F*" 'ds-noise --pairs 1:2 --count 3 --flipped g.ds four.ds'
t_fail "--matrix with --frac" 2 "ds-noise: --matrix gives every probability*" 'ds-noise --matrix m.txt --frac 0.1 --flipped g.ds four.ds'
printf '0.7 0.2 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n' > sum.txt
t_fail "--matrix: a row not summing to 1" 1 "ds-noise: sum.txt: row 0 sums to 0.9, not 1" 'ds-noise --matrix sum.txt --flipped g.ds four.ds'
printf '1 0 0 0\n-0.5 1.5 0 0\n0 0 1 0\n0 0 0 1\n' > neg.txt
t_fail "--matrix: a negative entry" 1 "ds-noise: neg.txt: row 1, column 0: -0.5 is negative" 'ds-noise --matrix neg.txt --flipped g.ds four.ds'
printf '1 0 0 0\nnan 1 0 0\n0 0 1 0\n0 0 0 1\n' > nan.txt
t_fail "--matrix: NaN" 1 "ds-noise: nan.txt: row 1, column 0: nan is not finite" 'ds-noise --matrix nan.txt --flipped g.ds four.ds'
printf '1 0 0\n0 1 0\n0 0 1\n' > three.txt
t_fail "--matrix: K x K for the data's K" 1 "ds-noise: three.txt: row 0 has 3 entries, want 4 (one per class)" 'ds-noise --matrix three.txt --flipped g.ds four.ds'
head -3 id.txt > short.txt
t_fail "--matrix: too few rows" 1 "ds-noise: short.txt: 3 rows, want 4 (one per class)" 'ds-noise --matrix short.txt --flipped g.ds four.ds'
t_fail "--matrix: no such file" 1 "ds-noise: open none.txt: No such file*" 'ds-noise --matrix none.txt --flipped g.ds four.ds'
t_ok "no side file left after the failures" '! ls g.ds* 2>/dev/null'
t_done
