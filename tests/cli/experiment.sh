# pipelines/experiment.mk on tiny data: every product depends on the
# parameters that change it (a changed NS or METHODS changes the table and
# reruns only what it affects), a second make does nothing, and report.py's
# paired interval against a hand computation
. "$(dirname "$0")/lib.sh"
MK="make --no-print-directory -f $ROOT/pipelines/experiment.mk B=$ROOT/bin"
gen-data blobs 200 1 > train.ds
gen-data blobs 60 2 > test.ds
V="DATASET=blobs TRAIN_DS=train.ds TEST_DS=test.ds NTRAIN=120 NVAL=40 NET=linear EPOCHS=1 SEEDS='1 2' O=o"
run() { eval "$MK $V $*" > make.out 2>&1; }

run NS="'0 10'" METHODS=loss || { echo "FAIL - make: $(tail -5 make.out)"; exit 1; }
t_eq "results.csv: header and 2 seeds x (none, the clean-label ceiling, loss, random)" 9 "$(wc -l < o/results.csv)"
t_eq "results.csv: the cells" "ceiling,0 loss,10 none,0 random,10" \
	"$(tail -n +2 o/results.csv | cut -d, -f2,3 | sort -u | paste -sd' ')"
t_ok "table and plots written" "grep -q '| 10 | loss |' o/table.md && [ -s o/acc.png ] && [ -s o/detect.png ]"
t_ok "detection: an AUROC per seed" "[ \$(tail -n +2 o/detection.csv | cut -d, -f4 | grep -c '^0\\.[0-9]*\$\\|^1\\.0*\$') = 2 ]"
t_ok "progress on stderr: the cell, how many done" "grep -q 'experiment: blobs 2 random-n10: retraining (scratch) \\[[0-9]*/8 cells done' make.out"
t_ok "intermediate streams are readable" "ds-view --stats o/s1/train.ds | grep -q 'examples 120' && ds-view o/s1/loss-n10.ids | grep -c '\"id\"' | grep -qx 10"
t_ok "the ceiling trains on the labels before the flips, with the same recipe and seed" \
	"cnn-train -q \$(sed 's/ *\$//' o/stamps/train) --trace-epochs none --seed 1 o/s1/clean.ds | cmp - o/s1/ceiling-n0.tr"
t_ok "the table has the ceiling and the gap recovered; the plot its line" \
	"grep -q '| 0 | ceiling (clean labels) |' o/table.md && grep -q 'gap recovered' o/table.md && grep -q '^ceiling = [1-9]' o/plot.gp"
cp o/table.md table.1
t_ok "a second make is a no-op (make -q)" "eval \"$MK $V NS='0 10' METHODS=loss -q o/table.md o/acc.png o/detect.png\""
run NS="'0 10'" METHODS=loss
t_ok "a second make runs no command" "! grep -q 'experiment: blobs\\|bin/' make.out"

# NREM: another n reruns the removal cells only, and the table changes
touch marker
run NS="'0 20'" METHODS=loss
t_ok "n changed: the table changes" "! cmp -s table.1 o/table.md && grep -q '| 20 | loss |' o/table.md && ! grep -q '| 10 |' o/table.md"
t_eq "n changed: results.csv has the new cells only" "ceiling,0 loss,20 none,0 random,20" \
	"$(tail -n +2 o/results.csv | cut -d, -f2,3 | sort -u | paste -sd' ')"
t_ok "n changed: training and scoring not rerun" "[ \$(find o/s1/base.tr o/s1/loss.scores -newer marker | wc -l) = 0 ] && [ \$(find o/s1/random-n20.tr -newer marker | wc -l) = 1 ]"
# METHOD: another method scores and retrains, the base run stays
cp o/table.md table.2
touch marker
run NS="'0 20'" METHODS=tracin-last
t_ok "method changed: the table changes" "! cmp -s table.2 o/table.md && grep -q '| 20 | tracin-last |' o/table.md && ! grep -q '| loss |' o/table.md"
t_ok "method changed: training not rerun, nor the random control" "[ \$(find o/s1/base.tr o/s1/random-n20.tr -newer marker | wc -l) = 0 ]"
# a training parameter reruns everything that depends on it
run NS="'0 20'" METHODS=tracin-last LR=0.2
t_ok "lr changed: base run retrained" "[ \$(find o/s1/base.tr -newer marker | wc -l) = 1 ]"
t_ok "lr changed: in the stamp" "grep -q -- '--lr 0.2 ' o/stamps/train"
# the retraining mode is a parameter too: the base run stays
run NS="'0 20'" METHODS=tracin-last LR=0.2 EPOCHS=2
touch marker
run NS="'0 20'" METHODS=tracin-last LR=0.2 EPOCHS=2 RETRAIN=last
t_ok "RETRAIN=last: rows say so, base run and scores kept" \
	"grep -q 'tracin-last,20,1,last,' o/results.csv && [ \$(find o/s1/base.tr o/s1/tracin-last.scores -newer marker | wc -l) = 0 ]"
t_ok "RETRAIN=last: the retrained trace leaves them out of the last epoch only" \
	"ds-view --header o/s1/tracin-last-n20.tr | grep -q '\"skip_from\":1'"
# class-conditional noise: NOISE of each source class of PAIRS flipped
run NS="'0 10'" METHODS=loss NOISE_KIND=pairs PAIRS=0:1,2:3 NOISE=0.5 O=op
t_eq "NOISE_KIND=pairs: only the pairs' flips, half of each source class" \
	"$(ds-view --csv op/s1/train.ds >/dev/null; for c in 0 2; do ds-view --csv op/s1/clean.ds | tail -n +2 | awk -F, -v c=$c '$2 == c' | wc -l | awk -v c=$c '{ printf "%d:%d:%d\n", c, c + 1, int($1 / 2 + 0.5) }'; done | paste -sd' ')" \
	"$(ds-view --csv op/s1/flipped.ds | tail -n +2 | cut -d, -f2,3 | sort | uniq -c | awk '{ split($2, a, ","); printf "%s:%s:%s\n", a[1], a[2], $1 }' | paste -sd' ')"
t_ok "NOISE_KIND=pairs: in the data stamp and the title" "grep -q 'noise=pairs --pairs 0:1,2:3 --frac 0.5' op/stamps/data && grep -q 'pairs noise' op/table.md"
t_fail "bad NOISE_KIND" 2 "*NOISE_KIND=uniform: want symmetric, pairs or matrix*" "$MK $V NOISE_KIND=uniform"
t_fail "pairs for a dataset without default pairs" 2 "*NOISE_KIND=pairs: no class pairs for blobs; give PAIRS=A:B,...*" "$MK $V NOISE_KIND=pairs"
t_fail "bad RETRAIN" 2 "*RETRAIN=sometimes: want scratch, last or replay*" "$MK $V RETRAIN=sometimes"

# report.py's interval against a hand computation: differences to random of
# +1, +2, +3 points over 3 seeds: mean 2, sd 1, t(0.975, 2) = 4.3027, half
# width 4.3027 / sqrt(3) = 2.4842
{ echo dataset,method,n,seed,retrain,accuracy,loss,flipped_removed,seconds
  for s in 1 2 3; do
	echo "x,none,0,$s,-,0.5,1,0,1"
	echo "x,random,5,$s,scratch,0.$((50 + s)),1,0,1"
	echo "x,m,5,$s,scratch,0.$((50 + 2 * s)),1,3,1"
	echo "x,w,5,$s,scratch,0.$((60 + s)),1,3,1"
  done; } > r.csv
mkdir -p rep
/usr/bin/python3 "$ROOT/pipelines/report.py" --results r.csv --out rep > rep.md
t_ok "report: paired difference and 95 % t-interval, within noise" "grep -q '| 5 | m | 54.00 ± 2.00 | +2.00 \\[-0.48, +4.48\\] | within noise |' rep.md"
# the gap recovered: no removal 90 %, ceiling 95 %, the method 92, 93, 94:
# 0.4, 0.6, 0.8 of the gap, mean 0.6, sd 0.2, half width 4.3027 · 0.2 / sqrt(3)
{ echo dataset,method,n,seed,retrain,accuracy,loss,flipped_removed,seconds
  for s in 1 2 3; do
	echo "x,none,0,$s,-,0.90,1,0,1"
	echo "x,ceiling,0,$s,-,0.95,1,0,1"
	echo "x,random,5,$s,scratch,0.9$s,1,0,1"
	echo "x,m,5,$s,scratch,0.9$((s + 1)),1,3,1"
  done; } > g.csv
/usr/bin/python3 "$ROOT/pipelines/report.py" --results g.csv --out rep > g.md
t_ok "report: the gap recovered and its interval" "grep -q '| 5 | m | 93.00 ± 1.00 | +1.00 \[+1.00, +1.00\] | higher | +3.00 \[+0.52, +5.48\] | higher | +0.60 \[+0.10, +1.10\] | 3.0 |' g.md"
t_ok "report: the ceiling's row" "grep -q '| 0 | ceiling (clean labels) | 95.00 ± 0.00 | | | +5.00 \[+5.00, +5.00\] | higher | 1 | |' g.md"
t_ok "report: a constant difference is no noise" "grep -q '| 5 | w | 62.00 ± 1.00 | +10.00 \\[+10.00, +10.00\\] | higher |' rep.md"
t_done
