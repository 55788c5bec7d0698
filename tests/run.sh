#!/bin/sh
# tests/run.sh — the whole CPU test suite (make test): unit tests, CLI tests,
# Python interoperability, and the CPU/GPU parity tests when built (they
# skip without a CUDA device). One line per check; the last line is
# "N passed, N failed, N skipped"; the exit status is 1 if anything failed.
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)
PATH="$ROOT/bin:$ROOT/bin/tests:$PATH"
export PATH ROOT
pass=0
fail=0
skip=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
VG=
[ -n "${VALGRIND:-}" ] && VG="valgrind -q --error-exitcode=99 --leak-check=full"

for t in bin/tests/test-*; do
	name=${t#bin/tests/}
	if $VG "$t" >"$log" 2>&1; then
		echo "ok - unit/$name"; pass=$((pass + 1))
	else
		echo "FAIL - unit/$name"; sed 's/^/    /' "$log"; fail=$((fail + 1))
	fi
done

# CPU/GPU parity (built when nvcc is found): SKIP without a CUDA device
for t in bin/tests/parity-*; do
	[ -x "$t" ] || continue
	if "$t" >"$log" 2>&1; then
		if grep -q '^SKIP' "$log"; then
			echo "ok - parity/${t#bin/tests/} # $(head -1 "$log")"; skip=$((skip + 1))
		else
			echo "ok - parity/${t#bin/tests/}"; pass=$((pass + 1))
		fi
	else
		echo "FAIL - parity/${t#bin/tests/}"; sed 's/^/    /' "$log"; fail=$((fail + 1))
	fi
done

for s in tests/cli/*.sh tests/py/*.sh; do
	[ "${s##*/}" = lib.sh ] && continue
	sh "$s" >"$log" 2>&1
	rc=$?
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^FAIL - ' "$log")
	sed "s#^\(ok\|FAIL\) - #\1 - ${s#tests/}: #" "$log"
	if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL - $s: exited $rc"; f=1
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
