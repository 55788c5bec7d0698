#!/bin/sh
# tests/run-gpu.sh — CPU/GPU parity tests (make test-gpu). Each prints SKIP
# and passes when no CUDA device is present. The network parity runs twice:
# with cuDNN convolutions (the default) and with im2col + cuBLAS
# (CLEANSE_CONV=gemm), so both GPU paths are held to the CPU.
cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0
run() { # label, command...
	label=$1; shift
	out=$("$@" 2>&1); rc=$?
	echo "$out" | sed "s|^|$label: |"
	if [ $rc -ne 0 ]; then fail=$((fail + 1))
	elif echo "$out" | grep -q '^SKIP'; then skip=$((skip + 1))
	else pass=$((pass + 1)); fi
}
for t in bin/tests/parity-*; do
	[ -x "$t" ] || { echo "no parity tests built (HAVE_CUDA=0?)"; exit 1; }
	run "${t#bin/tests/}" "$t"
done
run "parity-nn[gemm]" env CLEANSE_CONV=gemm bin/tests/parity-nn
for s in tests/gpu/*.sh; do
	[ -f "$s" ] && run "${s#tests/}" sh "$s"
done
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
