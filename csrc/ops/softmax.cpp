#include "ops/softmax.h"

#include <algorithm>
#include <cmath>

#include "core/parallel.h"

namespace fastnn {
namespace {

constexpr int64_t kParallelMinElements = 1 << 14;

// One line of n values, `stride` apart.
template <typename T>
void forward_line(int64_t n, int64_t stride, const T* x, T* y, bool log) {
  T top = x[0];
  for (int64_t i = 1; i < n; ++i) {
    const T v = x[i * stride];
    if (v > top || v != v) top = v;  // a NaN sticks, so its line comes out NaN
  }
  T sum = T(0);
  for (int64_t i = 0; i < n; ++i) {
    const T e = std::exp(x[i * stride] - top);
    sum += e;
    if (!log) y[i * stride] = e;
  }
  if (log) {
    const T shift = top + std::log(sum);
    for (int64_t i = 0; i < n; ++i) y[i * stride] = x[i * stride] - shift;
  } else {
    const T scale = T(1) / sum;
    for (int64_t i = 0; i < n; ++i) y[i * stride] *= scale;
  }
}

template <typename T>
void backward_line(int64_t n, int64_t stride, const T* y, const T* dy, T* dx, bool log) {
  T dot = T(0);
  for (int64_t i = 0; i < n; ++i) dot += log ? dy[i * stride] : dy[i * stride] * y[i * stride];
  for (int64_t i = 0; i < n; ++i) {
    const int64_t at = i * stride;
    dx[at] = log ? dy[at] - std::exp(y[at]) * dot : y[at] * (dy[at] - dot);
  }
}

// Calls line(offset) for each of the outer * inner lines, in parallel.
template <typename Line>
void for_each_line(int64_t outer, int64_t n, int64_t inner, Line&& line) {
  if (n == 0) return;
  const int64_t lines = outer * inner;
  parallel_ranges(lines, n, kParallelMinElements, [&](int64_t first, int64_t last) {
    for (int64_t k = first; k < last; ++k) line((k / inner) * n * inner + k % inner);
  });
}

}  // namespace

template <typename T>
void softmax_forward(int64_t outer, int64_t n, int64_t inner, const T* x, T* y, bool log) {
  for_each_line(outer, n, inner, [&](int64_t at) { forward_line(n, inner, x + at, y + at, log); });
}

template <typename T>
void softmax_backward(int64_t outer, int64_t n, int64_t inner, const T* y, const T* dy, T* dx, bool log) {
  for_each_line(outer, n, inner, [&](int64_t at) { backward_line(n, inner, y + at, dy + at, dx + at, log); });
}

template void softmax_forward<float>(int64_t, int64_t, int64_t, const float*, float*, bool);
template void softmax_forward<double>(int64_t, int64_t, int64_t, const double*, double*, bool);
template void softmax_backward<float>(int64_t, int64_t, int64_t, const float*, const float*, float*, bool);
template void softmax_backward<double>(int64_t, int64_t, int64_t, const double*, const double*, double*, bool);

}  // namespace fastnn
