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
  // dx of those rows; weight may be null.
  void (*backward)(int64_t rows, int64_t n, const T* x, const T* weight, const T* mean, const T* rstd, const T* dy,
                   T* dx);
  // Columns [c0, c1) of dweight (x_hat * dy) and dbias (dy) summed over all
  // `rows` rows in order, in one pass; either may be null. c1 - c0 <= kLayerNormColumnBlock.
  void (*parameter_grads)(int64_t rows, int64_t n, int64_t c0, int64_t c1, const T* x, const T* mean,
                          const T* rstd, const T* dy, T* dweight, T* dbias);
};

constexpr int64_t kLayerNormColumnBlock = 256;

FASTNN_DECLARE_ISA_TABLES(LayerNormKernels, layer_norm_rows)

}  // namespace fastnn
