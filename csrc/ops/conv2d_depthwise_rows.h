#pragma once
// The stride-1 depthwise convolution of one plane, per ISA (each compiled with
// its own flags in its own namespace): a block of output columns stays in vector
// registers across all KH x KW taps, so each output is written once.
#include <cstdint>

#include "core/cpu.h"

namespace fastnn {

// out[r][c] = bias + sum over (kh, kw) of weight[kh * kw_count + kw] *
// in[(r + kh * dil_h) * ld_in + c + kw * dil_w], for r < rows, c < cols (out
// rows contiguous). Every row of `in` must be readable (zeros past the data)
// up to round_up(cols, block) + (kw_count - 1) * dil_w columns.
template <typename T>
struct DepthwiseTaps {
  const T* in;
  int64_t ld_in;
  const T* weight;
  int64_t kh_count, kw_count, dil_h, dil_w;
  T bias;
  T* out;
  int64_t rows, cols;
};

// Weight gradient of one plane: grad_w[kh * kw_count + kw] += sum over r < rows,
// c < cols of dy[r * cols + c] * in[(r + kh * dil_h) * ld_in + c + kw * dil_w],
// and *grad_bias (unless null) += the sum of dy, each summed in one fixed order.
template <typename T>
struct DepthwiseGradTaps {
  const T* in;
  int64_t ld_in;
  const T* dy;
  int64_t rows, cols, kh_count, kw_count, dil_h, dil_w;
  T* grad_w;
  T* grad_bias;
};

template <typename T>
struct DepthwiseRowKernel {
  void (*run)(const DepthwiseTaps<T>& taps);
  int64_t block;  // output columns per register block
  void (*weight_grad)(const DepthwiseGradTaps<T>& taps);
  // to[h * ld + w] = plane[h * cols + w]: a plane into a wider one's rows
  void (*copy_rows)(int64_t rows, int64_t cols, const T* plane, T* to, int64_t ld);
};

FASTNN_DECLARE_ISA_TABLES(DepthwiseRowKernel, depthwise_rows)

}  // namespace fastnn
