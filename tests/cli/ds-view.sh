# ds-view: JSON lines, CSV, stats, header; it reads any kind
. "$(dirname "$0")/lib.sh"

gen-data ds 4 1 > a.ds
t_eq "JSON lines: header, 4 records, trailer" "6" "$(ds-view a.ds | wc -l)"
t_eq "header line" '{"magic":"cleanse","kind":"dataset","version":1,"writer":"gen-data VERSION","shape":[1,4,4],"dtype":"u8","classes":3,"source":"gen-data","n":4}' "$(ds-view a.ds | head -1 | sed 's/"gen-data [^"]*"/"gen-data VERSION"/')"
t_eq "the writer is the program and its --version" "\"writer\":\"gen-data $(ds-view --version | sed 's/.* //')\"" \
	"$(ds-view --header a.ds | grep -o '"writer":"[^"]*"')"
t_ok "records summarise payloads" 'ds-view a.ds | sed -n 2p | grep -Eq "^\{\"id\":0,\"y\":[0-2],\"x\":\{\"bin\":16,\"crc32\":[0-9]+\}\}$"'
t_eq "trailer line" '{"end":"cleanse","count":4}' "$(ds-view a.ds | tail -1)"
t_eq "CSV header" "id,y" "$(ds-view --csv a.ds | head -1)"
t_eq "-n limits records" "3" "$(ds-view -n 1 a.ds | wc -l)"
ds-noise -q --count 2 --flipped f.ds < a.ds > /dev/null
t_eq "reads an ids stream too" "id,from,to" "$(ds-view --csv f.ds | head -1)"
gen-data ds 4 1 f32 > f.ds
t_ok "f32 dataset stats" 'ds-view --stats f.ds | grep -qx "dtype f32"'
t_fail "ids stream is not a dataset for --stats" 1 "ds-view: f.ds: input is a 'ids' stream, want 'dataset'" \
	'ds-noise -q --count 2 --flipped f.ds < a.ds > /dev/null; ds-view --stats f.ds'
t_fail "two files" 2 'ds-view: at most one FILE*' 'ds-view a b'
t_fail "write error on stdout" 1 'ds-view: write error on stdout: No space left on device' 'ds-view a.ds > /dev/full'
t_done
