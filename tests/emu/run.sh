#!/bin/sh
# tests/emu/run.sh — make test-emu: the GPU tests (tests/run-gpu.sh) on a
# build whose CUDA code runs on the CPU (tests/emu/cuda_emu.h, with cuDNN
# from tests/emu/cudnn_emu.cc), so they run where there is no GPU. The
# build is a copy of the sources in build/emu.
cd "$(dirname "$0")/../.." || exit 1
rm -rf build/emu && mkdir -p build/emu || exit 1
tar -cf - --exclude='*.o' --exclude='*.a' Makefile config.mk formats lib kernels tools tests |
	tar -xf - -C build/emu || exit 1
cd build/emu || exit 1
if ! make -j"$(nproc)" HAVE_CUDA=1 CUDA_EMU=1 all >build.log 2>&1; then
	cat build.log >&2
	echo "test-emu: the emulated build failed" >&2
	exit 1
fi
# first the emulation's own checks: it stops what a GPU would not forgive
out=$(bin/tests/emu-selftest); rc=$?
echo "$out" | sed 's/^/emu-selftest: /'
if [ $rc -ne 0 ] || [ "$(echo "$out" | grep -c '^ok')" -ne 10 ]; then
	echo "test-emu: the emulation's own checks failed" >&2
	exit 1
fi
# dlopen("libcudnn.so.9") finds the emulated one (tests/emu/cudnn_emu.cc)
LD_LIBRARY_PATH=$PWD/build/tests/emu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} sh tests/run-gpu.sh
