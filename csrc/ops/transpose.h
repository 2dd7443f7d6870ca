#pragma once
// Out-of-place transpose, in square blocks so that both sides stay within a
// few cache lines whichever of them is strided.
#include <algorithm>
#include <cstdint>

namespace fastnn {

// dst[c * ld_dst + r] = src[r * ld_src + c] for r < rows, c < cols.
template <typename T>
void transpose(int64_t rows, int64_t cols, const T* src, int64_t ld_src, T* dst, int64_t ld_dst) {
  constexpr int64_t kBlock = 16;
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock)
    for (int64_t c0 = 0; c0 < cols; c0 += kBlock) {
      const int64_t r1 = std::min(rows, r0 + kBlock), c1 = std::min(cols, c0 + kBlock);
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
    }
}

// A leading dimension for a transposed copy with `cols` values per row: padded
// so that rows a power of two apart do not all fall into the same cache sets.
inline int64_t padded_ld(int64_t cols) { return (cols + 15) / 16 * 16 + 16; }

}  // namespace fastnn
