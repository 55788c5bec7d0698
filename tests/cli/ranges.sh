# Numbers at the edges of their ranges: example ids take every uint64 in
# text as in ids streams; a scores stream's y and train_digest, which are
# kept in 32 bits, are refused when they do not fit.
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
t_done
