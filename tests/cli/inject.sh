# Failure injection (tests/inject/inject.c, LD_PRELOAD): every program, on
# its output path, with the n-th write, fsync, fclose, rename or malloc
# failing. Each run must either succeed (the failure fell where it can be
# ignored, such as closing an input) with every output new, or exit 1 with
# one line on stderr, every previous output intact and no temporary file
# left. Never a crash, a hang, or a success that wrote nothing.
#
# The table below has one line per program: a name, its output files
# (written "old" before each run; "-" for a program that only writes to
# stdout, which then goes to a scratch file), and the command. A new
# program is one more line.
. "$(dirname "$0")/lib.sh"

if [ -n "${SANITIZE:-}" ]; then
	# ASan must be the first library loaded, and the shim's malloc would
	# bypass it: the injection runs only in the plain build
	echo "ok - inject: not run under SANITIZE=$SANITIZE (the shim and ASan both replace malloc)"
	exit 0
fi
SHIM=$ROOT/bin/tests/inject.so

gen-data blobs 40 1 > train.ds
gen-data blobs 20 2 > val.ds
gen-data idx 10 4 4 1 im lb
cnn-train -q --net linear --batch 10 --epochs 2 --snapshots every train.ds > run.tr
theta-cache -q --keep final run.tr > c.final
inf-score -q --method sgd-last --train train.ds --val val.ds c.final > s.sc
printf '1\n2\n999999\n' > drop.txt
cnn-eval -q --trace run.tr --predictions val.pred val.ds > /dev/null
label-issues -q --train val.ds val.pred > li.sc
cnn-train -q --net linear --batch 10 --epochs 2 --dynamics run.dyn --aum-fake 5 train.ds > /dev/null

# at most 8 values of n from 1..$1, evenly spread, the first and last included
pick() {
	awk -v m="$1" 'BEGIN { k = m < 8 ? m : 8; for (i = 0; i < k; i++) {
		n = k > 1 ? 1 + int(i * (m - 1) / (k - 1) + 0.5) : 1; if (n != last) print n; last = n } }'
}

while IFS='|' read -r name outs cmd; do
	[ -n "$name" ] || continue
	[ "$outs" = - ] && outs= && cmd="$cmd > stdout.txt"
	rm -f cnt
	# where the statically linked CUDA runtime begins (see inject.c)
	tool=${cmd%% *}
	INJECT_SKIP_FROM=$(nm -n "$ROOT/bin/$tool" 2>/dev/null | awk '$3 == "main" { m = $1 }
		m && $3 ~ /^libcudart_static_/ && $1 > m { print $1; exit }')
	export INJECT_SKIP_FROM
	# the shim goes to the program alone (env), not to sh or timeout
	eval "env INJECT_COUNT=cnt LD_PRELOAD=$SHIM $cmd" >/dev/null 2>t.err ||
		{ t_bad "$name: a clean run" "$(head -c 300 t.err)"; continue; }
	bad=0 runs=0
	for fn in write fsync fclose rename malloc; do
		total=$(awk -v f=$fn '{ for (i = 1; i < NF; i += 2) if ($i == f) print $(i + 1) }' cnt)
		for n in $(pick "$total"); do
			for o in $outs; do echo old > "$o"; done
			eval "timeout 60 env INJECT=$fn:$n LD_PRELOAD=$SHIM $cmd" >t.out 2>t.err
			rc=$?
			runs=$((runs + 1))
			why=
			if [ $rc -eq 0 ]; then
				for o in $outs; do
					echo old | cmp -s - "$o" && why="exit 0 but $o not written"
				done
			elif [ $rc -eq 1 ]; then
				[ "$(wc -l <t.err)" -eq 1 ] || why="stderr has $(wc -l <t.err) lines: $(head -c 200 t.err)"
				for o in $outs; do
					echo old | cmp -s - "$o" || why="$o replaced by a failed run"
				done
				ls ./*.tmp.* ./*.old.* >/dev/null 2>&1 && why="temporary file left: $(ls ./*.tmp.* ./*.old.* 2>/dev/null)"
			else
				why="exit $rc: $(head -c 200 t.err)"
			fi
			if [ -n "$why" ]; then
				t_bad "$name: $fn:$n" "$why"
				bad=1
				rm -f ./*.tmp.* ./*.old.*
			fi
		done
	done
	[ $bad -eq 0 ] && t_pass "$name: $runs injected failures, each a clean exit"
done <<'TABLE'
ds-import|OUT|ds-import -q -o OUT idx im lb
ds-split|OUT V|ds-split -q --val 5 --val-out V -o OUT train.ds
ds-remove|OUT M|ds-remove -q -i drop.txt --missing M -o OUT train.ds
ds-noise|OUT F|ds-noise -q --frac 0.2 --flipped F -o OUT train.ds
ds-view|-|ds-view train.ds
cnn-train|OUT|cnn-train -q --net linear --batch 10 --epochs 1 -o OUT train.ds
cnn-eval|OUT P|cnn-eval -q --trace run.tr --predictions P -o OUT val.ds
theta-cache|OUT|theta-cache -q --keep every-step -o OUT run.tr
inf-score|OUT C|inf-score -q --method sgd-last --train train.ds --val val.ds -o OUT --csv C c.final
grad-outlier|OUT C|grad-outlier -q --method oga-l2 --train train.ds -o OUT --csv C c.final
top-neg|OUT|top-neg -q -n 3 -o OUT s.sc
ds-sheet|OUT|ds-sheet -q --train train.ds -k 5 -o OUT s.sc
hess-sample|OUT|hess-sample -q --by features -k 5 --seed 1 --train train.ds -o OUT c.final
inf-update|OUT|inf-update -q --class 1 --curvature gn --hessian-size 10 --train train.ds -o OUT c.final
label-issues|OUT|label-issues -q --train val.ds -o OUT val.pred
ds-relabel|OUT C|ds-relabel -q --changed C -o OUT val.ds li.sc
cnn-train --dynamics|OUT D|cnn-train -q --net linear --batch 10 --epochs 2 --dynamics D -o OUT train.ds
dyn-score|OUT|dyn-score -q --method aum -o OUT run.dyn
TABLE
t_done
