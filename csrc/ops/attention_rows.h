#pragma once
// The softmax arithmetic of one attention row within one key tile, per ISA
// (each compiled with its own flags in its own namespace) and dtype. The
// driver (ops/attention.cpp) runs the matrix products on the GEMM around them.
#include <cstdint>

#include "core/cpu.h"

namespace fastnn {

template <typename T>
struct AttentionRowKernels {
  // Forward, online softmax: s holds n scaled scores; the first `valid` are
  // live (the rest are causally masked), `mask` (nullable) is added to them.
  // s becomes exp(s - new max) (0 where masked); *row_max and *row_sum are
  // updated. Returns the factor the row's output so far must be scaled by.
  T (*online_softmax)(int64_t n, int64_t valid, const T* mask, T* s, T* row_max, T* row_sum);
  // Backward: s (scaled scores, as above) becomes p = exp(s + mask - lse), and
  // dp (= dout . v) becomes ds = p * (dp - delta).
  void (*softmax_backward)(int64_t n, int64_t valid, const T* mask, T lse, T delta, T* s, T* dp);
};

FASTNN_DECLARE_ISA_TABLES(AttentionRowKernels, attention_rows)

}  // namespace fastnn
