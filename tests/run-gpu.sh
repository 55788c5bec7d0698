#!/bin/sh
# tests/run-gpu.sh — CPU/GPU parity tests (make test-gpu). Each prints SKIP
# and passes when no CUDA device is present.
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0
for t in bin/tests/parity-*; do
	[ -x "$t" ] || { echo "no parity tests built (HAVE_CUDA=0?)"; exit 1; }
	out=$("$t" 2>&1); rc=$?
	echo "$out" | sed "s|^|${t#bin/tests/}: |"
	if [ $rc -ne 0 ]; then fail=$((fail + 1))
	elif echo "$out" | grep -q '^SKIP'; then skip=$((skip + 1))
	else pass=$((pass + 1)); fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
