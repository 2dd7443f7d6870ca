// AVX-512 micro-kernels: 32 ZMM registers hold 12 x 2 accumulators, 2 B vectors
// and the broadcast A value. Block sizes: the first cut, swept in issue 3.
#define FASTNN_ISA_NAMESPACE avx512
#define FASTNN_VECTOR_BYTES 64
#include "gemm/microkernel_impl.h"

namespace fastnn::avx512 {
GemmKernel<float> gemm_kernel_f32() { return make_kernel<float, 12, 2, 3, 8, 2, 8>(480, 768, 4096); }
GemmKernel<double> gemm_kernel_f64() { return make_kernel<double, 12, 2, 3, 8, 2, 8>(240, 256, 2048); }
double fma_peak_probe(int64_t iterations, float* sink) {
  *sink = fma_chains<float>(iterations);
  return double(iterations) * fma_chains_flops_per_iteration();
}
}  // namespace fastnn::avx512
