# ds-noise: exact counts, every flip changes the label, the side file is true
. "$(dirname "$0")/lib.sh"

gen-data ds 400 3 > all.ds
t_ok "flip 10%" 'ds-noise --frac 0.1 --seed 4 --flipped f.ds < all.ds > noisy.ds'
t_eq "40 flipped ids recorded" "40" "$(ds-view --csv f.ds | tail -n +2 | wc -l)"
ds-view --csv all.ds | tail -n +2 > a.csv
ds-view --csv noisy.ds | tail -n +2 > b.csv
t_eq "exactly 40 labels differ" "40" "$(paste -d, a.csv b.csv | awk -F, '$2 != $4' | wc -l)"
t_eq "ids and order unchanged" "$(cut -d, -f1 a.csv)" "$(cut -d, -f1 b.csv)"
t_eq "side file says from/to truly" \
	"$(paste -d, a.csv b.csv | awk -F, '$2 != $4 { print $1 "," $2 "," $4 }')" \
	"$(ds-view --csv f.ds | tail -n +2)"
t_ok "deterministic" 'ds-noise -q --frac 0.1 --seed 4 --flipped f2.ds < all.ds | cmp - noisy.ds && cmp f.ds f2.ds'
t_ok "removing the flipped ids leaves only clean labels" '
	ds-remove -q -i f.ds noisy.ds | ds-view --csv | tail -n +2 > c.csv
	[ $(wc -l < c.csv) = 360 ] && grep -Fxf c.csv a.csv | wc -l | grep -qx 360'
t_fail "count above the input" 1 'ds-noise: --count 401 is more than the 400 examples of the input' 'ds-noise --count 401 --flipped g.ds < all.ds'
t_ok "no side file left after a failure" '! ls g.ds* 2>/dev/null'
t_fail "needs --flipped" 2 'ds-noise: --flipped FILE is required*' 'ds-noise --count 3 < all.ds'
t_tty "refuses a terminal" 'ds-noise --count 3 --flipped f3.ds all.ds'
t_done
