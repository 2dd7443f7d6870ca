#pragma once
// Pooling of one plane, per ISA (each compiled with its own flags in its own
// namespace): the 2x2 stride-2 max and average pools and any max pool, on
// vectors as wide as the ISA's.
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "core/cpu.h"
#include "ops/pool2d.h"

namespace fastnn {

// Taps [lo, hi) of a window starting at `start` whose input position
// start + k * dil lies in [0, size).
inline void tap_range(int64_t start, int64_t taps, int64_t dil, int64_t size, int64_t& lo, int64_t& hi) {
  lo = start >= 0 ? 0 : (-start + dil - 1) / dil;
  hi = start >= size ? 0 : std::min<int64_t>(taps, (size - 1 - start) / dil + 1);
  if (hi < lo) hi = lo;
}

// The window geometry of a general max pool, the same for every plane.
struct MaxPoolTaps {
  std::vector<int64_t> first_col;  // per output column: kw * dil_w of its window's first tap inside the row
  // Input rows are copied into rows of this many columns, column 0 being input
  // column -pad_w and -inf outside the input, so that vectors of up to 16
  // outputs read every tap without bounds checks (a -inf tap never wins).
  int64_t padded_width;

  explicit MaxPoolTaps(const Pool2dShape& s) : first_col(s.OW) {
    for (int64_t ow = 0; ow < s.OW; ++ow) {
      int64_t lo, hi;
      tap_range(ow * s.stride_w - s.pad_w, s.KW, s.dil_w, s.W, lo, hi);
      first_col[ow] = lo * s.dil_w;
    }
    const int64_t lanes = 16, blocks_end = (s.OW + lanes - 1) / lanes * lanes;
    padded_width = std::max(blocks_end * std::max<int64_t>(s.stride_w, 2) + (s.KW - 1) * s.dil_w + 1, s.pad_w + s.W);
  }
};

// in: H x W plane.
//   max_2x2 (W < 2^30, 2 * OH <= H, 2 * OW <= W): out[oh][ow] = the window's
//     maximum (a NaN wins, a later NaN over an earlier one, as PyTorch), idx =
//     its flat position in the plane (int64) or in the window, 2 * dh + dw (uint8).
//   max_2x2_backward: every input of the plane written once: grad at the
//     window's position idx, zero elsewhere (inputs outside every window too;
//     an idx outside its window writes no gradient).
//   avg_2x2 (the same windows): out[oh][ow] = the window's sum times scale;
//     avg_2x2_backward: each input its window's grad times scale, inputs
//     outside every window zero.
//   max_window: any window of s, scanned in PyTorch's order (kh, then kw), each
//     maximum starting at -inf at its window's first valid tap. Positions
//     within a window are tracked in lanes as wide as T, so float planes need
//     (H + 2 pad_h + 1) * (W + 2 pad_w) < 2^31. rows: KH *
//     taps.padded_width scratch filled with -inf (only the input's columns of
//     it are ever written).
template <typename T, typename Index>
struct Max2x2Kernels {
  void (*forward)(int64_t OH, int64_t OW, int64_t W, const T* in, T* out, Index* idx);
  void (*backward)(int64_t H, int64_t W, int64_t OH, int64_t OW, const T* grad, const Index* idx, T* out);
};

template <typename T>
struct PoolPlaneKernels {
  Max2x2Kernels<T, int64_t> max_2x2;          // flat positions
  Max2x2Kernels<T, uint8_t> max_2x2_offsets;  // offsets in the window
  void (*avg_2x2)(int64_t OH, int64_t OW, int64_t W, const T* in, T* out, T scale);
  void (*avg_2x2_backward)(int64_t H, int64_t W, int64_t OH, int64_t OW, const T* grad, T* out, T scale);
  void (*max_window)(const Pool2dShape& s, const MaxPoolTaps& taps, const T* in, T* out, int64_t* idx, T* rows);
  // out[p] = the mean of plane p's `size` values, for `planes` consecutive planes.
  void (*global_mean)(int64_t planes, int64_t size, const T* in, T* out);

  template <typename Index>
  Max2x2Kernels<T, Index> max_2x2_of() const {
    if constexpr (std::is_same_v<Index, uint8_t>)
      return max_2x2_offsets;
    else
      return max_2x2;
  }
};

FASTNN_DECLARE_ISA_TABLES(PoolPlaneKernels, pool_planes)

}  // namespace fastnn
