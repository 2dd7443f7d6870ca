#pragma once
// im2col and col2im of one input channel, per ISA (each compiled with its own
// flags in its own namespace): runs of a few dozen elements are copied and
// added by loops the compiler vectorises for each ISA's vector width, not by a
// memcpy call each.
#include <cstdint>

#include "core/cpu.h"
#include "ops/conv2d.h"

namespace fastnn {

// im2col and col2im go through a zero-padded copy of the channel whose columns
// are split into phases modulo the horizontal stride: element (h, w) sits in
// phase w % stride at column w / stride. Every kernel tap then reads (or, in
// col2im, adds to) one contiguous run per output row, strided convolutions
// included, with no bounds checks.
struct PaddedLayout {
  int64_t hp, wp, phases, wq;
  explicit PaddedLayout(const Conv2dShape& s)
      : hp(s.H + 2 * s.pad_h), wp(s.W + 2 * s.pad_w), phases(s.stride_w), wq((wp + s.stride_w - 1) / s.stride_w) {}
  int64_t size() const { return phases * hp * wq; }
  int64_t at(int64_t h, int64_t w) const { return (w % phases) * hp * wq + h * wq + w / phases; }
  // Start of tap (kh, kw)'s run for output row 0.
  int64_t tap(const Conv2dShape& s, int64_t kh, int64_t kw) const { return at(kh * s.dil_h, kw * s.dil_w); }
};

// x: one H x W input plane; col: its KH * KW rows of OH * OW columns,
//   col[kh * KW + kw][oh * OW + ow] = x[oh*sh + kh*dh - ph][ow*sw + kw*dw - pw] (0 outside);
// padded: PaddedLayout(s).size() elements of scratch.
// col2im is the adjoint: dx = the sum of col's taps at those positions.
template <typename T>
struct ColumnKernels {
  void (*im2col_channel)(const Conv2dShape& s, const T* x, T* col, T* padded);
  void (*col2im_channel)(const Conv2dShape& s, const T* col, T* dx, T* padded);
};

FASTNN_DECLARE_ISA_TABLES(ColumnKernels, conv_columns)

}  // namespace fastnn
