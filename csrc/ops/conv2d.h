#pragma once
// 2-D convolution, NCHW, with stride, padding, dilation and groups: forward,
// backward to the input, backward to the weight and bias. All three run on the
// packed GEMM over im2col tiles of one sample (a 1x1 stride-1 convolution uses
// the input as it is).
#include <cstdint>

namespace fastnn {

struct Conv2dShape {
  int64_t N, C, H, W;   // input
  int64_t O, KH, KW;    // weight: (O, C / groups, KH, KW)
  int64_t stride_h, stride_w, pad_h, pad_w, dil_h, dil_w, groups;
  int64_t OH, OW;       // output

  int64_t in_per_group() const { return C / groups; }
  int64_t out_per_group() const { return O / groups; }
  int64_t col_rows() const { return in_per_group() * KH * KW; }
  int64_t out_plane() const { return OH * OW; }
  bool pointwise() const {
    return KH == 1 && KW == 1 && stride_h == 1 && stride_w == 1 && pad_h == 0 && pad_w == 0;
  }
};

// y = conv(x, w) + bias (bias may be null).
template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y);

// dx = conv^T(dy, w)
template <typename T>
void conv2d_backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx);

// dw = sum over the batch of dy (x) im2col(x); dbias (may be null) = sum of dy
// over batch and space. The batch is reduced in fixed chunks, summed in order.
template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw, T* dbias);

}  // namespace fastnn
