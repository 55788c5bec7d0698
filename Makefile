# cleanse — top-level Makefile.
#   make            build the library (build/libfilt.a) and the programs into bin/
#   make test       unit, CLI and Python-interop tests (CPU only), and
#                   where nvcc is, test-emu
#   make test-gpu   CPU/GPU parity tests (SKIP without a CUDA device)
#   make test-emu   the same, the CUDA code run on the CPU (no device needed)
#   make check      test, plus test-gpu when built with CUDA
#   make data       fetch and verify MNIST, Fashion-MNIST and CIFAR-10 into data/
#   make demo       a real run on MNIST (see README)
#   make exp DATASET=mnist|fashion|cifar10 [VAR=...]  the accuracy-vs-removed
#                   and detection experiment (pipelines/experiment.mk; docs/results.md)
#   make crossval DATASET=mnist|fashion|cifar10 [N=2000 K=5 ...]  out-of-sample
#                   predictions by K-fold cross-validation and the label issues
#                   confident learning finds in them (pipelines/crossval.mk)
#   make bench      throughput figures, and cleanse against PyTorch eager on
#                   the CPU when python3-torch is installed (needs make data)
#   make bench-torch  install Debian's python3-torch (the baseline only), then
#                   the CPU comparison with PyTorch (bench/cpu.sh)
#   make bench-gpu  the paper's MNIST run on a GPU against PyTorch eager
#   make same-bytes OLD=DIR  CPU outputs of bin/ cmp'd with another build's
#   make deps       install the Debian packages the build needs
#   make install    programs and man pages under PREFIX (default /usr/local)
#   make fuzz       libFuzzer harnesses over every reader (tests/fuzz/),
#                   FUZZ_RUNS executions each (clang; not part of make test)
#   make help       these targets, one line each
include config.mk

# The version every program prints with --version and records in the
# header of every stream it writes (key "writer"): git describe, or
# CLEANSE_VERSION=... given to make. build/version.h is rewritten only when
# the string changes, so an unchanged tree rebuilds nothing.
CLEANSE_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
HASH := \#
VERSION_H := $(shell mkdir -p build && v='$(HASH)define CLEANSE_VERSION "$(CLEANSE_VERSION)"' && \
	{ [ "$$(cat build/version.h 2>/dev/null)" = "$$v" ] || echo "$$v" > build/version.h; } && echo build/version.h)

TOOLS    = ds-import ds-split ds-remove ds-noise ds-view ds-sheet cnn-train cnn-eval theta-cache inf-score grad-outlier top-neg hess-sample inf-update label-issues ds-relabel dyn-score
# lib/ is in rooms (lib/README.md); every build product goes to build/,
# the programs to bin/
LIB_SRC  = $(wildcard lib/*/*.c)
LIB_H    = $(wildcard lib/*/*.h)
LIB_OBJ  = $(LIB_SRC:%.c=build/%.o)
LIB      = build/libfilt.a
LIB_AR   = $(LIB_OBJ)
CU_SRC   = $(wildcard kernels/*.cu)
CU_OBJ   = $(CU_SRC:%.cu=build/%.o)
BINS     = $(TOOLS:%=bin/%)
UNIT     = $(patsubst tests/unit/%.c,bin/tests/%,$(wildcard tests/unit/test-*.c))
PARITY   = $(patsubst tests/parity/%.c,bin/tests/%,$(wildcard tests/parity/parity-*.c))
TESTBINS = $(UNIT) bin/tests/gen-data bin/tests/inject.so

ifeq ($(HAVE_CUDA),1)
LIB_AR  += $(CU_OBJ)
TESTBINS += $(PARITY)
CFLAGS  += -DHAVE_CUDA=1 -I$(CUDA_HOME)/include
ifeq ($(CUDA_EMU),1)
# make test-emu builds a copy this way: kernels/*.cu as C++, run on the CPU
# by tests/emu in place of the CUDA runtime, cuBLAS and cuDNN
NVCC      = $(CXX)
NVCCFLAGS = $(EMU_FLAGS) -x c++ -include tests/emu/cuda_emu.h
LIB_AR   += build/tests/emu/cuda_emu.o
LDLIBS   += -ldl -lstdc++
# the emulated libcudnn.so.9 calls back into the program
LDFLAGS  += -rdynamic
EMU_LIBS  = build/tests/emu/libcudnn.so.9 bin/tests/emu-selftest
else
# cuBLAS and cuDNN are opened at run time, by the first GPU engine
# (kernels/nn_cuda.cu): linked, cuBLAS made 220 MB resident in every program
LDLIBS  += -Wl,--as-needed -L$(CUDA_HOME)/lib64 -lcudart_static -ldl -lrt -lstdc++
endif
else
$(info ✗ nvcc not found, building CPU-only)
endif

# oneDNN: expanded when a recipe runs (config.mk); lib/libfilt.a's recipe
# says which path the build took, and build/dnnl.stamp rebuilds the objects
# that depend on it when that changes (libdnnl-dev installed or removed)
CFLAGS  += $(if $(filter 1,$(HAVE_DNNL)),-DHAVE_DNNL=1)
LDLIBS  += $(if $(filter 1,$(HAVE_DNNL)),-ldnnl)
DNNL_STAMP := $(shell mkdir -p build && v='$(HAVE_DNNL)' && \
	{ [ "$$(cat build/dnnl.stamp 2>/dev/null)" = "$$v" ] || echo "$$v" > build/dnnl.stamp; } && echo build/dnnl.stamp)
DNNL_MSG = $(if $(filter 1,$(HAVE_DNNL)),✓ oneDNN found: CPU convolutions on oneDNN,✗ building without oneDNN (libdnnl-dev: make deps; or HAVE_DNNL=0): CPU convolutions on im2col + OpenBLAS)

ifeq ($(SANITIZE),address)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif

.PHONY: all test test-gpu test-emu check check-cpu-only check-layout bench bench-torch bench-gpu data demo exp crossval deps clean same-bytes install help fuzz fuzz-build
all: $(BINS) $(TESTBINS) $(EMU_LIBS)

help:
	@sed -n '/^#   make /,/^include/s/^#   //p' Makefile

# programs into $(DESTDIR)$(PREFIX)/bin, man pages into .../share/man/man1,
# so `man inf-score` works once that directory is on MANPATH (it is for /usr/local)
PREFIX ?= /usr/local
install: $(BINS)
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	cp $(BINS) $(DESTDIR)$(PREFIX)/bin/
	cp $(TOOLS:%=tools/%.1) $(DESTDIR)$(PREFIX)/share/man/man1/

$(LIB): $(LIB_AR)
	$(AR) rcs $@ $^
	@echo "$(DNNL_MSG)" >&2

$(LIB_OBJ): build/%.o: %.c $(LIB_H) formats/formats.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<
build/lib/util/version.o: $(VERSION_H)
build/lib/nn/cpu.o build/lib/nn/cpu_dnnl.o: $(DNNL_STAMP)

$(CU_OBJ): build/%.o: %.cu kernels/*.h $(LIB_H)
	@mkdir -p $(@D)
	$(NVCC) $(NVCCFLAGS) -c -o $@ $<

EMU_FLAGS = -O2 -g -std=c++17 -Wall -Wextra -Werror -I$(CUDA_HOME)/include
build/tests/emu/%.o: tests/emu/%.cc tests/emu/cuda_emu.h
	@mkdir -p $(@D)
	$(CXX) $(EMU_FLAGS) -c -o $@ $<
build/tests/emu/libcudnn.so.9: tests/emu/cudnn_emu.cc
	@mkdir -p $(@D)
	$(CXX) $(EMU_FLAGS) -fPIC -shared -o $@ $<
EMU_SELF = build/kernels/nn_cuda.o build/tests/emu/cuda_emu.o build/lib/util/util.o build/lib/util/version.o
bin/tests/emu-selftest: tests/emu/selftest.cu kernels/cuda_check.h $(EMU_SELF)
	@mkdir -p bin/tests
	$(CXX) $(NVCCFLAGS) -o $@ $< -x none $(EMU_SELF) -ldl

bin/%: tools/%.c $(LIB) $(LIB_H)
	@mkdir -p bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

bin/tests/%: tests/unit/%.c tests/unit/check.h $(LIB)
	@mkdir -p bin/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# the finite-difference oracle runs the network (lib/nn/) compiled in double
NN_F64_SRC = lib/nn/net.c lib/nn/nn.c lib/nn/cpu.c
bin/tests/test-grad: tests/unit/test-grad.c $(NN_F64_SRC) $(LIB_H) tests/unit/check.h $(LIB)
	@mkdir -p bin/tests
	$(CC) $(CFLAGS) -DNN_F64 $(LDFLAGS) -o $@ $< $(NN_F64_SRC) $(LIB) $(LDLIBS)

# lib/score/spectrum.c against a dense Hessian and LAPACK, in double
bin/tests/test-spectrum: tests/unit/test-spectrum.c tests/unit/dense.h $(NN_F64_SRC) lib/score/spectrum.c $(LIB_H) tests/unit/check.h $(LIB)
	@mkdir -p bin/tests
	$(CC) $(CFLAGS) -DNN_F64 $(LDFLAGS) -o $@ $< $(NN_F64_SRC) lib/score/spectrum.c $(LIB) $(LDLIBS)

# lib/score/ihvp.c against a dense Hessian solved with LAPACK, in double
bin/tests/test-ihvp: tests/unit/test-ihvp.c tests/unit/dense.h $(NN_F64_SRC) lib/score/spectrum.c lib/score/ihvp.c $(LIB_H) tests/unit/check.h $(LIB)
	@mkdir -p bin/tests
	$(CC) $(CFLAGS) -DNN_F64 $(LDFLAGS) -o $@ $< $(NN_F64_SRC) lib/score/spectrum.c lib/score/ihvp.c $(LIB) $(LDLIBS)

# CPU/GPU parity: built wherever nvcc is, run by make test-gpu (SKIP without a GPU)
bin/tests/parity-%: tests/parity/parity-%.c $(LIB) $(LIB_H)
	@mkdir -p bin/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

# the LD_PRELOAD failure-injection shim of tests/cli/inject.sh: plain flags,
# never SANITIZE's (ASan must be the first library a program loads)
bin/tests/inject.so: tests/inject/inject.c
	@mkdir -p bin/tests
	$(CC) -O2 -g -Wall -Wextra -Werror -shared -fPIC -o $@ $< -ldl

bin/tests/gen-data: tests/gen-data.c $(LIB)
	@mkdir -p bin/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIB) $(LDLIBS)

test: all check-cpu-only check-layout
	@VALGRIND=$(VALGRIND) SANITIZE=$(SANITIZE) sh tests/run.sh
ifeq ($(HAVE_CUDA),1)
	@sh tests/emu/run.sh
endif

# where nvcc is found, the CPU-only build must still compile: check every
# source without HAVE_CUDA (syntax and warnings only, a few seconds); and
# where oneDNN is, the CPU backend without it
check-cpu-only:
	@for f in $(LIB_SRC) tools/*.c tests/gen-data.c; do \
		$(CC) $(filter-out -DHAVE_CUDA=1,$(CFLAGS)) -fsyntax-only $$f || \
		{ echo "CPU-only build broken: $$f" >&2; exit 1; }; done
	@$(CC) $(filter-out -DHAVE_DNNL=1,$(CFLAGS)) -fsyntax-only lib/nn/cpu.c || \
		{ echo "build without oneDNN broken: lib/nn/cpu.c" >&2; exit 1; }

# the rooms of lib/ and which may include which (lib/README.md), and no
# include circles (tests/layout.sh)
check-layout: $(LIB)
	@sh tests/layout.sh

test-gpu: all
	@sh tests/run-gpu.sh

# the same tests with the CUDA code run on the CPU (tests/emu), in build/emu
test-emu:
	@sh tests/emu/run.sh

check: test
ifeq ($(HAVE_CUDA),1)
	@$(MAKE) --no-print-directory test-gpu
endif

data: all
	@sh pipelines/data.sh

demo: data
	@$(MAKE) --no-print-directory -f pipelines/demo.mk
	@$(MAKE) --no-print-directory -f pipelines/cleanse.mk

exp: data
	@$(MAKE) --no-print-directory -f pipelines/experiment.mk

crossval: data
	@$(MAKE) --no-print-directory -f pipelines/crossval.mk

bench: data
	@sh bench/stream.sh
	@sh bench/train.sh
	@sh bench/cache.sh
	@sh bench/cpu.sh

# PyTorch is a baseline to compare with, never a dependency of the programs:
# installed here only, not by make deps
bench-torch: data
	@$(PY_TORCH_CHECK) || { \
		SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq python3-torch >/dev/null; }
	@BENCH_TORCH=1 sh bench/cpu.sh

PY_TORCH_CHECK = /usr/bin/python3 -c 'import torch' 2>/dev/null

# no dependency on all or data: on a GPU machine the programs and data/ may
# have been built and fetched elsewhere and copied in
bench-gpu:
	@sh bench/gpu.sh

deps:
	@sh pipelines/deps.sh

# a refactor must leave the CPU outputs byte-identical: the same reference
# runs with an older build's programs (OLD=its bin/) and with ours, cmp'd
same-bytes: all
	@test -n "$(OLD)" || { echo "make same-bytes OLD=/path/to/old/bin" >&2; exit 2; }
	@sh tests/ref/same-bytes.sh "$(OLD)" bin

# ------------------------------------------------------------------ fuzzing
# The library compiled again with clang, ASan and UBSan and -DCLEANSE_FUZZ
# (die() returns to the harness: lib/util/util.h), into build/fuzz/; one harness
# per reader. Seeds come from the programs in bin/ (tests/fuzz/seeds.sh).
FUZZ_CC    = clang
FUZZ       = rec ds ids trace cache scores preds dyn idx cifar cifar-png csv png
FUZZ_RUNS ?= 1000000
FUZZ_FLAGS = -O1 -g -std=c11 -D_GNU_SOURCE -DCLEANSE_FUZZ -Wall -Wextra -Wno-unknown-pragmas \
	     -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all \
	     -I/usr/include/x86_64-linux-gnu/openblas-pthread
FUZZ_WRAP  = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=fopen,--wrap=fdopen,--wrap=fmemopen,--wrap=tmpfile,--wrap=fclose
FUZZ_LIBS  = -Wl,-Bstatic -lmsgpackc -lzstd -lpng16 -Wl,-Bdynamic -lopenblas -lz -lm -pthread
FUZZ_OBJ   = $(LIB_SRC:%.c=build/fuzz/%.o)
FUZZ_BINS  = $(FUZZ:%=build/fuzz/fuzz-%)

$(FUZZ_OBJ): build/fuzz/%.o: %.c $(LIB_H) formats/formats.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<
build/fuzz/libfuzz.a: $(FUZZ_OBJ)
	$(AR) rcs $@ $^
build/fuzz/fuzz.o: tests/fuzz/fuzz.c tests/fuzz/fuzz.h lib/util/util.h
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<
FUZZ_DEPS = build/fuzz/fuzz.o build/fuzz/libfuzz.a tests/fuzz/fuzz.h
build/fuzz/fuzz-%: tests/fuzz/fuzz-%.c $(FUZZ_DEPS)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $(FUZZ_WRAP) -o $@ $< build/fuzz/fuzz.o build/fuzz/libfuzz.a $(FUZZ_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: all fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_RUNS) $(FUZZ)

clean:
	rm -rf bin build
