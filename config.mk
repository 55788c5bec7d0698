# config.mk — build settings; override on the command line (make HAVE_CUDA=0).

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread -fopenmp -I/usr/include/x86_64-linux-gnu/openblas-pthread
# msgpack-c, zstd and libpng are linked statically so the programs also run
# on machines that lack them (e.g. a GPU machine with only the CUDA stack).
LDLIBS  = -Wl,-Bstatic -lmsgpackc -lzstd -lpng16 -Wl,-Bdynamic -lopenblas -lz -lm -pthread -fopenmp

# oneDNN (libdnnl-dev, make deps): the CPU backend's convolutions
# (lib/nn/cpu_dnnl.c); HAVE_DNNL=0 forces im2col + OpenBLAS. Its header is
# looked for when a recipe runs, not when make reads this file, so that
# `make deps test` builds with what deps has just installed.
DNNL_H    ?= /usr/include/oneapi/dnnl/dnnl.h
HAVE_DNNL ?= $(shell test -f $(DNNL_H) && echo 1 || echo 0)

# CUDA: auto-detected from nvcc; HAVE_CUDA=0 forces a CPU-only build.
CUDA_HOME ?= /usr/local/cuda
NVCC      ?= $(shell command -v nvcc 2>/dev/null || ls $(CUDA_HOME)/bin/nvcc 2>/dev/null)
HAVE_CUDA ?= $(if $(NVCC),1,0)
# SASS for Ampere and Hopper, PTX for anything newer
NVCC_ARCH ?= -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
	     -gencode arch=compute_90,code=compute_90
NVCCFLAGS ?= -O3 -std=c++17 $(NVCC_ARCH) -Xcompiler -Wall,-Werror
