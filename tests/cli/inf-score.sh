# theta-cache, inf-score, top-neg: estimates judged against the true
# counterfactual (replaying the traced epoch without each example)
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
CMP="$PY $ROOT/tests/py/compare_scores.py"

# 500 learnable examples, 10% of the labels flipped; an MLP, 4 epochs, the
# last traced with every θ_t
gen-data blobs 500 1 | ds-noise -q --frac 0.1 --seed 3 --flipped flipped.ds > train.ds
gen-data blobs 200 2 > val.ds
cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 4 --snapshots every train.ds > run.tr
for k in final every-step checkpoints:1 checkpoints:5 checkpoints:25; do
	t_ok "theta-cache --keep $k" "theta-cache -q --keep $k run.tr > c.$k"
done
t_eq "final cache keeps 1 snapshot of the 2388 parameters" "1 9552" \
	"$(ds-view --header c.final | sed 's/.*"kept":\([0-9]*\),"theta_bytes":\([0-9]*\).*/\1 \2/')"
t_eq "every-step keeps 25 steps + final = 26 x 2388 x 4 bytes" "26 248352" \
	"$(ds-view --header c.every-step | sed 's/.*"kept":\([0-9]*\),"theta_bytes":\([0-9]*\).*/\1 \2/')"
for meth in sgd sgd-last tracin-last; do
	t_ok "inf-score $meth" "inf-score -q --method $meth --train train.ds --val val.ds c.every-step > s.$meth"
done
t_ok "inf-score counterfactual (500 replays)" "inf-score -q --method counterfactual --train train.ds --val val.ds < c.every-step > s.cf"
for k in checkpoints:1 checkpoints:5 checkpoints:25; do
	t_ok "sgd from $k equals sgd from every-step, bit for bit" \
		"inf-score -q --method sgd --train train.ds --val val.ds c.$k | cmp - s.sgd"
done
t_ok "sgd-last from the final cache equals sgd-last from every-step" \
	"inf-score -q --method sgd-last --train train.ds --val val.ds c.final | cmp - s.sgd-last"
for meth in sgd sgd-last tracin-last; do
	echo "# $meth vs counterfactual: $($CMP s.$meth s.cf 20)"
done
# a learning rate that changes every step: cosine decay after a warm-up of
# 10 steps, every epoch traced, so the walk and the counterfactual replay
# cover the whole run. Softmax regression (--net linear) is where the
# papers' walk is exact to second order: any step taken at the wrong η
# would show in r
for net in linear mlp:16; do
	cnn-train -q --net $net --batch 20 --lr 0.2 --epochs 3 --schedule cosine --warmup 10 \
		--trace-epochs all --snapshots every train.ds | theta-cache -q --keep every-step > c.cos.$net
	for meth in sgd sgd-last counterfactual; do
		inf-score -q --method $meth --train train.ds --val val.ds c.cos.$net > s.cos.$net.$meth
	done
	for meth in sgd sgd-last; do
		echo "# cosine schedule, $net, $meth vs counterfactual: $($CMP s.cos.$net.$meth s.cos.$net.counterfactual 20)"
	done
done
t_ok "cosine schedule, softmax regression: sgd matches the counterfactual (tau >= 0.98, r >= 0.999)" \
	"$CMP s.cos.linear.sgd s.cos.linear.counterfactual 20 | awk '{ split(\$2, a, \"=\"); split(\$4, b, \"=\"); exit !(a[2] >= 0.98 && b[2] >= 0.999) }'"
t_ok "cosine schedule, mlp: sgd tau >= 0.55, sgd-last tau >= 0.4, the 20 most negative truly harmful" \
	"$CMP s.cos.mlp:16.sgd s.cos.mlp:16.counterfactual 20 | awk '{ split(\$2, a, \"=\"); exit !(a[2] >= 0.55) }' && $CMP s.cos.mlp:16.sgd-last s.cos.mlp:16.counterfactual 20 | awk '{ split(\$2, a, \"=\"); exit !(a[2] >= 0.4) }' && $CMP s.cos.mlp:16.sgd s.cos.mlp:16.counterfactual 20 | grep -q 'sign@20=20/20'"
# --drop-last: 510 examples in batches of 20 leave 10 out of every epoch,
# other ones each time. An example the last epoch never saw gains nothing
# there; its score is what the walk carries back from the epoch before, and
# that must agree with replaying both epochs without it
gen-data blobs 510 1 | ds-noise -q --frac 0.1 --seed 3 --flipped f510.ds > t510.ds
cnn-train -q --net linear --batch 20 --lr 0.2 --epochs 3 --drop-last --trace-epochs 1,2 --snapshots every t510.ds > dl.tr
theta-cache -q --keep every-step dl.tr > c.dl
for meth in sgd counterfactual; do inf-score -q --method $meth --train t510.ds --val val.ds c.dl > s.dl.$meth; done
ds-view dl.tr | grep '"t":"step","epoch":2,' | grep -o '"ids":\[[0-9,]*\]' | tr -d 'ids":[]' | tr ',' '\n' | sort > seen2.txt
ds-view --csv t510.ds | tail -n +2 | cut -d, -f1 | sort | comm -23 - seen2.txt > drop2.txt
t_eq "--drop-last: 10 examples not seen in the last epoch" 10 "$(wc -l < drop2.txt)"
ds-view --csv s.dl.sgd | tail -n +2 | awk -F, 'NR == FNR { d[$1]; next } $1 in d' drop2.txt - | sort > dl.sgd
ds-view --csv s.dl.counterfactual | tail -n +2 | awk -F, 'NR == FNR { d[$1]; next } $1 in d' drop2.txt - | sort > dl.cf
t_ok "--drop-last: their sgd scores are the counterfactual's within 5 %" \
	"[ \$(wc -l < dl.sgd) = 10 ] && join -t, dl.sgd dl.cf | awk -F, '{ d = \$3 - \$5; if (d < 0) d = -d; a = \$5 < 0 ? -\$5 : \$5; if (!(d <= 0.05 * a + 1e-7) || \$5 == 0) bad++ } END { exit bad > 0 }'"
echo "# --drop-last, all 510: sgd vs counterfactual: $($CMP s.dl.sgd s.dl.counterfactual 20)"
t_ok "--drop-last: sgd vs counterfactual over all (tau >= 0.98)" \
	"$CMP s.dl.sgd s.dl.counterfactual 20 | awk '{ split(\$2, a, \"=\"); exit !(a[2] >= 0.98) }'"
# with the last epoch alone traced, the walk and the replay both give them 0
cnn-train -q --net linear --batch 20 --lr 0.2 --epochs 3 --drop-last --snapshots every t510.ds | theta-cache -q --keep every-step > c.dl1
for meth in sgd counterfactual; do inf-score -q --method $meth --train t510.ds --val val.ds c.dl1 > s.dl1.$meth; done
t_eq "--drop-last, last epoch traced: the unseen score exactly 0 by the walk and by the replay" "10 10" \
	"$(ds-view --csv s.dl1.sgd | tail -n +2 | awk -F, 'NR == FNR { d[$1]; next } $1 in d' drop2.txt - | awk -F, '$3 == 0' | wc -l) $(ds-view --csv s.dl1.counterfactual | tail -n +2 | awk -F, 'NR == FNR { d[$1]; next } $1 in d' drop2.txt - | awk -F, '$3 == 0' | wc -l)"

# momentum trains, but every walk models plain SGD steps: loud on stderr
# and in the scores header
cnn-train -q --net linear --batch 20 --lr 0.1 --epochs 2 --momentum 0.9 train.ds | theta-cache -q > c.mom
t_ok "momentum: the walk warns that it assumes plain SGD, and the header carries the momentum" \
	"inf-score --method sgd-last --train train.ds --val val.ds c.mom 2> err.mom > s.mom && grep -q 'the run used momentum 0.9; the estimate assumes plain SGD steps' err.mom && ds-view --header s.mom | grep -q '\"momentum\":0.9' && ! ds-view --header s.sgd-last | grep -q momentum"
t_ok "momentum: -q keeps the header's note" \
	"inf-score -q --method tracin-last --train train.ds --val val.ds c.mom | ds-view --header | grep -q '\"momentum\":0.9'"

# influence functions (the Gauss-Newton matrix of all 500, damping 0.1): a
# model of retraining to convergence, not of the traced epoch, so they agree
# less; a sign or scale error would show as tau <= 0
t_ok "inf-score if" "inf-score -q --method if --curvature gn --damping 0.1 --hessian-size 500 --train train.ds --val val.ds c.final > s.if"
echo "# if vs counterfactual: $($CMP s.if s.cf 20)"
t_ok "if: Kendall tau >= 0.3 against the counterfactual" \
	"$CMP s.if s.cf 20 | awk '{ split(\$2, a, \"=\"); exit !(a[2] >= 0.3) }'"
t_ok "sgd: Kendall tau >= 0.6 against the counterfactual" \
	"$CMP s.sgd s.cf 20 | awk '{ split(\$2, a, \"=\"); exit !(a[2] >= 0.6) }'"
t_ok "sgd: the 20 most negative are truly harmful (same sign)" "$CMP s.sgd s.cf 20 | grep -q 'sign@20=20/20'"
t_ok "sgd ranks closer to the truth than tracin-last" \
	"[ \$($CMP s.sgd s.cf | cut -d' ' -f2 | cut -d= -f2 | tr -d .) -gt \$($CMP s.tracin-last s.cf | cut -d' ' -f2 | cut -d= -f2 | tr -d .) ]"
ds-view --csv flipped.ds | tail -n +2 | cut -d, -f1 > flipped.txt
hits=$(top-neg -q -n 50 --text s.sgd | grep -cFxf flipped.txt)
rhits=$(top-neg -q --random 50 --seed 1 --text s.sgd | grep -cFxf flipped.txt)
echo "# flipped labels among 50 removed: sgd $hits, random $rhits (10% flipped)"
t_ok "sgd's 50 most negative are mostly the flipped labels (>= 40; random ~5)" "[ $hits -ge 40 ] && [ $rhits -le 15 ]"
t_ok "--ref-u-scale changes the scores and says so" \
	"inf-score -q --ref-u-scale --method sgd --train train.ds --val val.ds c.every-step > s.ref && ! cmp -s s.ref s.sgd && ds-view --header s.ref | grep -q '\"ref_u_scale\":true'"
printf '7\n3\n' > two.txt
t_eq "--ids scores only those (in training-set order)" "3 7" \
	"$(inf-score -q --method sgd-last --ids two.txt --train train.ds --val val.ds c.final | ds-view --csv | tail -n +2 | cut -d, -f1 | paste -sd' ')"
t_ok "CSV export, most negative first" \
	"inf-score -q --method sgd --csv s.csv --train train.ds --val val.ds c.every-step > /dev/null && head -1 s.csv | grep -qx 'x:image,y:label,influence,datasource_index' && tail -n +2 s.csv | cut -d, -f3 | sort -g -c"

# stability (docs/stability.md): every u-walk measures itself into the header
t_ok "the scores header carries the walk's stability" \
	"ds-view --header s.sgd | grep -q '\"stability\":{\"lambda\":[0-9.e+-]*,\"lambda_t\":[0-9.e+-]*,\"eta_lambda\"'"
t_ok "a stable run does not warn" \
	"inf-score --method sgd-last --train train.ds --val val.ds c.final 2>&1 >/dev/null | grep -q 'eta\*lambda' && ! inf-score --method sgd-last --train train.ds --val val.ds c.final 2>&1 >/dev/null | grep -q unstable"
# where eta*lambda <= 1/2 the flow variants take one sub-step: the papers' scores exactly
for pair in "sgd every-step" "sgd-last final"; do
	set -- $pair
	t_ok "$1-flow equals $1 on a stable run (one sub-step)" \
		"inf-score -q --method $1-flow --train train.ds --val val.ds c.$2 > s.flow && ds-view --header s.flow | grep -q '\"flow_steps\":1' && [ \"\$(ds-view --csv s.flow)\" = \"\$(ds-view --csv s.$1)\" ]"
done
# a planted unstable run: a net trained at a learning rate its batch Hessians
# at θ_T cannot take; the papers' walk grows, flow sub-steps keep it bounded
cnn-train -q --net conv:8:3:1,relu,conv:8:3:1,relu,pool,affine --batch 10 --lr 0.6 --epochs 1 \
	--seed 2 train.ds | theta-cache -q --keep final > c.sharp
inf-score --method sgd-last --train train.ds --val val.ds c.sharp 2> err.sharp > s.sharp
t_ok "an unstable walk warns, in one line, and names the remedy" \
	"grep -q 'inf-score: sgd-last: the u-walk is unstable (eta\*lambda = .*: the scores are dominated by the instability; use --method sgd-last-ref (docs/stability.md) or sgd-last-gn (bounded)' err.sharp && [ \$(grep -c unstable err.sharp) = 1 ]"
t_ok "an unstable walk's header says so (eta*lambda > 2 or |u| grew > 100x)" \
	"ds-view --header s.sharp | awk -F'\"eta_lambda\":' '{ split(\$2, a, \",\"); e = a[1] } { split(\$0, b, \"\\\"u_growth\\\":\"); split(b[2], c, \",\"); g = c[1] } END { exit !(e > 2 || g > 100) }'"
inf-score -q --method sgd-last-flow --train train.ds --val val.ds c.sharp > s.sharpflow 2>/dev/null
t_ok "sgd-last-flow takes several sub-steps there" \
	"ds-view --header s.sharpflow | grep -q '\"flow_steps\":[2-9]'"
inf-score --method sgd-last-gn --train train.ds --val val.ds c.sharp 2> err.gn > s.sharpgn
t_ok "sgd-last-gn stays bounded there (|u| never grows) and does not warn" \
	"ds-view --header s.sharpgn | sed 's/.*\"u_step_max\":\\([^,]*\\),.*/\\1/' | awk '{ exit !(\$1 <= 1) }' && ! grep -q unstable err.gn"
t_fail "--flow-steps only with a flow method" 2 "inf-score: --flow-steps goes with*" \
	"inf-score --method sgd-last --flow-steps 3 --train train.ds --val val.ds c.final"
t_fail "--flow-steps 0" 2 "inf-score: --flow-steps must be 1 to 100000*" \
	"inf-score --method sgd-last-flow --flow-steps 0 --train train.ds --val val.ds c.final"

# the cleansing loop as a pipeline
t_ok "top-neg | ds-remove | cnn-train | cnn-eval" \
	"top-neg -q -n 50 s.sgd | ds-remove -q train.ds | cnn-train -q --net mlp:16 --batch 20 --lr 0.1 --epochs 4 | cnn-eval -q val.ds | ds-view | grep -q '\"n\":200'"
t_eq "top-neg -n: the most negative, in order" "$(ds-view --csv s.sgd | tail -n +2 | sort -t, -k3,3g | head -5 | cut -d, -f1)" \
	"$(top-neg -q -n 5 --text s.sgd)"
t_eq "top-neg --frac 0.1 = 50" "50" "$(top-neg -q --frac 0.1 --text s.sgd | wc -l)"
t_ok "top-neg --below 0 takes exactly the negative ones" \
	"[ \$(top-neg -q --below 0 --text s.sgd | wc -l) = \$(ds-view --csv s.sgd | tail -n +2 | awk -F, '\$3 < 0' | wc -l) ]"
t_ok "top-neg --random is seeded and differs by seed" \
	"top-neg -q --random 50 --seed 1 s.sgd > r1 && top-neg -q --random 50 --seed 1 s.sgd | cmp - r1 && top-neg -q --random 50 --seed 2 s.sgd > r2; ! cmp -s r1 r2"
t_fail "top-neg: more than scored" 1 "top-neg: -n 501: only 500 examples scored" "top-neg -n 501 s.sgd"
t_fail "top-neg: two selections" 2 "top-neg: give exactly one of*" "top-neg -n 3 --frac 0.1 s.sgd"
t_fail "top-neg: a dataset is not scores" 1 "top-neg: train.ds: input is a 'dataset' stream, want 'scores'" "top-neg -n 3 train.ds"

# bad input
gen-data blobs 500 9 > other.ds
t_fail "cache from another training set" 1 "inf-score: stdin: made from another training set*" \
	"inf-score --method sgd-last --train other.ds --val val.ds < c.final"
head -c 5000 c.every-step > c.cut
t_fail "truncated cache" 1 "inf-score: c.cut: truncated stream*" "inf-score --method sgd --train train.ds --val val.ds c.cut"
t_fail "sgd needs every theta_t" 1 "inf-score: c.final: --method sgd needs every θ_t*" "inf-score --method sgd --train train.ds --val val.ds c.final"
t_fail "counterfactual needs the epoch start" 1 "inf-score: c.final: counterfactual replays*" "inf-score --method counterfactual --train train.ds --val val.ds c.final"
echo 9999 > far.txt
t_fail "--ids not in the training set" 1 "inf-score: far.txt: id 9999 is not in the training set" "inf-score --method sgd-last --ids far.txt --train train.ds --val val.ds c.final"
t_fail "a trace is not a cache" 1 "inf-score: run.tr: input is a 'trace' stream, want 'cache'" "inf-score --method sgd --train train.ds --val val.ds run.tr"
gen-data idx 20 12 12 1 im lb
ds-import -q --classes 10 idx im lb > val10.ds
t_fail "validation set of other classes" 1 "inf-score: val10.ds: validation examples *" "inf-score --method sgd-last --train train.ds --val val10.ds c.final"
t_ok "--device cpu gives the same scores" "inf-score -q --device cpu --method sgd --train train.ds --val val.ds c.every-step | cmp - s.sgd"
# the same bytes at any thread count: a convolutional net with batch-norm
# wide enough that its GEMMs are cut into column blocks the threads share
CNET=conv:16:3:1,bn,relu,pool,conv:16:3:1,relu,pool,affine
cnn-train -q --threads 2 --net $CNET --batch 20 --lr 0.05 --epochs 2 --snapshots every train.ds |
	theta-cache -q --keep every-step > c.conv
for meth in sgd-last-ref sgd; do
	t_ok "$meth: --threads 1 and --threads 2 give the same bytes" \
		"inf-score -q --threads 1 --method $meth --train train.ds --val val.ds c.conv > t1.$meth && inf-score -q --threads 2 --method $meth --train train.ds --val val.ds c.conv | cmp - t1.$meth"
done
t_fail "two inputs on stdin" 2 "inf-score: only one of the cache, --train and --val can come from stdin*" "inf-score --method sgd --train - --val val.ds < c.final"
t_ok "with no --method, inf-score runs the default, sgd-last: the papers' u step at theta_T" \
	"inf-score -q --train train.ds --val val.ds c.final > s.def && ds-view --header s.def | grep -q '\"method\":\"sgd-last\"' && ! ds-view --header s.def | grep -q '\"ref_u_scale\":true' && inf-score -q --method sgd-last --train train.ds --val val.ds c.final > s.lr && [ \"\$(ds-view --csv s.def)\" = \"\$(ds-view --csv s.lr)\" ] && inf-score -q --method sgd-last-ref --train train.ds --val val.ds c.final > s.ref && [ \"\$(ds-view --csv s.def)\" != \"\$(ds-view --csv s.ref)\" ]"
t_fail "unknown method" 2 "inf-score: unknown --method 'magic'*" "inf-score --method magic --train train.ds --val val.ds c.final"
t_fail "theta-cache: every-step needs step snapshots" 1 "theta-cache: stdin: --keep every-step needs a trace written with --snapshots every*" \
	"cnn-train -q --net linear --epochs 1 train.ds | theta-cache --keep every-step"
t_fail "theta-cache: more checkpoints than steps" 1 "theta-cache: checkpoints:26: more than the 25 traced steps" "theta-cache --keep checkpoints:26 run.tr"
t_fail "theta-cache: truncated trace" 1 "theta-cache: stdin: truncated stream*" "head -c 20000 run.tr | theta-cache"
t_tty "theta-cache refuses a terminal" "theta-cache run.tr"
t_tty "inf-score refuses a terminal" "inf-score --method sgd-last --train train.ds --val val.ds c.final"
t_done
