// LayerNorm's row loops, written once and compiled per ISA: included only by
// ops/layer_norm_rows_<isa>.cpp after they define FASTNN_ISA_NAMESPACE.
#include <cmath>
#include <cstdint>

#include "ops/layer_norm_rows.h"
#include "ops/reduce.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// Whether there is a weight (and a bias) is a template parameter: the loops
// stay branch-free, and each sum folds in vector registers.
template <typename T, bool kWeight, bool kBias>
void forward_rows_with(int64_t rows, int64_t n, const T* x, const T* weight, const T* bias, T eps, T* y, T* mean,
                       T* rstd) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* __restrict in = x + r * n;
    T* __restrict out = y + r * n;
    const T mu = sum_of_terms<T>(n, [&](int64_t c) { return in[c]; }) / T(n);
    // The variance of the centred values: no cancellation.
    const T var = sum_of_terms<T>(n, [&](int64_t c) { return (in[c] - mu) * (in[c] - mu); }) / T(n);
    const T inv = T(1) / std::sqrt(var + eps);
    for (int64_t c = 0; c < n; ++c) {
      const T normed = (in[c] - mu) * inv;
      out[c] = (kWeight ? normed * weight[c] : normed) + (kBias ? bias[c] : T(0));
    }
    mean[r] = mu;
    rstd[r] = inv;
  }
}

template <typename T>
void forward_rows(int64_t rows, int64_t n, const T* x, const T* weight, const T* bias, T eps, T* y, T* mean,
                  T* rstd) {
  auto rows_with = weight ? (bias ? forward_rows_with<T, true, true> : forward_rows_with<T, true, false>)
                          : (bias ? forward_rows_with<T, false, true> : forward_rows_with<T, false, false>);
  rows_with(rows, n, x, weight, bias, eps, y, mean, rstd);
}

// dx = rstd * (g - mean(g) - x_hat * mean(g * x_hat)), g = dy * weight; the
// parameters' sums from the same rows while they are in L1.
template <typename T, bool kWeight>
void backward_rows_with(int64_t rows, int64_t n, const T* x, const T* weight, const T* mean, const T* rstd,
                        const T* dy, T* dx, T* weight_sums, T* bias_sums) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* __restrict in = x + r * n;
    const T* __restrict grad = dy + r * n;
    const T mu = mean[r], inv = rstd[r];
    if (weight_sums)
      for (int64_t c = 0; c < n; ++c) weight_sums[c] += grad[c] * ((in[c] - mu) * inv);
    if (bias_sums)
      for (int64_t c = 0; c < n; ++c) bias_sums[c] += grad[c];
    if (!dx) continue;
    T* __restrict out = dx + r * n;
    auto g = [&](int64_t c) { return kWeight ? grad[c] * weight[c] : grad[c]; };
    const T mean_g = sum_of_terms<T>(n, g) / T(n);
    const T mean_gx = sum_of_terms<T>(n, [&](int64_t c) { return g(c) * ((in[c] - mu) * inv); }) / T(n);
    for (int64_t c = 0; c < n; ++c) out[c] = inv * (g(c) - mean_g - (in[c] - mu) * inv * mean_gx);
  }
}

template <typename T>
void backward_rows(int64_t rows, int64_t n, const T* x, const T* weight, const T* mean, const T* rstd, const T* dy,
                   T* dx, T* weight_sums, T* bias_sums) {
  (weight ? backward_rows_with<T, true> : backward_rows_with<T, false>)(rows, n, x, weight, mean, rstd, dy, dx,
                                                                       weight_sums, bias_sums);
}

template <typename T>
LayerNormKernels<T> kernels() {
  return {&forward_rows<T>, &backward_rows<T>};
}

}  // namespace

LayerNormKernels<float> layer_norm_rows_f32() { return kernels<float>(); }
LayerNormKernels<double> layer_norm_rows_f64() { return kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
