# messages that name the fix, stdin from a terminal refused, where ids came
# from, progress on stderr, make install: what a new user runs into
. "$(dirname "$0")/lib.sh"

gen-data blobs 120 1 > train.ds
gen-data blobs 40 2 > val.ds
gen-data blobs 120 5 > other.ds
cnn-train -q --net mlp:8 --batch 20 --lr 0.1 --epochs 2 --snapshots every train.ds > run.tr
theta-cache -q --keep final run.tr > c.final
inf-score -q --method sgd-last --train train.ds --val val.ds c.final > s

# stdin a terminal (a pty from script(1)): refused at once with what to do
# stdin_tty NAME 'COMMAND' 'GLOB': exit 1 and a line matching GLOB, in time
stdin_tty() {
	timeout 30 script -qec "$2" /dev/null </dev/null >t.out 2>&1
	rc=$?
	if [ $rc -ne 1 ]; then t_bad "$1" "exit $rc, want 1: $(head -c 200 t.out)"
	else
		# shellcheck disable=SC2254
		case "$(tr -d '\r' < t.out)" in
		$3) t_pass "$1" ;;
		*) t_bad "$1" "'$(head -c 200 t.out)' does not match '$3'" ;;
		esac
	fi
}
stdin_tty "cnn-eval without --trace: says to pipe a trace or give --trace" 'cnn-eval val.ds > /dev/null' \
	'cnn-eval: stdin is a terminal: pipe a training trace in (cnn-train ... | cnn-eval DATASET), or give --trace TRACE'
stdin_tty "theta-cache" 'theta-cache > /dev/null' 'theta-cache: stdin is a terminal: pipe a training trace in*'
stdin_tty "inf-score" 'inf-score --train train.ds --val val.ds > /dev/null' 'inf-score: stdin is a terminal: pipe a cache in*'
stdin_tty "top-neg" 'top-neg -n 3 > /dev/null' 'top-neg: stdin is a terminal: pipe a scores stream in*'
stdin_tty "ds-remove (ids on stdin)" 'ds-remove train.ds > /dev/null' 'ds-remove: stdin is a terminal: pipe a stream in, or name the input file'
stdin_tty "ds-view" 'ds-view' 'ds-view: stdin is a terminal*'
stdin_tty "cnn-train" 'cnn-train > /dev/null' 'cnn-train: stdin is a terminal*'

# error messages that name the fix
t_fail "cnn-eval: a positional trace suggests --trace" 2 \
	'cnn-eval: give exactly one DATASET (a trace goes with --trace: cnn-eval --trace run.tr val.ds)*' 'cnn-eval run.tr val.ds'
t_fail "ds-remove: positional ids suggest -i" 2 \
	'ds-remove: at most one DATASET (the ids go with -i: ds-remove -i ids.txt train.ds)*' 'ds-remove ids.txt train.ds'
t_fail "an unknown --net lists the valid ones" 2 \
	"cnn-train: unknown network 'vgg': give conv6, hara-mnist, linear, mlp:H, or a comma-separated layer list of conv:C:K:P, bn, relu, pool, gap, affine\\[:N\\]*" \
	'cnn-train --net vgg train.ds'
t_fail "mlp says it needs its width" 2 "cnn-train: network 'mlp' needs its hidden width: mlp:H (e.g. mlp:64)*" 'cnn-train --net mlp train.ds'
t_fail "an unknown layer is named" 2 "cnn-train: unknown network 'relu,foo,affine' (at 'foo'): give *" 'cnn-train --net relu,foo,affine train.ds'
t_fail "stdin is named stdin, not -" 1 'top-neg: stdin: *' 'top-neg -n 3 - < val.ds'
t_ok "top-neg's note has one prefix" "top-neg -n 5 s 2>&1 >/dev/null | grep -qx 'top-neg: kept the most negative 5 of 120 examples (sgd-last scores)'"

# where ids came from
t_ok "top-neg's ids say where they came from" \
	"top-neg -q -n 10 s > ids && ds-view --header ids | grep -q '\"train_n\":120,\"train_digest\":[0-9]*,\"method\":\"sgd-last\",\"scores\":\"s\"'"
t_eq "... the scores' digest" "$(ds-view --header s | grep -o '"train_digest":[0-9]*')" "$(ds-view --header ids | grep -o '"train_digest":[0-9]*')"
t_ok "ds-remove: ids of this training set, no warning" "ds-remove -i ids train.ds 2>err > /dev/null && ! grep -q 'another training set' err"
t_ok "ds-remove: ids of another training set, warned" \
	"ds-remove -i ids other.ds 2>&1 >/dev/null | grep -q 'ds-remove: the ids were cut from sgd-last scores of another training set (120 examples, digest [0-9a-f]*; this one has 120, digest [0-9a-f]*)'"
t_fail "ds-remove --strict: refused" 1 'ds-remove: the ids were cut from sgd-last scores of another training set*' \
	'ds-remove -q --strict -i ids -o x.ds other.ds'
t_ok "... and no output left" '! ls x.ds* 2>/dev/null'
t_ok "ds-view --csv of ids is text ids ds-remove takes" \
	"ds-view --csv ids > ids.csv && ds-remove -q -i ids.csv train.ds | ds-view --stats | grep -qx 'examples 110'"

# progress: plain lines off a terminal (every update with the interval at
# 0), nothing with -q, an updating line on a terminal
t_ok "cnn-train: progress lines within an epoch" \
	"CLEANSE_PROGRESS_INTERVAL=0 cnn-train --net mlp:8 --batch 20 --epochs 1 train.ds 2>&1 >/dev/null | grep -q '^cnn-train: epoch 1/1 3/6 steps (50%), .* steps/s, .* left'"
theta-cache -q --keep every-step run.tr > c.every
t_ok "inf-score: progress of the walk" \
	"CLEANSE_PROGRESS_INTERVAL=0 inf-score --method sgd --train train.ds --val val.ds c.every 2>&1 >/dev/null | grep -q '^inf-score: u-walk 6/6 steps (100%)'"
t_ok "inf-score: progress of the counterfactual" \
	"CLEANSE_PROGRESS_INTERVAL=0 inf-score --method counterfactual --train train.ds --val val.ds c.every 2>&1 >/dev/null | grep -q '^inf-score: counterfactual 120/120 replays (100%)'"
t_ok "grad-outlier and theta-cache: progress" \
	"CLEANSE_PROGRESS_INTERVAL=0 grad-outlier --method loss --train train.ds c.final 2>&1 >/dev/null | grep -q '^grad-outlier: forward pass 120/120 examples' &&
	 CLEANSE_PROGRESS_INTERVAL=0 theta-cache --keep final run.tr 2>&1 >/dev/null | grep -q '^theta-cache: reading the trace'"
t_ok "-q: no progress" \
	"CLEANSE_PROGRESS_INTERVAL=0 cnn-train -q --net mlp:8 --batch 20 --epochs 1 train.ds 2>err >/dev/null && [ ! -s err ]"
t_ok "the same bytes with progress shown" \
	"CLEANSE_PROGRESS_INTERVAL=0 cnn-train --net mlp:8 --batch 20 --lr 0.1 --epochs 2 --snapshots every train.ds 2>/dev/null | cmp - run.tr"
t_ok "on a terminal: one line rewritten in place, then erased" \
	"CLEANSE_PROGRESS_INTERVAL=0 script -qec 'cnn-train --net mlp:8 --batch 20 --epochs 1 -o t.tr train.ds' /dev/null </dev/null > tty.out &&
	 grep -q \"\$(printf '\\r')cnn-train: epoch 1/1 6/6 steps (100%)\" tty.out && grep -q \"\$(printf '\\r\\033')\\[K\" tty.out"

# make install: the programs and their man pages
t_ok "make install PREFIX=..." "make -s -C '$ROOT' install PREFIX='$PWD/inst' > /dev/null 2>&1 && [ -x inst/bin/inf-score ] && [ -x inst/bin/ds-sheet ]"
t_ok "man inf-score finds the installed page" "MANPATH='$PWD/inst/share/man' man -w inf-score | grep -q 'inst/share/man/man1/inf-score.1'"
t_ok "make help lists the targets" "make -s -C '$ROOT' help | grep -q '^make install '"
t_done
