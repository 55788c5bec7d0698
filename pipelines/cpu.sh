#!/bin/sh
# pipelines/cpu.sh FILE COMMAND [ARG...] — run COMMAND, then write the CPU
# seconds it took (user + system of it and its children, every thread, as
# the shell's `times` counts them) to FILE, one number; exit as COMMAND.
# POSIX sh only: no GNU time needed. (times runs in this shell, not in a
# pipeline's subshell, which has no children to count.)
out=$1
shift
"$@" || exit
times > "$out.tmp" || exit
awk 'END { split($1, u, "m"); split($2, s, "m");
	printf "%.2f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$out.tmp" > "$out.cpu.tmp" &&
	mv "$out.cpu.tmp" "$out" && rm -f "$out.tmp"
