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

// Each ISA file defines these in its own namespace. fma_peak_probe runs
// `iterations` of float FMA chains on one thread and returns the FLOPs done
// (writing a checksum to *sink).
#define FASTNN_DECLARE_ISA(ns)                                  \
  namespace ns {                                                \
  GemmKernel<float> gemm_kernel_f32();                          \
  GemmKernel<double> gemm_kernel_f64();                         \
  double fma_peak_probe(int64_t iterations, float* sink);       \
  }
FASTNN_DECLARE_ISA(generic)
FASTNN_DECLARE_ISA(avx2)
FASTNN_DECLARE_ISA(avx512)
#undef FASTNN_DECLARE_ISA

// float32 FMA GFLOP/s of the active ISA on `threads` threads, measured.
double measure_fma_peak_gflops(int threads);

}  // namespace fastnn
