#include "ops/layer_norm.h"

#include <algorithm>

#include "core/cpu.h"
#include "core/parallel.h"
#include "ops/layer_norm_rows.h"

namespace fastnn {
namespace {

constexpr int64_t kParallelMinElements = 1 << 14;

template <typename T>
LayerNormKernels<T> rows_for(Isa isa) {
  return FASTNN_ISA_TABLE(T, isa, layer_norm_rows);
}

}  // namespace

template <typename T>
void layer_norm_forward(int64_t rows, int64_t n, const T* x, const T* weight, const T* bias, T eps, T* y, T* mean,
                        T* rstd) {
  const auto kernels = rows_for<T>(active_isa());
  parallel_ranges(rows, n, kParallelMinElements, [&](int64_t first, int64_t last) {
    kernels.forward(last - first, n, x + first * n, weight, bias, eps, y + first * n, mean + first, rstd + first);
  });
}

// dx split by rows; dweight and dbias by blocks of columns, each summed over
// every row in order: the same bits on any thread count.
template <typename T>
void layer_norm_backward(int64_t rows, int64_t n, const T* x, const T* weight, const T* mean, const T* rstd,
                         const T* dy, T* dx, T* dweight, T* dbias) {
  const auto kernels = rows_for<T>(active_isa());
  if (dx)
    parallel_ranges(rows, n, kParallelMinElements, [&](int64_t first, int64_t last) {
      kernels.backward(last - first, n, x + first * n, weight, mean + first, rstd + first, dy + first * n,
                       dx + first * n);
    });
  if (!dweight && !dbias) return;
  const int64_t blocks = (n + kLayerNormColumnBlock - 1) / kLayerNormColumnBlock;
  parallel_ranges(blocks, rows * kLayerNormColumnBlock, kParallelMinElements, [&](int64_t first, int64_t last) {
    for (int64_t b = first; b < last; ++b)
      kernels.parameter_grads(rows, n, b * kLayerNormColumnBlock, std::min(n, (b + 1) * kLayerNormColumnBlock), x,
                              mean, rstd, dy, dweight, dbias);
  });
}

template void layer_norm_forward<float>(int64_t, int64_t, const float*, const float*, const float*, float, float*,
                                        float*, float*);
template void layer_norm_forward<double>(int64_t, int64_t, const double*, const double*, const double*, double,
                                         double*, double*, double*);
template void layer_norm_backward<float>(int64_t, int64_t, const float*, const float*, const float*, const float*,
                                         const float*, float*, float*, float*);
template void layer_norm_backward<double>(int64_t, int64_t, const double*, const double*, const double*,
                                          const double*, const double*, double*, double*, double*);

}  // namespace fastnn
