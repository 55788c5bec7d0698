# Numbers at the edges of their ranges: example ids take every uint64 in
# text as in ids streams; a scores stream's y and train_digest, which are
# kept in 32 bits, are refused when they do not fit; and traces and caches
# whose header or step records a replay cannot trust.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
H="$PY $ROOT/tests/py/hostile.py"
for s in scores-ok scores-y scores-digest; do
	$H $s > $s.zst || t_bad "hostile.py $s" "exit $?"
done
gen-data ds 20 1 > a.ds

MAX=18446744073709551615
t_ok "text ids up to 2^64 - 1" \
	"printf '%s\n%s\n' $MAX 18446744073709551609 | ds-remove -q -i - --missing m.txt a.ds > o.ds"
t_eq "text ids up to 2^64 - 1: read exactly" "$MAX 18446744073709551609" "$(paste -sd' ' m.txt)"
t_ok "an ids stream with 2^64 - 1" \
	"top-neg -q -n 2 scores-ok.zst > ids.zst && ds-remove -q -i ids.zst --missing ms.txt a.ds > o.ds"
t_eq "an ids stream with 2^64 - 1: read exactly" "$MAX" "$(paste -sd' ' ms.txt)"
t_fail "text id 2^64 is refused" 1 "ds-remove: stdin:2: not an example id: '18446744073709551616'" \
	"printf '5\n18446744073709551616\n' | ds-remove -i - a.ds"
t_fail "text id 10^20 is refused" 1 "ds-remove: stdin:1: not an example id: '100000000000000000000'" \
	"echo 100000000000000000000 | ds-remove -i - a.ds"

t_ok "scores: labels up to 65535 and ids up to 2^64 - 1" "top-neg -q -n 2 --text scores-ok.zst > t.txt"
t_eq "scores: most negative first" "0 $MAX" "$(paste -sd' ' t.txt)"
t_fail "scores: a label over 32 bits is refused" 1 \
	"top-neg: scores-y.zst: example id 0: label y 4294967297 out of range (at most 65535)" \
	"top-neg -n 1 --text scores-y.zst"
t_fail "scores: a train_digest over 32 bits is refused" 1 \
	"top-neg: scores-digest.zst: bad scores header: train_digest 4294967297 is not a 32-bit digest" \
	"top-neg -n 1 --text scores-digest.zst"

# traces and caches (lib/stream/trace.c): a header with nothing to train or no
# classes, and step records a replay cannot trust; each made from a good
# trace by tests/py/mutate.py, with an honest trailer
M="$PY $ROOT/tests/py/mutate.py"
gen-data blobs 25 1 > t.ds
gen-data blobs 10 2 > v.ds
cnn-train -q --net linear --batch 10 --epochs 3 --trace-epochs 1,2 t.ds > a.tr
theta-cache -q a.tr > a.c
while IFS='|' read -r name tool file op want; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2086
	$M $file $op > bad || { t_bad "$name" "mutate.py $op: exit $?"; continue; }
	case $tool in
	theta-cache) cmd="theta-cache -q bad" ;;
	cnn-eval) cmd="cnn-eval -q --trace bad v.ds" ;;
	*) cmd="inf-score -q --method $tool --train t.ds --val v.ds bad" ;;
	esac
	t_fail "$name" 1 "${cmd%% *}: bad: $want" "$cmd > /dev/null"
done <<'TABLE'
trace: classes 0|theta-cache|a.tr|hdr classes 0|bad trace header: 'classes' is 0
trace: batch 0|theta-cache|a.tr|hdr batch 0|bad trace header: 'batch' is 0
trace: epochs 0|cnn-eval|a.tr|hdr epochs 0|bad trace header: 'epochs' is 0
trace: train_n 0|theta-cache|a.tr|hdr train_n 0|bad trace header: 'train_n' is 0
trace: traced epochs out of order|theta-cache|a.tr|hdr trace_epochs [2,1]|bad trace header: 'trace_epochs' not increasing
trace: a NaN learning rate|theta-cache|a.tr|step lr nan|step 3: learning rate nan
trace: a negative learning rate|theta-cache|a.tr|step lr -0.5|step 3: learning rate -0.5
trace: ids of the wrong type|theta-cache|a.tr|step ids ["a","b","c","d","e","f","g","h","i","j"]|bad step record
trace: negative ids|theta-cache|a.tr|step ids [-1,2,3,4,5,6,7,8,9,10]|bad step record
trace: a short batch|theta-cache|a.tr|step ids [1,2,3]|bad step record
trace: the last step missing|theta-cache|a.tr|drop-step 5|5 step records for the 6 steps of the traced epochs
cache: a step missing (sgd-last)|sgd-last|a.c|drop-step 1|step record 1 is step 5 of epoch 1; want step 4 of epoch 1 (a step missing?)
cache: an id twice in one step (sgd-last)|sgd-last|a.c|dup-id|step 3: example id 24 twice in one batch
cache: an id twice in one step (tracin-last)|tracin-last|a.c|dup-id|step 3: example id 24 twice in one batch
cache: a step renumbered|tracin-last|a.c|step step 9|step record 0 is step 9 of epoch 1; want step 3 of epoch 1 (a step missing?)
TABLE
t_done
