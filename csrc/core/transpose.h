#pragma once
// Out-of-place transpose in square blocks of one 16-byte vector per row (4 x 4
// floats, 2 x 2 doubles), transposed in registers with shuffles that every
// x86-64 CPU has (this is compiled for the baseline ISA); edges element by
// element.
#include <algorithm>
#include <cstdint>
#include <cstring>

namespace fastnn {

namespace detail {

template <typename T>
struct Lanes {
  static constexpr int count = 16 / sizeof(T);
  typedef T type __attribute__((vector_size(16)));
};

template <typename T>
inline typename Lanes<T>::type load_lanes(const T* p) {
  typename Lanes<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
inline void store_lanes(T* p, typename Lanes<T>::type v) {
  std::memcpy(p, &v, sizeof v);
}

// The count x count block at src (rows ld_src apart) to dst (rows ld_dst apart).
inline void transpose_block(const float* src, int64_t ld_src, float* dst, int64_t ld_dst) {
  const auto a = load_lanes(src), b = load_lanes(src + ld_src);
  const auto c = load_lanes(src + 2 * ld_src), d = load_lanes(src + 3 * ld_src);
  const auto ab_low = __builtin_shufflevector(a, b, 0, 4, 1, 5), ab_high = __builtin_shufflevector(a, b, 2, 6, 3, 7);
  const auto cd_low = __builtin_shufflevector(c, d, 0, 4, 1, 5), cd_high = __builtin_shufflevector(c, d, 2, 6, 3, 7);
  store_lanes(dst, __builtin_shufflevector(ab_low, cd_low, 0, 1, 4, 5));
  store_lanes(dst + ld_dst, __builtin_shufflevector(ab_low, cd_low, 2, 3, 6, 7));
  store_lanes(dst + 2 * ld_dst, __builtin_shufflevector(ab_high, cd_high, 0, 1, 4, 5));
  store_lanes(dst + 3 * ld_dst, __builtin_shufflevector(ab_high, cd_high, 2, 3, 6, 7));
}

inline void transpose_block(const double* src, int64_t ld_src, double* dst, int64_t ld_dst) {
  const auto a = load_lanes(src), b = load_lanes(src + ld_src);
  store_lanes(dst, __builtin_shufflevector(a, b, 0, 2));
  store_lanes(dst + ld_dst, __builtin_shufflevector(a, b, 1, 3));
}

}  // namespace detail

// dst[c * ld_dst + r] = src[r * ld_src + c] for r < rows, c < cols. In
// bands of 16 columns, so that the destination rows being written stay in L1
// while all the rows of the source pass.
template <typename T>
void transpose(int64_t rows, int64_t cols, const T* src, int64_t ld_src, T* dst, int64_t ld_dst) {
  constexpr int64_t kBand = 16, L = detail::Lanes<T>::count;
  const int64_t rows_l = rows / L * L, cols_l = cols / L * L;
  for (int64_t c0 = 0; c0 < cols_l; c0 += kBand) {
    const int64_t c1 = std::min(cols_l, c0 + kBand);
    for (int64_t r = 0; r < rows_l; r += L)
      for (int64_t c = c0; c < c1; c += L)
        detail::transpose_block(src + r * ld_src + c, ld_src, dst + c * ld_dst + r, ld_dst);
  }
  for (int64_t r = 0; r < rows_l; ++r)
    for (int64_t c = cols_l; c < cols; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
  for (int64_t r = rows_l; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
}

// A leading dimension for a transposed copy with `cols` values per row: padded
// so that rows a power of two apart do not all fall into the same cache sets.
inline int64_t padded_ld(int64_t cols) { return (cols + 15) / 16 * 16 + 16; }

}  // namespace fastnn
