#include "ops/layer_norm.h"

#include <cmath>

#include "core/parallel.h"
#include "ops/reduce.h"

namespace fastnn {
namespace {

constexpr int64_t kParallelMinElements = 1 << 14;

// body(r) for every row of n elements; rows in parallel when there is enough work.
template <typename Body>
void for_rows(int64_t rows, int64_t n, Body&& body) {
  parallel_ranges(rows, n, kParallelMinElements, [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) body(r);
  });
}

}  // namespace

template <typename T>
void layer_norm_forward(int64_t rows, int64_t n, const T* x, const T* weight, const T* bias, T eps, T* y, T* mean,
                        T* rstd) {
  for_rows(rows, n, [&](int64_t r) {
    const T* __restrict in = x + r * n;
    T* __restrict out = y + r * n;
    const T mu = sum_fixed_order(in, n) / T(n);
    for (int64_t c = 0; c < n; ++c) out[c] = in[c] - mu;  // centred first: the variance needs no cancellation
    const T inv = T(1) / std::sqrt(dot_fixed_order(out, out, 1, n) / T(n) + eps);
    for (int64_t c = 0; c < n; ++c) {
      const T normed = out[c] * inv;
      out[c] = weight ? normed * weight[c] + (bias ? bias[c] : T(0)) : normed + (bias ? bias[c] : T(0));
    }
    mean[r] = mu;
    rstd[r] = inv;
  });
}

template <typename T>
void layer_norm_backward(int64_t rows, int64_t n, const T* x, const T* weight, const T* mean, const T* rstd,
                         const T* dy, T* dx, T* dweight, T* dbias) {
  if (dx) {
    for_rows(rows, n, [&](int64_t r) {
      const T* __restrict in = x + r * n;
      const T* __restrict grad = dy + r * n;
      T* __restrict out = dx + r * n;
      const T mu = mean[r], inv = rstd[r];
      // g = dy * weight goes into dx first; dx = inv * (g - mean(g) - xhat * mean(g * xhat)).
      for (int64_t c = 0; c < n; ++c) out[c] = weight ? grad[c] * weight[c] : grad[c];
      T lanes_g[kReduceLanes] = {}, lanes_gx[kReduceLanes] = {};
      int64_t c = 0;
      for (; c + kReduceLanes <= n; c += kReduceLanes)
        for (int l = 0; l < kReduceLanes; ++l) {
          lanes_g[l] += out[c + l];
          lanes_gx[l] += out[c + l] * (in[c + l] - mu) * inv;
        }
      T sum_g = finish_lanes(lanes_g), sum_gx = finish_lanes(lanes_gx);
      for (; c < n; ++c) {
        sum_g += out[c];
        sum_gx += out[c] * (in[c] - mu) * inv;
      }
      const T mean_g = sum_g / T(n), mean_gx = sum_gx / T(n);
      for (int64_t j = 0; j < n; ++j) out[j] = inv * (out[j] - mean_g - (in[j] - mu) * inv * mean_gx);
    });
  }
  if (dweight)
    column_sums(rows, n, dweight, [&](int64_t r, int64_t c) { return dy[r * n + c] * (x[r * n + c] - mean[r]) * rstd[r]; });
  if (dbias) column_sums(rows, n, dbias, [&](int64_t r, int64_t c) { return dy[r * n + c]; });
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
