// Portable micro-kernels on 16-byte vectors (SSE2 on x86-64, NEON elsewhere,
// scalar code where the compiler has neither). Cache blocks: a conservative
// first cut, not swept (the fallback path).
#define FASTNN_ISA_NAMESPACE generic
#define FASTNN_VECTOR_BYTES 16
#include "gemm/microkernel_impl.h"

namespace fastnn::generic {
GemmKernel<float> gemm_kernel_f32() { return make_kernel<float, 6, 2, 2, 4, 1, 8>(240, 256, 2048); }
GemmKernel<double> gemm_kernel_f64() { return make_kernel<double, 6, 2, 2, 4, 1, 8>(240, 256, 2048); }
double fma_peak_probe(int64_t iterations, float* sink) {
  *sink = fma_chains<float>(iterations);
  return double(iterations) * fma_chains_flops_per_iteration();
}
}  // namespace fastnn::generic
