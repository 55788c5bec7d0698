#!/bin/sh
# tests/layout.sh [DIR] — make check-layout: the rule lib/README.md writes
# down, checked over the #include "..." lines of lib/, kernels/ and tools/
# of DIR (default: this repository):
#
#   - every include names a file that is there, in a room the including
#     room may include: the "may include" column of lib/README.md's table
#     (a room may always include itself);
#   - no include circle: the modules of lib/ and kernels/ (x.c with x.h),
#     joined by their includes, sort (tsort) without a loop; nor, where
#     build/libfilt.a is built, a call circle between its objects;
#   - no two sources of lib/ share a name (the library's archive would keep
#     one of them).
#
# Prints one line per broken rule on stderr and exits 1, or one line on
# stdout and exits 0. tests/cli/layout.sh plants violations in a copy to
# see it fail.
set -u
export LC_ALL=C
cd "${1:-$(dirname "$0")/..}" || exit 2
[ -f lib/README.md ] || { echo "layout: no lib/README.md" >&2; exit 2; }

# the table: "| `room/` | what it holds | may include |" → "room inc inc ..."
rule=$(awk -F'|' '/^\| *`[a-z_]+\/` *\|/ {
	r = $2; gsub(/[ `\/]/, "", r); line = r
	s = $4
	while (match(s, /`[a-z_]+\//)) {
		line = line " " substr(s, RSTART + 1, RLENGTH - 2)
		s = substr(s, RSTART + RLENGTH)
	}
	print line }' lib/README.md)
[ -n "$rule" ] || { echo "layout: no rooms in lib/README.md's table" >&2; exit 2; }

# room of a path: lib/ROOM/... → ROOM, else its first directory
room() {
	case $1 in
	lib/*/*) r=${1#lib/}; echo "${r%%/*}" ;;
	*/*) echo "${1%%/*}" ;;
	*) echo . ;;
	esac
}

bad=0
n=0
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
for f in $(find lib kernels tools -type f \( -name '*.c' -o -name '*.h' -o -name '*.cu' \) | sort); do
	from=$(room "$f")
	may=$(echo "$rule" | awk -v r="$from" '$1 == r')
	if [ -z "$may" ]; then
		echo "layout: $f: room $from/ is not in lib/README.md's table" >&2
		bad=1
		continue
	fi
	for inc in $(sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f"); do
		n=$((n + 1))
		to=$(realpath -m --relative-to=. "$(dirname "$f")/$inc")
		if [ ! -f "$to" ] && [ "$to" != build/version.h ]; then
			echo "layout: $f: #include \"$inc\": no such file" >&2
			bad=1
			continue
		fi
		r=$(room "$to")
		case " $may " in
		*" $r "*) ;;
		*)
			echo "layout: $f: #include \"$inc\": $from/ may not include $r/ (lib/README.md)" >&2
			bad=1
			;;
		esac
		case $f in
		lib/* | kernels/*) echo "${f%.*} ${to%.*}" >>"$edges" ;;
		esac
	done
done
if ! awk '$1 != $2' "$edges" | tsort >/dev/null 2>"$edges.loop"; then
	echo "layout: an include circle: $(grep -v 'input contains a loop' "$edges.loop" |
		sed 's/^tsort: //' | tr '\n' ' ')" >&2
	bad=1
fi
rm -f "$edges.loop"
# the same over calls, where the library is built: an object that uses a
# symbol another defines points at it (a function declared in one module's
# header but defined in another's would hide a circle from the includes)
if [ -f build/libfilt.a ]; then
	nm -A build/libfilt.a 2>/dev/null | awk '
		{ n = split($1, p, ":"); m = p[n - 1]; sub(/\.o$/, "", m) }
		$(NF - 1) == "U" { use[m " " $NF] = 1; next }
		$(NF - 1) ~ /^[TDBRCVW]$/ { def[$NF] = m }
		END { for (k in use) { split(k, u, " ")
			if ((u[2] in def) && def[u[2]] != u[1]) print u[1], def[u[2]] } }' |
		sort -u >"$edges"
	if ! tsort "$edges" >/dev/null 2>"$edges.loop"; then
		echo "layout: a call circle in build/libfilt.a: $(grep -v 'input contains a loop' \
			"$edges.loop" | sed 's/^tsort: //' | tr '\n' ' ')" >&2
		bad=1
	fi
	rm -f "$edges.loop"
fi
dup=$(find lib -name '*.c' | sed 's|.*/||' | sort | uniq -d)
if [ -n "$dup" ]; then
	echo "layout: sources of lib/ that share a name: $dup" >&2
	bad=1
fi
[ $bad -eq 0 ] || exit 1
echo "layout: $n includes keep lib/README.md's rule, no circles$([ -f build/libfilt.a ] || echo ' (calls not checked: no build/libfilt.a)')"
