// The Winograd F(4x4, 3x3) tile transforms, written once with vectors across
// channels: included only by ops/conv2d_winograd_<isa>.cpp after they define
// FASTNN_ISA_NAMESPACE and FASTNN_VECTOR_BYTES.
#include <cstdint>
#include <cstring>
#include <utility>

#include "core/simd_impl.h"

#include "ops/conv2d_winograd.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// G g for one line of three filter taps.
template <typename V>
inline void weight_line(const V (&g)[3], V (&r)[6]) {
  const V sum = g[0] + g[2], quarter = g[0] * (1.0f / 4);
  r[0] = quarter;
  r[1] = (sum + g[1]) * (-1.0f / 6);
  r[2] = (sum - g[1]) * (-1.0f / 6);
  r[3] = quarter * (1.0f / 6) + g[1] * (1.0f / 12) + g[2] * (1.0f / 6);
  r[4] = quarter * (1.0f / 6) - g[1] * (1.0f / 12) + g[2] * (1.0f / 6);
  r[5] = g[2];
}

// B^T d for one line of six inputs (Lavin and Gray's points 0, +-1, +-2).
template <typename V>
inline void input_line(const V (&d)[6], V (&r)[6]) {
  const V a = d[4] - 4 * d[2], b = d[3] - 4 * d[1], c = d[4] - d[2], e = 2 * (d[3] - d[1]);
  r[0] = 4 * d[0] - 5 * d[2] + d[4];
  r[1] = a + b;
  r[2] = a - b;
  r[3] = c + e;
  r[4] = c - e;
  r[5] = 4 * d[1] - 5 * d[3] + d[5];
}

// A^T m for one line of six points.
template <typename V>
inline void output_line(const V (&m)[6], V (&r)[4]) {
  const V a = m[1] + m[2], b = m[1] - m[2], c = m[3] + m[4], d = m[3] - m[4];
  r[0] = m[0] + a + c;
  r[1] = b + 2 * d;
  r[2] = a + 4 * c;
  r[3] = b + 8 * d + m[5];
}

template <typename T>
void weight_tile(const T* src, int64_t tap_step, int64_t channels, T* dst, int64_t point_step) {
  using V = typename Vec<T>::type;
  for (int64_t c = 0; c < channels; c += Vec<T>::width) {
    V columns[6][3];  // G applied down each column of taps
    FASTNN_UNROLL
    for (int x = 0; x < 3; ++x) {
      V g[3], r[6];
      FASTNN_UNROLL
      for (int y = 0; y < 3; ++y) g[y] = load(src + (y * 3 + x) * tap_step + c);
      weight_line(g, r);
      FASTNN_UNROLL
      for (int y = 0; y < 6; ++y) columns[y][x] = r[y];
    }
    FASTNN_UNROLL
    for (int y = 0; y < 6; ++y) {
      V r[6];
      weight_line(columns[y], r);
      FASTNN_UNROLL
      for (int x = 0; x < 6; ++x) store(dst + (y * 6 + x) * point_step + c, r[x]);
    }
  }
}

template <typename T>
void input_tile(const T* src, int64_t row_step, int64_t pixel_step, int64_t channels, T* dst, int64_t point_step) {
  using V = typename Vec<T>::type;
  for (int64_t c = 0; c < channels; c += Vec<T>::width) {
    V columns[6][6];  // B^T applied down each column: [row of B^T d][column]
    FASTNN_UNROLL
    for (int x = 0; x < 6; ++x) {
      V d[6], r[6];
      FASTNN_UNROLL
      for (int y = 0; y < 6; ++y) d[y] = load(src + y * row_step + x * pixel_step + c);
      input_line(d, r);
      FASTNN_UNROLL
      for (int y = 0; y < 6; ++y) columns[y][x] = r[y];
    }
    FASTNN_UNROLL
    for (int y = 0; y < 6; ++y) {
      V r[6];
      input_line(columns[y], r);
      FASTNN_UNROLL
      for (int x = 0; x < 6; ++x) store(dst + (y * 6 + x) * point_step + c, r[x]);
    }
  }
}

// The W x W block v (pixels x channel lanes) transposed in place: log2(W)
// rounds of interleaving row i with row i + W / 2.
template <typename T, int W>
inline void transpose_in_registers(typename Vec<T>::type (&v)[W]) {
  const auto each = std::make_index_sequence<W>{};
  FASTNN_UNROLL
  for (int round = 0; round < __builtin_ctz(W); ++round) {  // a count GCC can unroll
    typename Vec<T>::type next[W];
    FASTNN_UNROLL
    for (int i = 0; i < W / 2; ++i) {
      next[2 * i] = interleave<0, T, W>(v[i], v[i + W / 2], each);
      next[2 * i + 1] = interleave<1, T, W>(v[i], v[i + W / 2], each);
    }
    FASTNN_UNROLL
    for (int i = 0; i < W; ++i) v[i] = next[i];
  }
}

// Lanes [first, first + N) of v.
template <int N, typename T, std::size_t... Lane>
inline Values<T, N> lanes_from(typename Vec<T>::type v, int first, std::index_sequence<Lane...>) {
  T all[Vec<T>::width];
  std::memcpy(all, &v, sizeof all);
  return Values<T, N>{all[first + int(Lane)]...};
}

// One input row of `channels` channels (planes `plane_step` apart) into
// `pixels` pixels of channels-last layout (pixels `pixel_step` apart): blocks
// of W channels x W pixels transposed in registers, the edges one by one.
template <typename T>
void channels_last_row(const T* src, int64_t plane_step, int64_t channels, int64_t pixels, T* dst,
                       int64_t pixel_step) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  const int64_t whole_c = channels / W * W, whole_p = pixels / W * W;
  for (int64_t c = 0; c < whole_c; c += W) {
    for (int64_t p = 0; p < whole_p; p += W) {
      V block[W];
      FASTNN_UNROLL
      for (int i = 0; i < W; ++i) block[i] = load(src + (c + i) * plane_step + p);
      transpose_in_registers<T, W>(block);
      FASTNN_UNROLL
      for (int i = 0; i < W; ++i) store(dst + (p + i) * pixel_step + c, block[i]);
    }
    for (int64_t p = whole_p; p < pixels; ++p)
      for (int64_t i = 0; i < W; ++i) dst[p * pixel_step + c + i] = src[(c + i) * plane_step + p];
  }
  for (int64_t c = whole_c; c < channels; ++c)
    for (int64_t p = 0; p < pixels; ++p) dst[p * pixel_step + c] = src[c * plane_step + p];
}

// The tile's 16 pixels of a vector of channels (pixel y * 4 + x in
// pixels[y * 4 + x]) into the NCHW output: W pixels at a time turned into one
// vector per channel, stored as runs along the output rows.
template <typename T>
inline void store_tile(typename Vec<T>::type (&pixels)[16], int64_t channels, T* dst, int64_t channel_step,
                       int64_t row_step, int64_t rows, int64_t cols) {
  constexpr int W = Vec<T>::width, R = W < 4 ? W : 4;  // a run: the pixels of a vector within one output row
  FASTNN_UNROLL
  for (int g = 0; g < 16; g += W) {
    typename Vec<T>::type block[W];
    FASTNN_UNROLL
    for (int i = 0; i < W; ++i) block[i] = pixels[g + i];
    transpose_in_registers<T, W>(block);
    for (int64_t k = 0; k < W && k < channels; ++k)
      FASTNN_UNROLL
      for (int q = 0; q < W; q += R) {
        const int y = (g + q) / 4, x = (g + q) % 4;
        if (y >= rows || x >= cols) continue;
        const Values<T, R> run = lanes_from<R, T>(block[k], q, std::make_index_sequence<R>{});
        T* at = dst + k * channel_step + y * row_step + x;
        if (x + R <= cols)
          store_lanes(at, run);
        else
          std::memcpy(at, &run, (cols - x) * sizeof(T));
      }
  }
}

template <typename T>
void output_tile(const T* src, int64_t point_step, int64_t channels, const T* bias, T* dst, int64_t channel_step,
                 int64_t row_step, int64_t rows, int64_t cols) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  for (int64_t c = 0; c < channels; c += W) {
    V lines[6][4];  // A^T applied along each row of points: [row][output column]
    FASTNN_UNROLL
    for (int y = 0; y < 6; ++y) {
      V m[6];
      FASTNN_UNROLL
      for (int x = 0; x < 6; ++x) m[x] = load(src + (y * 6 + x) * point_step + c);
      output_line(m, lines[y]);
    }
    const V b = load(bias + c);
    V pixels[16];
    FASTNN_UNROLL
    for (int x = 0; x < 4; ++x) {
      V m[6], r[4];
      FASTNN_UNROLL
      for (int y = 0; y < 6; ++y) m[y] = lines[y][x];
      output_line(m, r);
      FASTNN_UNROLL
      for (int y = 0; y < 4; ++y) pixels[y * 4 + x] = r[y] + b;
    }
    store_tile<T>(pixels, channels - c, dst + c * channel_step, channel_step, row_step, rows, cols);
  }
}

}  // namespace

WinogradKernels winograd_kernels() { return {&weight_tile<float>, &channels_last_row<float>, &input_tile<float>, &output_tile<float>,
          Vec<float>::width}; }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
