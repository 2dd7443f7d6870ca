#include "ops/layer_norm.h"

#include <algorithm>
#include <utility>
#include <vector>

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

// Rows in fixed chunks: each chunk's dweight and dbias partial sums come from
// the pass that computes its dx, then the chunks' partials are added in chunk
// order. The chunks do not depend on the thread count, so neither do the bits.
template <typename T>
void layer_norm_backward(int64_t rows, int64_t n, const T* x, const T* weight, const T* mean, const T* rstd,
                         const T* dy, T* dx, T* dweight, T* dbias) {
  constexpr int64_t kChunkRows = 64;
  const auto kernels = rows_for<T>(active_isa());
  const int64_t chunks = (rows + kChunkRows - 1) / kChunkRows;
  std::vector<T> weight_partials(dweight ? chunks * n : 0), bias_partials(dbias ? chunks * n : 0);
  parallel_ranges(chunks, kChunkRows * n, kParallelMinElements, [&](int64_t first, int64_t last) {
    for (int64_t chunk = first; chunk < last; ++chunk) {
      const int64_t r0 = chunk * kChunkRows, count = std::min(kChunkRows, rows - r0);
      kernels.backward(count, n, x + r0 * n, weight, mean + r0, rstd + r0, dy + r0 * n, dx ? dx + r0 * n : nullptr,
                       dweight ? weight_partials.data() + chunk * n : nullptr,
                       dbias ? bias_partials.data() + chunk * n : nullptr);
    }
  });
  for (auto [sums, partials] : {std::pair{dweight, weight_partials.data()}, std::pair{dbias, bias_partials.data()}}) {
    if (!sums) continue;
    std::fill(sums, sums + n, T(0));
    for (int64_t chunk = 0; chunk < chunks; ++chunk)
      for (int64_t c = 0; c < n; ++c) sums[c] += partials[chunk * n + c];
  }
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
