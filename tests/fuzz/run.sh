#!/bin/sh
# tests/fuzz/run.sh RUNS HARNESS... — run each libFuzzer harness of
# build/fuzz/ for RUNS executions, one at a time, over its corpus
# (build/fuzz/corpus/<h>, grown from the seeds of tests/fuzz/seeds.sh) with
# the msgpack dictionary; an input taking more than 1 s is a finding.
# Prints one line per harness and a summary; exit 1 on any finding (the
# crashing input is left in build/fuzz/ as crash-*, timeout-* or oom-*).
# FUZZ_DIR=DIR runs a copy of build/fuzz elsewhere (so a rebuild does not
# disturb a long run).
#
# Leak detection is off (per input and at exit): an input refused by die() inside glibc's own
# allocations (getline's buffer, scandir's list) leaves them, as the
# programs, which exit there, do; the library's are swept (fuzz.c).
# ASan returns freed memory at once (no quarantine: fuzz.c keeps large
# blocks poisoned instead) and clears shadow with memset, not madvise.
cd "$(dirname "$0")/../.." || exit 1
runs=$1
shift
F=${FUZZ_DIR:-build/fuzz}
sh tests/fuzz/seeds.sh "$F/seeds" || exit 1
export ASAN_OPTIONS=detect_leaks=0:quarantine_size_mb=0:malloc_context_size=5:clear_shadow_mmap_threshold=1073741824
bad=0
for h in "$@"; do
	mkdir -p "$F/corpus/$h"
	log=$F/$h.log
	nice -n 10 "$F/fuzz-$h" -runs="$runs" -timeout=1 -rss_limit_mb=2048 \
		-detect_leaks=0 -max_len=65536 -dict=tests/fuzz/msgpack.dict \
		-print_final_stats=1 -artifact_prefix="$F/$h-" \
		"$F/corpus/$h" "$F/seeds/$h" >"$log" 2>&1
	rc=$?
	done_line=$(grep '^Done ' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "fuzz-$h: ok, $done_line, $cov"
	else
		echo "fuzz-$h: FAIL (exit $rc): $(grep -m1 'ERROR\|SUMMARY\|deadly' "$log")"
		bad=1
	fi
done
exit $bad
