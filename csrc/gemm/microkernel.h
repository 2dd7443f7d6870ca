#pragma once
// The contract between the GEMM driver and the per-ISA micro-kernels.
#include <cstdint>

namespace fastnn {

// c[0:m, 0:n] = alpha * (a_panel * b_panel) + beta * c, where a_panel holds kc
// columns of MR values and b_panel kc rows of NR values (both packed, 64-byte
// aligned, zero-padded). When beta == 0, c is not read.
template <typename T>
using MicroKernelFn = void (*)(int64_t kc, const T* a_panel, const T* b_panel, T* c,
                               int64_t ldc, int64_t m, int64_t n, T alpha, T beta);

// A micro-kernel with the block sizes the driver uses around it:
// mc x kc of packed A stays in L2, kc x NR of packed B in L1, kc x nc in L3.
template <typename T>
struct GemmKernel {
  MicroKernelFn<T> run;
  int mr, nr;
  int64_t mc, kc, nc;
};

namespace generic {
GemmKernel<float> gemm_kernel_f32();
GemmKernel<double> gemm_kernel_f64();
}
namespace avx2 {
GemmKernel<float> gemm_kernel_f32();
GemmKernel<double> gemm_kernel_f64();
}
namespace avx512 {
GemmKernel<float> gemm_kernel_f32();
GemmKernel<double> gemm_kernel_f64();
}

}  // namespace fastnn
