# pipelines/crossval.mk on tiny data: K folds that hold out every example
# once, K trainings, out-of-sample predictions of every example by a network
# that did not see it, label-issues on them; the report; a second make does
# nothing; a changed K reruns the folds.
. "$(dirname "$0")/lib.sh"
MK="make --no-print-directory -f $ROOT/pipelines/crossval.mk B=$ROOT/bin"
gen-data blobs 300 1 > base.ds
V="DATASET=blobs TRAIN_DS=base.ds N=240 NOISE=0.1 SEED=2 K=3 THREADS=1 TRAIN_OPTS='--net mlp:16 --batch 20 --lr 0.1 --epochs 4' O=o"
run() { eval "$MK $V $*" > make.out 2>&1; }

run -j2 || { echo "FAIL - make: $(tail -5 make.out)"; exit 1; }
ds-view --csv o/train.ds | tail -n +2 | cut -d, -f1 | sort -n > ids.txt
t_ok "the held-out folds partition the training set" \
	"cat o/f0.val.ds o/f1.val.ds o/f2.val.ds | ds-view --csv | tail -n +2 | cut -d, -f1 | sort -n | cmp - ids.txt"
t_ok "each network trained on the other two folds" \
	"for i in 0 1 2; do cat o/f\$i.val.ds o/f\$i.rest.ds | ds-view --stats | grep -qx 'examples 240' || exit 1; done"
t_ok "out-of-sample predictions of every example, once" \
	"ds-view --csv o/oos.pred | tail -n +2 | cut -d, -f1 | sort -n | cmp - ids.txt"
t_eq "every fold's predictions out-of-sample" "3" "$(for i in 0 1 2; do ds-view --header o/f$i.pred; done | grep -c '"sample":"out"')"
t_ok "label-issues: sample out, 3 parts, the training set's digest" \
	"ds-view --header o/label-issues.scores | grep -q '\"sample\":\"out\",\"parts\":3'"
t_ok "ds-remove takes its flagged set from this training set, no warning" \
	"! (top-neg -q --flagged o/label-issues.scores | ds-remove o/train.ds 2>&1 > /dev/null | grep -q 'another training set')"
t_ok "the report: AUROC, the flagged set against the flips, CPU seconds, in-sample beside it" \
	"grep -q '^out-of-sample (3 folds): auroc=[01]\\.[0-9]* .* f1=[01]\\.[0-9]* cpu_seconds=[0-9.]*\$' o/report.txt && grep -q '^in-sample (one network): auroc=' o/report.txt"
t_ok "CPU seconds: the folds' trainings and predictions summed" \
	"[ \$(cat o/f0.cpu o/f1.cpu o/f2.cpu | awk '{ s += \$1 } END { printf \"%.1f\", s }') = \$(sed -n 's/^out-of-sample.*cpu_seconds=//p' o/report.txt) ]"
auc=$(sed -n 's/^out-of-sample.*auroc=\([0-9.]*\).*/\1/p' o/report.txt)
echo "# out-of-sample AUROC on blobs: $auc"
t_ok "the flips are found (AUROC > 0.8)" "awk 'BEGIN { exit !($auc > 0.8) }'"
t_ok "a second make is a no-op (make -q)" "eval \"$MK $V -q o/report.txt\""
run
t_ok "a second make runs no command" "! grep -q 'bin/\\|crossval: fold' make.out"
touch marker
run RANK=normalized_margin
t_ok "another rank: label-issues again, no training" \
	"ds-view --header o/label-issues.scores | grep -q normalized_margin && [ \$(find o -name '*.tr' -newer marker | wc -l) = 0 ]"
run K=4
t_ok "K=4: four folds, every example once" \
	"ds-view --csv o/oos.pred | tail -n +2 | cut -d, -f1 | sort -n | cmp - ids.txt && ds-view --header o/label-issues.scores | grep -q '\"parts\":4'"
t_ok "an outside training set (TRAIN=, FLIPPED=)" \
	"$MK TRAIN=o/train.ds FLIPPED=o/flipped.ds K=2 INSAMPLE=0 THREADS=1 TRAIN_OPTS='--net mlp:16 --batch 20 --lr 0.1 --epochs 2' O=o2 > m2.out 2>&1 && grep -q '^out-of-sample (2 folds): auroc=' o2/report.txt && [ \$(wc -l < o2/report.txt) = 2 ]"
t_ok "K=1 refused" "! $MK $V K=1 > k1.out 2>&1 && grep -q 'K=1: want 2 to 1000 folds' k1.out"
t_done
