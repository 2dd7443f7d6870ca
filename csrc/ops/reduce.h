#pragma once
// Sums in a fixed order that the compiler can still vectorise: 16 running
// partial sums (element i goes to partial i % 16), added together at the end.
// A plain `sum += x[i]` is one long dependency chain (one add per FP latency),
// and reordering it is not allowed without -ffast-math.
#include <cstdint>

namespace fastnn {

constexpr int kReduceLanes = 16;

// Halves folded onto halves: four dependent adds, not sixteen (short rows,
// such as a small attention head's 16 scores, wait on that chain), in the
// same order on every ISA.
template <typename T>
inline T finish_lanes(const T (&lanes)[kReduceLanes]) {
  T fold[kReduceLanes / 2];
  for (int l = 0; l < 8; ++l) fold[l] = lanes[l] + lanes[l + 8];
  for (int l = 0; l < 4; ++l) fold[l] += fold[l + 4];
  for (int l = 0; l < 2; ++l) fold[l] += fold[l + 2];
  return fold[0] + fold[1];
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

}  // namespace fastnn
