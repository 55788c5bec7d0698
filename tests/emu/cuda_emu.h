/*
 * cuda_emu.h — the CUDA code of kernels/ run on the CPU, so that its logic
 * (every kernel's indexing, every launch, every cuBLAS call and which
 * buffer goes where) is checked against the CPU reference on machines
 * without a GPU (make test-emu). Force-included (g++ -x c++ -include) when
 * a .cu file is compiled as C++; the runtime is tests/emu/cuda_emu.cc.
 *
 * A launch runs its blocks one after another. The threads of a block run
 * one after another too, except in kernels launched with LAUNCH_SYNC, whose
 * threads meet at __syncthreads: those run as fibers that take turns at
 * each barrier. __shared__ becomes static, which is right when one block
 * runs at a time. Device memory is host memory that ends at a guard page
 * and starts filled with NaN; a pointer argument that is not device memory
 * stops the program. What this cannot show: real concurrency, the GPU's
 * arithmetic (FMA contraction, exp/log), cuBLAS's and cuDNN's own code,
 * and speed.
 */
#ifndef CUDA_EMU_H
#define CUDA_EMU_H

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <functional>
#include <tuple>
#include <type_traits>

#undef __global__
#undef __device__
#undef __shared__
#define __global__
#define __device__
#define __shared__ static

namespace emu {
extern uint3 thread_idx, block_idx;
extern dim3 block_dim, grid_dim;

/* runs body for every thread of the launch; sync: as fibers */
void run(dim3 grid, dim3 block, bool sync, const char *kernel, size_t arg_bytes,
	 const std::function<void()> &body);
/* stops the program unless p is NULL or device memory */
void check_arg(const char *kernel, int i, const void *p);
void syncthreads();

template <class... P> struct launcher {
	void (*f)(P...);
	dim3 grid, block;
	bool sync;
	const char *kernel;

	void operator()(P... a) const
	{
		std::tuple<P...> args(a...);
		int i = 0;
		(
			[&](const auto &v) {
				if constexpr (std::is_pointer_v<std::decay_t<decltype(v)>>)
					check_arg(kernel, i, (const void *)v);
				i++;
			}(a),
			...);
		run(grid, block, sync, kernel, sizeof args, [&] { std::apply(f, args); });
	}
};

template <class... P>
launcher<P...> launch(void (*f)(P...), dim3 grid, dim3 block, bool sync, const char *kernel)
{
	return launcher<P...>{ f, grid, block, sync, kernel };
}
} /* namespace emu */

#define threadIdx (emu::thread_idx)
#define blockIdx (emu::block_idx)
#define blockDim (emu::block_dim)
#define gridDim (emu::grid_dim)
#define __syncthreads() emu::syncthreads()
#define LAUNCH(k, grid, block) emu::launch(k, grid, block, false, #k)
#define LAUNCH_SYNC(k, grid, block) emu::launch(k, grid, block, true, #k)

#endif
