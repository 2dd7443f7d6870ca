// Attention's row softmax, written once and compiled per ISA (like the GEMM
// micro-kernels): included only by ops/attention_rows_<isa>.cpp after they
// define FASTNN_ISA_NAMESPACE. Reductions run over fixed lanes, so they
// vectorise and sum in the same order on every ISA.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "ops/attention_rows.h"
#include "ops/fast_math.h"
#include "ops/reduce.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

template <typename T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// exp of a score minus its row's maximum (<= 0), with exp(-inf) exactly 0.
inline float exp_or_zero(float x) { return exp_nonpositive(x); }
inline double exp_or_zero(double x) { return std::exp(x); }

// max of x[0:n] (-inf when n == 0); a NaN may be skipped here: it shows up in
// exp. The order of a max does not change its value, so the loop may reorder.
template <typename T>
T max_of(const T* __restrict x, int64_t n) {
  T top = kNegInf<T>;
#pragma omp simd reduction(max : top)
  for (int64_t i = 0; i < n; ++i) top = x[i] > top ? x[i] : top;
  return top;
}

template <typename T>
void add_mask(int64_t valid, const T* __restrict mask, T* __restrict s) {
  if (mask)
    for (int64_t j = 0; j < valid; ++j) s[j] += mask[j];
}

template <typename T>
T online_softmax(int64_t n, int64_t valid, const T* mask, T* s, T* row_max, T* row_sum) {
  add_mask(valid, mask, s);
  const T old_max = *row_max;
  const T new_max = std::max(old_max, max_of(s, valid));
  if (new_max == kNegInf<T>) {  // no key allowed yet: nothing to add
    std::fill(s, s + n, T(0));
    return T(1);
  }
  T* __restrict p = s;
  T lanes[kReduceLanes] = {};
  int64_t j = 0;
  for (; j + kReduceLanes <= valid; j += kReduceLanes)
    for (int l = 0; l < kReduceLanes; ++l) {
      p[j + l] = exp_or_zero(p[j + l] - new_max);
      lanes[l] += p[j + l];
    }
  T sum = finish_lanes(lanes);
  for (; j < valid; ++j) {
    p[j] = exp_or_zero(p[j] - new_max);
    sum += p[j];
  }
  std::fill(s + valid, s + n, T(0));
  const T correction = old_max == kNegInf<T> ? T(0) : exp_or_zero(old_max - new_max);
  *row_sum = *row_sum * correction + sum;
  *row_max = new_max;
  return correction;
}

template <typename T>
void softmax_backward(int64_t n, int64_t valid, const T* mask, T lse, T delta, T* s, T* dp) {
  if (lse == -kNegInf<T>) valid = 0;  // a row with no allowed key: no gradient
  add_mask(valid, mask, s);
  T* __restrict p = s;
  T* __restrict ds = dp;
  for (int64_t j = 0; j < valid; ++j) {
    p[j] = exp_or_zero(p[j] - lse);
    ds[j] = p[j] * (ds[j] - delta);
  }
  std::fill(s + valid, s + n, T(0));
  std::fill(dp + valid, dp + n, T(0));
}

template <typename T>
AttentionRowKernels<T> row_kernels() {
  return {&online_softmax<T>, &softmax_backward<T>};
}

}  // namespace

AttentionRowKernels<float> attention_rows_f32() { return row_kernels<float>(); }
AttentionRowKernels<double> attention_rows_f64() { return row_kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
