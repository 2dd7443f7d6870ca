#pragma once
// The 3x3 stride-1 convolution by Winograd's F(4x4, 3x3): each 6x6 input tile
// becomes 36 transformed values per channel, the convolution 36 independent
// channel products (GEMMs), and each product's 6x6 result a 4x4 output tile:
// 36 multiplications per 16 outputs instead of 144. float32 only: its error is
// about 20x the direct sum's (3e-6 relative at 64 channels), as in every
// F(4x4, 3x3); float64 keeps the direct sum's accuracy (and gradchecks).
#include <cstdint>

#include "core/cpu.h"
#include "ops/conv2d.h"

namespace fastnn {

// The forward by Winograd (conv2d_winograd.cpp), when that pays for this
// shape; returns false, having done nothing, when it does not.
bool winograd_forward(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y);

// The weight gradient by the same transforms' adjoints: per point, the sum
// over all tiles of the transformed inputs times the transformed output
// gradients (one GEMM whose sum runs over the tiles), taken back through G.
// Tiles are summed in fixed chunks, added in order: the same bits for any
// thread count. dbias may be null. Returns false, having done nothing, when
// winograd_forward would or when the chunks' partial sums would not fit in
// its memory bound.
bool winograd_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw, float* dbias);

// Tile transforms per ISA (each compiled with its own flags in its own
// namespace), a vector of channels at a time (src holds whole vectors of
// them, `width` lanes). Pixels are `pixel_step` apart, rows `row_step`, points (the 36
// transformed values) `point_step`:
//   weight: dst[p] = (G g G^T)[p] for the 3x3 filter g at src (taps
//     `tap_step` apart, channels being output channels here);
//   channels_last: one input row, `pixels` long, of each of `channels` planes
//     (plane_step apart) to pixels of channels (pixel_step apart);
//   input: dst[p] = (B^T d B)[p] for the 6x6 tile d at src;
//   gradient: dst[p] = (A y A^T)[p] for the 4 x 4 output gradient tile y at
//     src (output's adjoint);
//   weight_gradient: the 3 x 3 taps (tap_step apart) of G^T u G for the 36
//     points u at src (weight's adjoint);
//   output: the first rows x cols of (A^T m A) + bias, for the 36 points m at
//     src, stored as a tile at dst in NCHW: channels `channel_step` apart,
//     rows `row_step` (only the first `channels` channels are stored).
struct WinogradKernels {
  void (*weight)(const float* src, int64_t tap_step, int64_t channels, float* dst, int64_t point_step);
  void (*channels_last)(const float* src, int64_t plane_step, int64_t channels, int64_t pixels, float* dst,
                        int64_t pixel_step);
  void (*input)(const float* src, int64_t row_step, int64_t pixel_step, int64_t channels, float* dst,
                int64_t point_step);
  void (*output)(const float* src, int64_t point_step, int64_t channels, const float* bias, float* dst,
                 int64_t channel_step, int64_t row_step, int64_t rows, int64_t cols);
  void (*gradient)(const float* src, int64_t row_step, int64_t pixel_step, int64_t channels, float* dst,
                   int64_t point_step);
  void (*weight_gradient)(const float* src, int64_t point_step, int64_t channels, float* dst, int64_t tap_step);
  int width;
};

namespace generic {
WinogradKernels winograd_kernels();
}
namespace avx2 {
WinogradKernels winograd_kernels();
}
namespace avx512 {
WinogradKernels winograd_kernels();
}

}  // namespace fastnn
