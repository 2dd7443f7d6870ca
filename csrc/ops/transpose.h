#pragma once
// Out-of-place transpose: 4 x 4 blocks transposed in registers (four vector
// loads, eight shuffles, four vector stores, on any ISA with 4-lane vectors),
// the edges element by element.
#include <cstdint>
#include <cstring>

namespace fastnn {

namespace detail {

template <typename T>
struct Quad {
  typedef T type __attribute__((vector_size(4 * sizeof(T))));
};

template <typename T>
inline typename Quad<T>::type load_quad(const T* p) {
  typename Quad<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
inline void store_quad(T* p, typename Quad<T>::type v) {
  std::memcpy(p, &v, sizeof v);
}

// dst rows c0..c0+3 (stride ld_dst) from src rows r0..r0+3 (stride ld_src), 4 values each.
template <typename T>
inline void transpose_4x4(const T* src, int64_t ld_src, T* dst, int64_t ld_dst) {
  const auto a = load_quad(src), b = load_quad(src + ld_src);
  const auto c = load_quad(src + 2 * ld_src), d = load_quad(src + 3 * ld_src);
  const auto ab_low = __builtin_shufflevector(a, b, 0, 4, 1, 5), ab_high = __builtin_shufflevector(a, b, 2, 6, 3, 7);
  const auto cd_low = __builtin_shufflevector(c, d, 0, 4, 1, 5), cd_high = __builtin_shufflevector(c, d, 2, 6, 3, 7);
  store_quad(dst, __builtin_shufflevector(ab_low, cd_low, 0, 1, 4, 5));
  store_quad(dst + ld_dst, __builtin_shufflevector(ab_low, cd_low, 2, 3, 6, 7));
  store_quad(dst + 2 * ld_dst, __builtin_shufflevector(ab_high, cd_high, 0, 1, 4, 5));
  store_quad(dst + 3 * ld_dst, __builtin_shufflevector(ab_high, cd_high, 2, 3, 6, 7));
}

}  // namespace detail

// dst[c * ld_dst + r] = src[r * ld_src + c] for r < rows, c < cols.
template <typename T>
void transpose(int64_t rows, int64_t cols, const T* src, int64_t ld_src, T* dst, int64_t ld_dst) {
  const int64_t rows4 = rows / 4 * 4, cols4 = cols / 4 * 4;
  for (int64_t r = 0; r < rows4; r += 4) {
    for (int64_t c = 0; c < cols4; c += 4)
      detail::transpose_4x4(src + r * ld_src + c, ld_src, dst + c * ld_dst + r, ld_dst);
    for (int64_t c = cols4; c < cols; ++c)
      for (int64_t i = r; i < r + 4; ++i) dst[c * ld_dst + i] = src[i * ld_src + c];
  }
  for (int64_t r = rows4; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) dst[c * ld_dst + r] = src[r * ld_src + c];
}

// A leading dimension for a transposed copy with `cols` values per row: padded
// so that rows a power of two apart do not all fall into the same cache sets.
inline int64_t padded_ld(int64_t cols) { return (cols + 15) / 16 * 16 + 16; }

}  // namespace fastnn
