# every program: --help on stdout with exit 0, bad flags exit 2, a man page
. "$(dirname "$0")/lib.sh"
# the version the build wrote (build/version.h), not the fallback "unknown"
V=$(sed -n 's/^#define CLEANSE_VERSION "\(.*\)"$/\1/p' "$ROOT/build/version.h")
for t in ds-import ds-split ds-remove ds-noise ds-view ds-sheet cnn-train cnn-eval theta-cache inf-score grad-outlier top-neg hess-sample inf-update label-issues ds-relabel dyn-score; do
	t_ok "$t --help" "$t --help | grep -q '^usage: $t'"
	t_ok "$t --version" "$t --version | grep -qx '$t (cleanse) [^ ]*'"
	t_eq "$t --version is the build's" "$t (cleanse) $V" "$($t --version)"
	t_ok "$t --version wins over a missing argument" "$t -o x --version | grep -q '^$t (cleanse) '"
	t_ok "$t man page has SEE ALSO" "grep -q '^\.SH SEE ALSO' $ROOT/tools/$t.1"
	t_fail "$t bad flag" 2 "*" "$t --no-such-flag"
	t_ok "$t has a man page" "grep -q '^\\.TH $(echo $t | tr a-z A-Z) 1' $ROOT/tools/$t.1"
done
t_done
