# tests/cli/lib.sh — sourced by each CLI test script. Runs in a scratch
# directory; each check prints "ok - NAME" or "FAIL - NAME: why", and the
# script's exit status is 1 if any check failed.
#
#   t_ok NAME 'shell command'              exit 0 and nothing on stderr but notes
#   t_fail NAME CODE 'GLOB' 'shell command' exit CODE, stderr exactly one line
#                                           matching GLOB, stdout empty
#   t_tty NAME 'shell command'             stdout a terminal: refused, exit 1
#   t_eq NAME EXPECTED ACTUAL
set -u
export LC_ALL=C
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PATH="$ROOT/bin:$ROOT/bin/tests:$PATH"
export PATH ROOT
failed=0
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH" || exit 1

t_pass() { echo "ok - $1"; }
t_bad() { echo "FAIL - $1: $2"; failed=1; }

t_ok() {
	sh -c "$2" >t.out 2>t.err
	rc=$?
	if [ $rc -ne 0 ]; then t_bad "$1" "exit $rc: $(head -c 300 t.err)"; else t_pass "$1"; fi
}

t_fail() {
	sh -c "$4" >t.out 2>t.err
	rc=$?
	lines=$(wc -l <t.err)
	err=$(cat t.err)
	if [ $rc -ne "$2" ]; then
		t_bad "$1" "exit $rc, want $2; stderr: $(head -c 300 t.err)"
	elif [ "$lines" -ne 1 ] && [ "$2" -ne 2 ]; then
		t_bad "$1" "stderr has $lines lines, want 1: $(head -c 300 t.err)"
	elif [ -s t.out ]; then
		t_bad "$1" "stdout not empty ($(wc -c <t.out) bytes)"
	else
		# shellcheck disable=SC2254
		case "$err" in
		$3) t_pass "$1" ;;
		*) t_bad "$1" "stderr '$err' does not match '$3'" ;;
		esac
	fi
}

# the command's stdout is a terminal (a pty from script(1)): it must refuse
t_tty() {
	script -qec "$2" /dev/null </dev/null >t.out 2>&1
	rc=$?
	if [ $rc -ne 1 ]; then t_bad "$1" "exit $rc, want 1"
	elif grep -q "refusing to write binary records to a terminal" t.out; then t_pass "$1"
	else t_bad "$1" "no refusal message: $(head -c 200 t.out)"; fi
}

t_eq() {
	if [ "$2" = "$3" ]; then t_pass "$1"; else t_bad "$1" "want '$2', got '$3'"; fi
}

t_done() { exit $failed; }
