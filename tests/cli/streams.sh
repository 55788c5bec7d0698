# Bad input, the same for every reader: each case is one line on stderr
# naming the program and the problem, exit 1, nothing on stdout.
. "$(dirname "$0")/lib.sh"
: > none.txt

for tool in "ds-view --stats" "ds-split --val 1 --val-out v.ds" "ds-remove -i none.txt" \
	    "ds-noise --count 1 --flipped f.ds"; do
	prog=${tool%% *}
	t_fail "$prog: empty input" 1 "$prog: stdin: empty input (no stream header)" "$tool < /dev/null"
	gen-data bad good > good.ds
	t_ok "$prog: a good stream passes" "$tool < good.ds > o.ds"
	head -c 30 good.ds > cut.ds
	t_fail "$prog: truncated zstd frame" 1 "$prog: stdin: truncated stream: *" "$tool < cut.ds"
	for c in no-trailer:'truncated stream: no trailer after 1 records*' \
		 msgpack-cut:'truncated stream: record cut short' \
		 garbage:'corrupt record data (not msgpack)*' \
		 magic:'not a cleanse stream*' \
		 kind:"input is a 'scores' stream, want 'dataset'" \
		 version:'dataset stream version 99 not supported (want 1)*' \
		 shape:'example id 0: payload of 15 bytes, shape \[1, 4, 4\] u8 needs 16' \
		 huge-count:"bad header: record count 'n' 1099511627776 is absurd*" \
		 huge-tensor:'bad dataset header: shape \[100000, 1000, 250\] gives examples over 64 MiB' \
		 nan:'example id 0: NaN or infinity in payload' \
		 label:'example id 0: label 3 out of range (classes 3)' \
		 dup:'duplicate example id 7' \
		 count:'record count mismatch: trailer says 5, stream has 1' \
		 crc:'checksum mismatch: records corrupt*' \
		 n-mismatch:'header announces 5 records, stream has 1'; do
		case=${c%%:*}
		gen-data bad "$case" > bad.ds
		t_fail "$prog: $case" 1 "$prog: stdin: ${c#*:}" "$tool < bad.ds"
	done
	printf 'hello\n' > text.ds
	t_fail "$prog: not zstd" 1 "$prog: stdin: not a cleanse stream (input is not zstd-compressed)" "$tool < text.ds"
done

# a huge claimed record count must fail before anything large is allocated
gen-data bad huge-count > bad.ds
if [ -n "${SANITIZE:-}" ]; then   # ASan reserves terabytes of shadow memory
	echo "ok - huge count fails fast: SKIP under SANITIZE"
else
	t_ok "huge count fails fast under a 64 MiB address-space limit" \
		'(ulimit -v 65536; ds-split --val 1 --val-out v.ds < bad.ds 2>&1 | grep -q absurd)'
fi

# concatenated streams of the same dataset read as one; of different shapes, not
gen-data ds 20 1 > a.ds
ds-split -q --val 8 --val-out p1.ds --seed 3 < a.ds > p2.ds
t_eq "two parts of one dataset concatenate" "examples 20" "$(cat p1.ds p2.ds | ds-view --stats | head -1)"
t_fail "concatenation repeating ids" 1 "ds-view: stdin: duplicate example id *" 'cat a.ds p1.ds | ds-view --stats'
gen-data idx 3 4 4 1 im lb
ds-import -q idx im lb > other.ds
t_fail "concatenation of different shapes" 1 "ds-view: stdin: concatenated streams disagree on 'classes'" \
	'cat a.ds other.ds | ds-view --stats'
t_done
