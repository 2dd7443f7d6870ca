#pragma once
// LayerNorm's row loops, per ISA (each compiled with its own flags in its own
// namespace, so the rows' sums run in the ISA's widest vectors; compiled for
// baseline x86-64 they spilled their partial sums to the stack).
#include <cstdint>

#include "core/cpu.h"

namespace fastnn {

template <typename T>
struct LayerNormKernels {
  // `rows` rows of n values from x (and y, mean, rstd) on: y, each row's mean
  // and 1 / std. weight and bias may be null.
  void (*forward)(int64_t rows, int64_t n, const T* x, const T* weight, const T* bias, T eps, T* y, T* mean, T* rstd);
  // Over those rows: dx (if not null) and, into weight_sums and bias_sums (n
  // each, if not null), each row's dy * x_hat and dy added in row order.
  // weight may be null.
  void (*backward)(int64_t rows, int64_t n, const T* x, const T* weight, const T* mean, const T* rstd, const T* dy,
                   T* dx, T* weight_sums, T* bias_sums);
};

FASTNN_DECLARE_ISA_TABLES(LayerNormKernels, layer_norm_rows)

}  // namespace fastnn
