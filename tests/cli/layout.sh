# make check-layout (tests/layout.sh): the tree keeps lib/README.md's rule,
# and a copy of it with one violation planted at a time does not
. "$(dirname "$0")/lib.sh"
L=$ROOT/tests/layout.sh
t_ok "the tree keeps the rule" "sh $L $ROOT | grep -q '^layout: [0-9]* includes keep'"

mkdir t
cp -R "$ROOT/lib" "$ROOT/kernels" "$ROOT/tools" "$ROOT/formats" t/
# plant FILE LINE: LINE added after the first line of FILE (in the copy t/),
# undone by unplant
plant() { cp "t/$1" saved; sed -i "1a $2" "t/$1"; }
unplant() { cp saved "t/$1"; }

plant lib/stream/rec.c '#include "../nn/nn.h"'
t_fail "a stream including the network" 1 \
	'layout: lib/stream/rec.c: #include "../nn/nn.h": stream/ may not include nn/ (lib/README.md)' \
	"sh $L t"
unplant lib/stream/rec.c

plant lib/nn/engine.c '#include "../../kernels/cuda_check.h"'
t_fail "lib including kernels" 1 '*engine.c*: nn/ may not include kernels/*' "sh $L t"
unplant lib/nn/engine.c

plant kernels/nn_cuda.cu '#include "../lib/score/influence.h"'
t_fail "kernels including above the network" 1 '*nn_cuda.cu*: kernels/ may not include score/*' \
	"sh $L t"
unplant kernels/nn_cuda.cu

plant lib/nn/engine.h '#include "sgd.h"'
t_fail "a circle inside a room (engine, sgd)" 1 'layout: an include circle: *lib/nn/engine*' \
	"sh $L t"
unplant lib/nn/engine.h

plant lib/util/util.c '#include "nosuch.h"'
t_fail "an include of no file" 1 '*util.c: #include "nosuch.h": no such file' "sh $L t"
unplant lib/util/util.c

mkdir t/lib/misc && echo '#include "../util/util.h"' > t/lib/misc/x.c
t_fail "a room the table does not name" 1 "*lib/misc/x.c: room misc/ is not in*" "sh $L t"
rm -r t/lib/misc

: > t/lib/show/rand.c
t_fail "two sources of one name" 1 "*share a name: rand.c" "sh $L t"
rm t/lib/show/rand.c

# two objects that call each other, in the copy's build/libfilt.a
printf 'void g(void);\nvoid f(void) { g(); }\n' > a.c
printf 'void f(void);\nvoid g(void) { f(); }\n' > b.c
mkdir t/build && cc -c a.c b.c && ar rcs t/build/libfilt.a a.o b.o
t_fail "a call circle" 1 'layout: a call circle in build/libfilt.a: *' "sh $L t"
rm -r t/build

t_ok "the copy, undone, keeps the rule" "sh $L t"
t_done
