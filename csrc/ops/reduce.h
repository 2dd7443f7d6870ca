#pragma once
// Sums in a fixed order that the compiler can still vectorise: 16 running
// partial sums (element i goes to partial i % 16), added together at the end.
// A plain `sum += x[i]` is one long dependency chain (one add per FP latency),
// and reordering it is not allowed without -ffast-math.
//
// Included by baseline code and by the per-ISA kernel files alike: internal
// linkage, so that no copy compiled with one ISA's instructions can stand in
// for another's at link time.
#include <cstdint>

namespace fastnn {
namespace {

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

// sum of term(i) for i < n: element i goes to partial i % kReduceLanes (a
// vector register), the partials are folded, then the tail is added.
template <typename T, typename Term>
inline T sum_of_terms(int64_t n, Term&& term) {
  T lanes[kReduceLanes] = {};
  int64_t i = 0;
  for (; i + kReduceLanes <= n; i += kReduceLanes)
    for (int l = 0; l < kReduceLanes; ++l) lanes[l] += term(i + l);
  T total = finish_lanes(lanes);
  for (; i < n; ++i) total += term(i);
  return total;
}

// sum of x[i] for i < n
template <typename T>
inline T sum_fixed_order(const T* x, int64_t n) {
  return sum_of_terms<T>(n, [&](int64_t i) { return x[i]; });
}

// sum of a[i] * b[i * b_stride] for i < n; stride 1, the common case, as a
// loop that vectorises.
template <typename T>
inline T dot_fixed_order(const T* a, const T* b, int64_t b_stride, int64_t n) {
  if (b_stride == 1) return sum_of_terms<T>(n, [&](int64_t i) { return a[i] * b[i]; });
  return sum_of_terms<T>(n, [&](int64_t i) { return a[i] * b[i * b_stride]; });
}

}  // namespace
}  // namespace fastnn
