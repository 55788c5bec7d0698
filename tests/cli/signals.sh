# A tool killed while writing -o OUT (SIGINT, SIGTERM, SIGHUP, SIGPIPE) dies
# by that signal (exit status 128+N), leaves the old OUT as it was, and
# leaves no OUT.tmp.* behind (lib/util/util.c removes its pending temporary
# files, then re-raises). So does one that fails (die, exit 1).
. "$(dirname "$0")/lib.sh"

gen-data blobs 240 1 > train.ds
# a shell without job control starts background commands with SIGINT
# ignored, which the tools rightly leave ignored: give them the defaults
DFL="env --default-signal=INT,TERM,HUP,PIPE"

for sig in INT TERM HUP PIPE; do
	echo "old $sig" > OUT
	$DFL cnn-train -q --net linear --epochs 100000 -o OUT train.ds 2>err &
	pid=$!
	n=0   # wait until the temporary file exists: training has begun
	while [ $n -lt 200 ] && ! ls OUT.tmp.* >/dev/null 2>&1; do
		sleep 0.05; n=$((n + 1))
	done
	kill -s "$sig" $pid
	wait $pid
	rc=$?
	t_eq "SIG$sig: dies by the signal" "$sig" "$(kill -l "$rc")"
	t_eq "SIG$sig: the old OUT is intact" "old $sig" "$(cat OUT)"
	t_eq "SIG$sig: no temporary file left" "" "$(ls OUT.tmp.* 2>/dev/null)"
	t_eq "SIG$sig: nothing on stderr" "" "$(cat err)"
	rm -f OUT.tmp.*
done

# a signal ignored on entry stays ignored (nohup): the run finishes
echo old > OUT
t_ok "an ignored SIGHUP is left ignored" \
	"(trap '' HUP; cnn-train -q --net linear --epochs 200 -o OUT train.ds & p=\$!
	  n=0; while [ \$n -lt 200 ] && ! ls OUT.tmp.* >/dev/null 2>&1; do sleep 0.05; n=\$((n + 1)); done
	  kill -HUP \$p; wait \$p) && ds-view --header OUT | grep -q '\"kind\":\"trace\"'"

# die(): training diverges after OUT's temporary file was made
gen-data bad huge-values > huge.ds
echo old > OUT
t_fail "an error exit" 1 "cnn-train: training diverged*" \
	"cnn-train -q --net linear --batch 1 --epochs 1 -o OUT huge.ds"
t_eq "an error exit: the old OUT is intact" "old" "$(cat OUT)"
t_eq "an error exit: no temporary file left" "" "$(ls OUT.tmp.* 2>/dev/null)"
t_done
