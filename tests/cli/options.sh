# Absurd option values, every program: each is refused with one line on
# stderr and exit 2 (a usage error) when the value alone is wrong, or exit
# 1 when it only turns out wrong against the data (-n beyond the data);
# never a crash, a hang or a run on nonsense. One line a case: the command,
# the exit status, and the first line of stderr (a glob). A new program or
# option is one more line.
. "$(dirname "$0")/lib.sh"

gen-data blobs 40 1 > t.ds
gen-data blobs 10 2 > v.ds
cnn-train -q --net linear --batch 10 --epochs 2 --snapshots every t.ds > r.tr
theta-cache -q r.tr > c.f
theta-cache -q --keep every-step r.tr > c.e
inf-score -q --method sgd-last --train t.ds --val v.ds c.f > s.sc
gen-data idx 5 4 4 1 im lb

while IFS='|' read -r cmd code want; do
	case $cmd in ''|'#'*) continue ;; esac
	timeout 120 sh -c "$cmd" >t.out 2>t.err
	rc=$?
	first=$(head -1 t.err)
	# shellcheck disable=SC2254
	case $first in
	$want) ok=1 ;;
	*) ok=0 ;;
	esac
	if [ "$rc" -ne "$code" ]; then
		t_bad "$cmd" "exit $rc, want $code: $first"
	elif [ $ok -eq 0 ]; then
		t_bad "$cmd" "stderr '$first' does not match '$want'"
	elif [ "$code" -eq 1 ] && [ "$(wc -l <t.err)" -ne 1 ]; then
		t_bad "$cmd" "stderr has $(wc -l <t.err) lines"
	elif [ "$code" -ne 0 ] && [ -s t.out ]; then
		t_bad "$cmd" "stdout not empty"
	else
		t_pass "$cmd"
	fi
done <<'TABLE'
# cnn-train
cnn-train --batch 0 t.ds|2|cnn-train: --batch and --epochs must be at least 1
cnn-train --batch -1 t.ds|2|cnn-train: invalid --batch '-1'
cnn-train --batch 1000000000 t.ds|2|cnn-train: --batch 1000000000 out of range*
cnn-train --lr nan t.ds|2|cnn-train: invalid --lr 'nan'
cnn-train --lr inf t.ds|2|cnn-train: invalid --lr 'inf'
cnn-train --lr -1 t.ds|2|cnn-train: --lr -1 out of range*
cnn-train --lr 1e300 t.ds|2|cnn-train: --lr 1e300 out of range*
cnn-train --lr-decay nan t.ds|2|cnn-train: invalid --lr-decay 'nan'
cnn-train --lr-decay -1 t.ds|2|cnn-train: --lr-decay -1 out of range*
cnn-train --epochs -1 t.ds|2|cnn-train: invalid --epochs '-1'
cnn-train --epochs 0 t.ds|2|cnn-train: --batch and --epochs must be at least 1
cnn-train --epochs 99999999999 t.ds|2|cnn-train: --epochs 99999999999 out of range*
cnn-train --momentum 1 t.ds|2|cnn-train: --momentum 1 out of range*
cnn-train --momentum -0.5 t.ds|2|cnn-train: --momentum -0.5 out of range*
cnn-train --weight-decay -1 t.ds|2|cnn-train: --weight-decay -1 out of range*
cnn-train --weight-decay nan t.ds|2|cnn-train: invalid --weight-decay 'nan'
cnn-train --threads -3 t.ds|2|cnn-train: invalid --threads '-3'
cnn-train --threads 100000 t.ds|2|cnn-train: --threads 100000 out of range*
cnn-train --seed -1 t.ds|2|cnn-train: invalid --seed '-1'
cnn-train --net mlp:0 t.ds|2|cnn-train: bad network spec 'mlp:0'*
cnn-train --net mlp:999999999 t.ds|2|cnn-train: bad network spec 'mlp:999999999' for input 1x12x12 (at 'affine:999999999')
cnn-train --net affine:12345678901,affine t.ds|2|cnn-train: *network*(at 'affine:12345678901')*
cnn-train --net conv:99999999999:3:1,affine t.ds|2|cnn-train: *network*(at 'conv:99999999999:3:1')*
cnn-train --net conv:65536:3:1,conv:65536:3:1,affine t.ds|2|cnn-train: network * is too large for input 1x12x12 (at 'conv:65536:3:1': over 268435456 parameters or values a layer)
cnn-train --augment crop:-1 t.ds|2|cnn-train: bad --augment 'crop:-1'*
cnn-train --augment crop:100000 t.ds|2|cnn-train: bad --augment 'crop:100000'*
cnn-train --trace-epochs 5 --epochs 2 t.ds|2|cnn-train: --trace-epochs entry 5 out of range*
cnn-train --trace-epochs -1 t.ds|2|cnn-train: invalid --trace-epochs entry '-1'
cnn-train --snapshots every:0 t.ds|2|cnn-train: --snapshots every:K needs K >= 1
cnn-train --snapshots every:-2 t.ds|2|cnn-train: invalid --snapshots every:K '-2'
cnn-train --device gpu t.ds|2|cnn-train: bad --device 'gpu'*
# cnn-eval
cnn-eval --device gpu --trace r.tr v.ds|2|cnn-eval: bad --device 'gpu'*
cnn-eval -q --trace r.tr t.ds v.ds|2|cnn-eval: *
cnn-eval --threads -3 --trace r.tr v.ds|2|cnn-eval: invalid --threads '-3'
cnn-eval --threads 100000 --trace r.tr v.ds|2|cnn-eval: --threads 100000 out of range*
# ds-view
ds-view -n -1 t.ds|2|ds-view: invalid -n '-1'
ds-view -n 999999999999999999999 t.ds|2|ds-view: invalid -n '999999999999999999999'
ds-view -n 1000 t.ds|0|*
# ds-noise
ds-noise --frac 2 --flipped F t.ds|2|ds-noise: --frac 2 out of range*
ds-noise --frac -0.1 --flipped F t.ds|2|ds-noise: --frac -0.1 out of range*
ds-noise --frac nan --flipped F t.ds|2|ds-noise: invalid --frac 'nan'
ds-noise --count 41 --flipped F t.ds|1|ds-noise: --count 41 is more than the 40 examples of the input
ds-noise --count -1 --flipped F t.ds|2|ds-noise: invalid --count '-1'
# ds-split
ds-split --val-frac 2 --val-out V t.ds|2|ds-split: --val-frac 2 out of range*
ds-split --val-frac -1 --val-out V t.ds|2|ds-split: --val-frac -1 out of range*
ds-split --val 41 --val-out V t.ds|1|ds-split: --val 41 is more than the 40 examples of the input
ds-split --val -1 --val-out V t.ds|2|ds-split: invalid --val '-1'
# ds-remove
ds-remove -i nope.txt t.ds|1|ds-remove: open nope.txt: No such file or directory
# ds-import
ds-import --classes -1 idx im lb|2|ds-import: invalid --classes '-1'
ds-import --classes 70000 idx im lb|2|ds-import: --classes 70000 out of range*
ds-import --classes 2 idx im lb|1|ds-import: label * out of range (classes 2)
ds-import --channels 2 idx im lb|2|ds-import: --channels must be 1 or 3
# top-neg
top-neg -n -1 s.sc|2|top-neg: invalid -n '-1'
top-neg -n 1000 s.sc|1|top-neg: -n 1000: only 40 examples scored
top-neg --frac 2 s.sc|2|top-neg: --frac 2 out of range*
top-neg --frac -1 s.sc|2|top-neg: --frac -1 out of range*
top-neg --below nan s.sc|2|top-neg: invalid --below 'nan'
top-neg --below -inf s.sc|2|top-neg: invalid --below '-inf'
top-neg --random 1000 s.sc|1|top-neg: --random 1000: only 40 examples scored
top-neg --random -1 s.sc|2|top-neg: invalid --random '-1'
# theta-cache
theta-cache --keep checkpoints:0 r.tr|2|theta-cache: checkpoints:K needs K >= 1
theta-cache --keep checkpoints:-1 r.tr|2|theta-cache: invalid checkpoints:K '-1'
theta-cache --keep checkpoints:1000 r.tr|1|theta-cache: checkpoints:1000: more than the 4 traced steps
theta-cache --keep bogus r.tr|2|theta-cache: bad --keep 'bogus'*
# inf-score
inf-score --method sgd-flow --train t.ds --val v.ds --flow-steps 0 c.e|2|inf-score: --flow-steps must be 1 to 100000
inf-score --method sgd-flow --train t.ds --val v.ds --flow-steps -1 c.e|2|inf-score: invalid --flow-steps '-1'
inf-score --method sgd-flow --train t.ds --val v.ds --flow-steps 99999999999 c.e|2|inf-score: --flow-steps 99999999999 out of range*
inf-score --method bogus --train t.ds --val v.ds c.f|2|inf-score: unknown --method 'bogus'*
inf-score --method sgd-last --train t.ds --val v.ds --device gpu c.f|2|inf-score: bad --device 'gpu'*
inf-score --method sgd-last --train t.ds --val v.ds --threads -3 c.f|2|inf-score: invalid --threads '-3'
inf-score --method sgd-last --train t.ds --val v.ds --threads 100000 c.f|2|inf-score: --threads 100000 out of range*
# grad-outlier
grad-outlier --method oga-l2 --layers all --dim 100000 --train t.ds c.f|2|grad-outlier: --dim 100000 out of range (at most 4096)
grad-outlier --method oga-l2 --train t.ds --threads -3 c.f|2|grad-outlier: invalid --threads '-3'
grad-outlier --method oga-l2 --train t.ds --threads 100000 c.f|2|grad-outlier: --threads 100000 out of range*
# hess-sample, inf-update, inf-score --method if
hess-sample --by features -k 0 --train t.ds c.f|2|hess-sample: -k must be at least 1
hess-sample --by features -k 1000 --train t.ds c.f|1|hess-sample: -k 1000: only 40 training examples
hess-sample --by magic -k 5 --train t.ds c.f|2|hess-sample: unknown --by 'magic' (want random, features or logits)
hess-sample --by features -k 5 --threads -3 --train t.ds c.f|2|hess-sample: invalid --threads '-3'
hess-sample --by features -k 5 --threads 100000 --train t.ds c.f|2|hess-sample: --threads 100000 out of range*
inf-update --class 99 --curvature gn --train t.ds c.f|1|inf-update: --class 99: the network has 4 classes
inf-update --class 1 --damping -1 --curvature gn --train t.ds c.f|2|inf-update: --damping -1 out of range*
inf-update --class 1 --damping nan --curvature gn --train t.ds c.f|2|inf-update: invalid --damping 'nan'
inf-update --class 1 --curvature gn --threads -3 --train t.ds c.f|2|inf-update: invalid --threads '-3'
inf-update --class 1 --curvature gn --threads 100000 --train t.ds c.f|2|inf-update: --threads 100000 out of range*
inf-score --method if --damping -1 --train t.ds --val v.ds c.f|2|inf-score: --damping -1 out of range*
inf-score --method if --hessian-size 0 --train t.ds --val v.ds c.f|2|inf-score: --hessian-size must be at least 1
inf-score --method if --curvature gauss --train t.ds --val v.ds c.f|2|inf-score: unknown --curvature 'gauss' (want hessian or gn)
inf-score --method if --hessian-ids h.ids --hessian-size 5 --train t.ds --val v.ds c.f|2|inf-score: give at most one of --hessian-ids and --hessian-size
inf-update --class 1 --hessian-size 0 --train t.ds c.f|2|inf-update: --hessian-size must be at least 1
inf-update --class 1 --curvature gauss --train t.ds c.f|2|inf-update: unknown --curvature 'gauss' (want hessian or gn)
inf-update --class 1 --hessian-ids h.ids --hessian-size 5 --train t.ds c.f|2|inf-update: give at most one of --hessian-ids and --hessian-size
# ds-sheet
ds-sheet --train t.ds -k 0 s.sc|2|ds-sheet: --cols and -k must be at least 1
ds-sheet --train t.ds --cols 0 s.sc|2|ds-sheet: --cols and -k must be at least 1
ds-sheet --train t.ds --scale 1000000 s.sc|2|ds-sheet: --scale 1000000 out of range (at most 64)
grad-outlier --method oga-l2 --train t.ds --contamination 2 c.f|2|grad-outlier: --contamination 2 out of range*
grad-outlier --method oga-l2 --train t.ds --contamination -0.5 c.f|2|grad-outlier: --contamination -0.5 out of range*
grad-outlier --method oga-l2 --train t.ds --contamination nan c.f|2|grad-outlier: invalid --contamination 'nan'
grad-outlier --method oga-l2 --train t.ds --count 1000 c.f|1|grad-outlier: --count 1000: only 40 examples
grad-outlier --method oga-l2 --train t.ds --count -1 c.f|2|grad-outlier: invalid --count '-1'
grad-outlier --method oga-iforest --train t.ds --trees 0 c.f|2|grad-outlier: --trees and --subsample must be at least 1
grad-outlier --method oga-iforest --train t.ds --subsample 0 c.f|2|grad-outlier: --trees and --subsample must be at least 1
grad-outlier --method oga-iforest --train t.ds --trees 100000000 c.f|2|grad-outlier: --trees 100000000 out of range*
# gen-data (the tests' own generator)
gen-data blobs 10 1 4|2|gen-data: blobs SIZE 4: at least 8
TABLE
t_done
