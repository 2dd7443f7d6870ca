// AVX2+FMA micro-kernels: 16 YMM registers hold 6 x 2 accumulators and 2 B
// vectors (A broadcast from memory). Wide tiles: 2 rows x 4 vectors; dot tiles:
// 1 row x 8 columns. Cache blocks from `FASTNN_ISA=avx2 python
// bench/bench_matmul.py --sweep --threads 1` on the same Zen 4 machine.
#define FASTNN_ISA_NAMESPACE avx2
#define FASTNN_VECTOR_BYTES 32
#include "gemm/microkernel_impl.h"

namespace fastnn::avx2 {
GemmKernel<float> gemm_kernel_f32() { return make_kernel<float, 6, 2, 2, 4, 1, 8>(96, 512, 4096); }
GemmKernel<double> gemm_kernel_f64() { return make_kernel<double, 6, 2, 2, 4, 1, 8>(480, 1024, 2048); }
double fma_peak_probe(int64_t iterations, float* sink) {
  *sink = fma_chains<float>(iterations);
  return double(iterations) * fma_chains_flops_per_iteration();
}
}  // namespace fastnn::avx2
