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

// G^T u for one line of six points: weight_line's adjoint.
template <typename V>
inline void weight_gradient_line(const V (&u)[6], V (&r)[3]) {
  const V sum = u[1] + u[2], difference = u[2] - u[1], far_sum = u[3] + u[4], far_difference = u[3] - u[4];
  r[0] = u[0] * (1.0f / 4) - sum * (1.0f / 6) + far_sum * (1.0f / 24);
  r[1] = difference * (1.0f / 6) + far_difference * (1.0f / 12);
  r[2] = (far_sum - sum) * (1.0f / 6) + u[5];
}

// A y for one line of four outputs' gradients: output_line's adjoint.
template <typename V>
inline void gradient_line(const V (&y)[4], V (&r)[6]) {
  const V a = y[0] + y[2], b = y[1] + y[3], c = y[0] + 4 * y[2], d = 2 * y[1] + 8 * y[3];
  r[0] = y[0];
  r[1] = a + b;
  r[2] = a - b;
  r[3] = c + d;
  r[4] = c - d;
  r[5] = y[3];
}

// The 36 points (line L applied down each column, then along each row) of
// the In x In tile at src, rows row_step and columns col_step apart, a vector
// of channels at a time: the filter, input and output-gradient transforms.
template <typename T, int In, typename Line>
inline void tile_to_points(const T* src, int64_t row_step, int64_t col_step, int64_t channels, T* dst,
                           int64_t point_step, Line line) {
  using V = typename Vec<T>::type;
  for (int64_t c = 0; c < channels; c += Vec<T>::width) {
    V columns[6][In];  // L applied down each column: [point row][tile column]
    FASTNN_UNROLL
    for (int x = 0; x < In; ++x) {
      V d[In], r[6];
      FASTNN_UNROLL
      for (int y = 0; y < In; ++y) d[y] = load(src + y * row_step + x * col_step + c);
      line(d, r);
      FASTNN_UNROLL
      for (int y = 0; y < 6; ++y) columns[y][x] = r[y];
    }
    FASTNN_UNROLL
    for (int y = 0; y < 6; ++y) {
      V r[6];
      line(columns[y], r);
      FASTNN_UNROLL
      for (int x = 0; x < 6; ++x) store(dst + (y * 6 + x) * point_step + c, r[x]);
    }
  }
}

template <typename T>
void weight_tile(const T* src, int64_t tap_step, int64_t channels, T* dst, int64_t point_step) {
  tile_to_points<T, 3>(src, 3 * tap_step, tap_step, channels, dst, point_step,
                       [](const auto& g, auto& r) { weight_line(g, r); });
}

template <typename T>
void input_tile(const T* src, int64_t row_step, int64_t pixel_step, int64_t channels, T* dst, int64_t point_step) {
  tile_to_points<T, 6>(src, row_step, pixel_step, channels, dst, point_step,
                       [](const auto& d, auto& r) { input_line(d, r); });
}

// The 36 points of A dy A^T for the 4 x 4 output gradient tile at src.
template <typename T>
void gradient_tile(const T* src, int64_t row_step, int64_t pixel_step, int64_t channels, T* dst,
                   int64_t point_step) {
  tile_to_points<T, 4>(src, row_step, pixel_step, channels, dst, point_step,
                       [](const auto& y, auto& r) { gradient_line(y, r); });
}

// The Out x Out tile (line L applied along each row of the 36 points at
// src, then down each column) of the vector of channels at c: the output and
// filter-gradient transforms.
template <typename T, int Out, typename Line>
inline void points_to_tile(const T* src, int64_t point_step, int64_t c, Line line,
                           typename Vec<T>::type (&tile)[Out][Out]) {
  using V = typename Vec<T>::type;
  V rows[6][Out];  // L applied along each row of points: [point row][tile column]
  FASTNN_UNROLL
  for (int i = 0; i < 6; ++i) {
    V u[6];
    FASTNN_UNROLL
    for (int j = 0; j < 6; ++j) u[j] = load(src + (i * 6 + j) * point_step + c);
    line(u, rows[i]);
  }
  FASTNN_UNROLL
  for (int x = 0; x < Out; ++x) {
    V u[6], r[Out];
    FASTNN_UNROLL
    for (int i = 0; i < 6; ++i) u[i] = rows[i][x];
    line(u, r);
    FASTNN_UNROLL
    for (int y = 0; y < Out; ++y) tile[y][x] = r[y];
  }
}

// The 3 x 3 taps of G^T u G for the 36 points u at src (weight_tile's adjoint).
template <typename T>
void weight_gradient_tile(const T* src, int64_t point_step, int64_t channels, T* dst, int64_t tap_step) {
  for (int64_t c = 0; c < channels; c += Vec<T>::width) {
    typename Vec<T>::type taps[3][3];
    points_to_tile<T, 3>(src, point_step, c, [](const auto& u, auto& r) { weight_gradient_line(u, r); }, taps);
    FASTNN_UNROLL
    for (int y = 0; y < 3; ++y)
      FASTNN_UNROLL
      for (int x = 0; x < 3; ++x) store(dst + (y * 3 + x) * tap_step + c, taps[y][x]);
  }
}

// The W x W block v (W vectors of W lanes) transposed in place: log2(W)
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

// Within each group of four lanes, lanes of a and b (lanes W.. of the pair):
// the unpack shuffles of a 4 x 4 transpose in every 128-bit lane at once.
// Lane i of a group takes pair lane `base + offset(i)`.
template <int W>
constexpr int unpack_lane(int lane, bool high, bool pairs) {
  const int base = lane & ~3, i = lane & 3;
  const int from_b = pairs ? i >> 1 : i & 1, at = pairs ? i & 1 : i >> 1;
  return from_b * W + base + (high ? 2 : 0) + at;
}

template <bool High, bool Pairs, typename V, std::size_t... Lane>
inline V unpack(V a, V b, std::index_sequence<Lane...>) {
  constexpr int W = sizeof...(Lane);
  using Mask = typename Lanes<int32_t, W>::type;
  return __builtin_shuffle(a, b, Mask{unpack_lane<W>(int(Lane), High, Pairs)...});
}

// Channels Lane .. Lane + 3 of a row (runs[j] holding channel Lane + j's
// four values in lanes Lane .. Lane + 3), each to its plane.
template <bool Whole, int Lane, typename V>
inline void store_runs(const V (&runs)[4], float* row, int64_t channel_step, int64_t channels, int64_t cols) {
  FASTNN_UNROLL
  for (int j = 0; j < 4; ++j) {
    const auto run = __builtin_shufflevector(runs[j], runs[j], Lane, Lane + 1, Lane + 2, Lane + 3);
    if (Whole)
      store_lanes(row + (Lane + j) * channel_step, run);
    else if (Lane + j < channels)
      std::memcpy(row + (Lane + j) * channel_step, &run, cols * sizeof(float));
  }
}

// The tile's 16 pixels of a vector of channels (pixels[y * 4 + x]) into the
// NCHW output. For each output row, the four pixel vectors are transposed in
// every group of four lanes, after which 128-bit lane L of vector j holds the
// row's four values of channel 4 L + j: stored as they are. Whole: every
// channel of the vector and all four columns are stored (no checks).
template <bool Whole, std::size_t... Group>
inline void store_tile(typename Vec<float>::type (&pixels)[16], int64_t channels, float* dst, int64_t channel_step,
                       int64_t row_step, int64_t rows, int64_t cols, std::index_sequence<Group...>) {
  using V = typename Vec<float>::type;
  const auto each = std::make_index_sequence<Vec<float>::width>{};
  for (int64_t y = 0; y < rows; ++y) {
    const V* p = pixels + 4 * y;
    const V low01 = unpack<false, false>(p[0], p[1], each), high01 = unpack<true, false>(p[0], p[1], each);
    const V low23 = unpack<false, false>(p[2], p[3], each), high23 = unpack<true, false>(p[2], p[3], each);
    const V runs[4] = {unpack<false, true>(low01, low23, each), unpack<true, true>(low01, low23, each),
                       unpack<false, true>(high01, high23, each), unpack<true, true>(high01, high23, each)};
    (store_runs<Whole, 4 * int(Group)>(runs, dst + y * row_step, channel_step, channels, cols), ...);
  }
}

template <typename T>
void output_tile(const T* src, int64_t point_step, int64_t channels, const T* bias, T* dst, int64_t channel_step,
                 int64_t row_step, int64_t rows, int64_t cols) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  for (int64_t c = 0; c < channels; c += W) {
    V tile[4][4], pixels[16];
    points_to_tile<T, 4>(src, point_step, c, [](const auto& m, auto& r) { output_line(m, r); }, tile);
    const V b = load(bias + c);
    FASTNN_UNROLL
    for (int i = 0; i < 16; ++i) pixels[i] = tile[i / 4][i % 4] + b;
    const auto groups = std::make_index_sequence<W / 4>{};
    if (channels - c >= W && cols == 4)
      store_tile<true>(pixels, W, dst + c * channel_step, channel_step, row_step, rows, cols, groups);
    else
      store_tile<false>(pixels, channels - c, dst + c * channel_step, channel_step, row_step, rows, cols, groups);
  }
}

}  // namespace

WinogradKernels winograd_kernels() {
  return {&weight_tile<float>,   &channels_last_row<float>, &input_tile<float>, &output_tile<float>,
          &gradient_tile<float>, &weight_gradient_tile<float>, Vec<float>::width};
}

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
