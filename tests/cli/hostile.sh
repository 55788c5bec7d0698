# Hostile input to the record reader (lib/stream/rec.c): tiny streams announcing or
# holding huge objects. Each must be refused (or, when valid, read) in time
# linear in its bytes, before anything is reserved for what it announces.
# The shapes come from tests/py/hostile.py. Every run is held to 10 s of CPU
# (ulimit -t) and 60 s of wall clock, and where a fix bounds memory, to a
# 400 MB address space (not under SANITIZE: ASan reserves terabytes).
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
H="$PY $ROOT/tests/py/hostile.py"
LIM='ulimit -t 10;'
MEM='ulimit -v 400000;'
[ -n "${SANITIZE:-}" ] && MEM=

for s in nil-array big-bin bin-claim deep-32 deep-33 ints; do
	$H $s > $s.zst || t_bad "hostile.py $s" "exit $?"
done

# 2 KB of zstd, 64 MiB of msgpack: {"a": [nil] * 2^26}. It was parsed again
# from its first byte at each 128 KiB that arrived (33 s), then took 1.6 GB.
t_fail "an array of 2^26 nils is refused at once" 1 \
	"ds-view: nil-array.zst: object of more than 33554432 values (corrupt input?)" \
	"$LIM $MEM timeout 60 ds-view -n 1 nil-array.zst > /dev/null"
t_fail "an array of 2^26 nils is refused at once, even with memory to spare" 1 \
	"ds-view: nil-array.zst: object of more than 33554432 values (corrupt input?)" \
	"$LIM timeout 60 ds-view -n 1 nil-array.zst > /dev/null"
# 33 KB of zstd, a 1 GiB bin: it was decompressed into a growing buffer
# (1 GB, seconds) before being refused
t_fail "a 1 GiB bin is refused before it is read" 1 \
	"ds-view: big-bin.zst: object larger than 1024 MiB (corrupt input?)" \
	"$LIM $MEM timeout 60 ds-view -n 1 big-bin.zst > /dev/null"
# 512 MiB announced, 1 KiB there: nothing is reserved for what never came
t_fail "a bin announced but absent is a truncation" 1 \
	"ds-view: bin-claim.zst: truncated stream: record cut short" \
	"$LIM $MEM timeout 60 ds-view -n 1 bin-claim.zst > /dev/null"
# 11 bytes: a zstd frame header asking for a 128 MiB window (zstd's own
# limit), which the decoder reserved at once (found by make fuzz: 0.5 s per
# input under ASan); our streams never need more than 8 MiB
printf '\050\265\057\375\200\210\062\200\253\200\200' > win.zst
t_fail "a zstd window over 16 MiB is refused before it is reserved" 1 \
	"ds-view: win.zst: zstd frame needs a window over 16 MiB (compressed with --long or --ultra?)" \
	"$LIM $MEM timeout 60 ds-view win.zst > /dev/null"
# a legacy zstd frame (v0.7 magic) after a good one: libzstd may decode
# the old formats, which ignore the window limit (found by make fuzz: a
# 48-byte input took over 1 s under ASan); only today's frames are read
gen-data ds 3 1 > good.ds
{ cat good.ds; printf '\047\265\057\375\000\210\150\141\160\145'; } > legacy.zst
t_fail "a legacy zstd frame is refused" 1 \
	"ds-view: legacy.zst: corrupt zstd data: not a zstd frame (or one of a legacy format)" \
	"$LIM $MEM timeout 60 ds-view legacy.zst > /dev/null"
# msgpack-c's own limit on nesting (MSGPACK_EMBED_STACK_SIZE), unchanged
t_ok "32 containers deep is read" "$LIM timeout 60 ds-view deep-32.zst | grep -q '\\[1\\]\\]'"
t_fail "33 containers deep is refused" 1 \
	"ds-view: deep-33.zst: corrupt record data (an object claims more memory than there is)" \
	"$LIM timeout 60 ds-view deep-33.zst > /dev/null"
# valid: one record of 2 million ids (18 MB), arriving 4 KiB at a time; it
# was parsed again from its first id at each 4 KiB (over a minute)
t_ok "a 2-million-id array is read in linear time" \
	"$LIM $MEM timeout 60 ds-view -n 1 ints.zst > ints.json"
t_eq "all 2 million ids, in order: first, count, last" "1099511627776 2000000 1099513627775" \
	"$(sed -n 2p ints.json | tr -d '{}[]"skip:' | tr ',' '\n' | sed -n '1p;$=;$p' | paste -sd' ')"
t_done
