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

// One input channel, over a band of output pixels [p0, p1) (flat oh * OW + ow):
//   pad: padded (PaddedLayout(s).size() elements) = the channel's zero-padded,
//     phase-split copy;
//   im2col: col[kh * KW + kw][p - p0] = x[oh*sh + kh*dh - ph][ow*sw + kw*dw - pw]
//     (0 outside the input), read from padded; rows p1 - p0 apart;
//   col2im, its adjoint: padded += col's taps at those positions;
//   crop: dx (H x W) = the input part of padded.
template <typename T>
struct ColumnKernels {
  void (*pad)(const Conv2dShape& s, const T* x, T* padded);
  void (*im2col)(const Conv2dShape& s, const T* padded, int64_t p0, int64_t p1, T* col);
  void (*col2im)(const Conv2dShape& s, const T* col, int64_t p0, int64_t p1, T* padded);
  void (*crop)(const Conv2dShape& s, const T* padded, T* dx);
};

FASTNN_DECLARE_ISA_TABLES(ColumnKernels, conv_columns)

}  // namespace fastnn
