#pragma once
// Sums in a fixed order that the compiler can still vectorise: 16 running
// partial sums (element i goes to partial i % 16), added together at the end.
// A plain `sum += x[i]` is one long dependency chain (one add per FP latency),
// and reordering it is not allowed without -ffast-math.
#include <algorithm>
#include <cstdint>

namespace fastnn {

constexpr int kReduceLanes = 16;

template <typename T>
inline T finish_lanes(const T (&lanes)[kReduceLanes]) {
  T total = T(0);
  for (int l = 0; l < kReduceLanes; ++l) total += lanes[l];
  return total;
}

// sum of x[i * stride] for i < n
template <typename T>
inline T sum_fixed_order(const T* x, int64_t n) {
  T lanes[kReduceLanes] = {};
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes)
    for (int l = 0; l < kReduceLanes; ++l) lanes[l] += x[i + l];
  T total = finish_lanes(lanes);
  for (; i < n; ++i) total += x[i];
  return total;
}

// sum of a[i] * b[i * b_stride] for i < n
template <typename T>
inline T dot_fixed_order(const T* a, const T* b, int64_t b_stride, int64_t n) {
  T lanes[kReduceLanes] = {};
  int64_t i = 0;
  if (b_stride == 1)  // the common case, in a form that vectorises
    for (; i + kReduceLanes <= n; i += kReduceLanes)
      for (int l = 0; l < kReduceLanes; ++l) lanes[l] += a[i + l] * b[i + l];
  for (; i + kReduceLanes <= n; i += kReduceLanes)
    for (int l = 0; l < kReduceLanes; ++l) lanes[l] += a[i + l] * b[(i + l) * b_stride];
  T total = finish_lanes(lanes);
  for (; i < n; ++i) total += a[i] * b[i * b_stride];
  return total;
}

// out[c] = sum over r < rows of term(r, c), rows added in order. Each thread
// takes whole blocks of columns, so any thread count gives the same sums.
template <typename T, typename Term>
void column_sums(int64_t rows, int64_t cols, T* out, Term&& term) {
  constexpr int64_t kBlock = 256;
  const int64_t blocks = (cols + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static) if (rows * cols >= (1 << 14))
  for (int64_t block = 0; block < blocks; ++block) {
    const int64_t c0 = block * kBlock, c1 = std::min(cols, c0 + kBlock);
    T sums[kBlock] = {};  // local: the compiler knows no term aliases it, and vectorises
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = c0; c < c1; ++c) sums[c - c0] += term(r, c);
    std::copy(sums, sums + (c1 - c0), out + c0);
  }
}

}  // namespace fastnn
