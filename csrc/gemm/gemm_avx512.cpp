// AVX-512 micro-kernels: 32 ZMM registers hold 12 x 2 accumulators and 2 B
// vectors (A is broadcast from memory inside each FMA). Wide tiles: 3 rows x 8
// vectors; dot tiles: 2 rows x 8 columns. Cache blocks (MC, KC, NC) chosen by
// `python bench/bench_matmul.py --sweep --threads 1` on an AMD EPYC (Zen 4,
// 32 KiB L1d, 1 MiB L2 per core): KC >= 512 wins by 5-15% over 256 (fewer
// passes over C; Zen 4 streams B from L2 fast enough), MC matters within noise.
#define FASTNN_ISA_NAMESPACE avx512
#define FASTNN_VECTOR_BYTES 64
#include "gemm/microkernel_impl.h"

namespace fastnn::avx512 {
GemmKernel<float> gemm_kernel_f32() { return make_kernel<float, 12, 2, 3, 8, 2, 8>(96, 1024, 4096); }
GemmKernel<double> gemm_kernel_f64() { return make_kernel<double, 12, 2, 3, 8, 2, 8>(480, 1024, 2048); }
double fma_peak_probe(int64_t iterations, float* sink) {
  *sink = fma_chains<float>(iterations);
  return double(iterations) * fma_chains_flops_per_iteration();
}
}  // namespace fastnn::avx512
