// The depthwise row kernel, written once with GCC vector extensions and
// compiled per ISA: included only by ops/conv2d_depthwise_rows_<isa>.cpp after
// they define FASTNN_ISA_NAMESPACE and FASTNN_VECTOR_BYTES.
#include <algorithm>
#include <cstdint>

#include "core/simd_impl.h"
#include "ops/conv2d_depthwise_rows.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// Outputs [c, c + NV * W) of output rows [r, r + R): R * NV independent FMA
// chains (one per row would wait on the FMA latency), each weight broadcast
// once for all of them. With K > 0 the kernel is K x K, undilated, and known
// here: each input row's vectors are loaded once for the (up to K) output
// rows they feed, not once per tap row.
template <typename T, int NV, int R, int K>
inline void depthwise_block(const DepthwiseTaps<T>& t, int64_t r, int64_t c) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  const int64_t ld = t.ld_in;
  V acc[R][NV];
  FASTNN_UNROLL for (int i = 0; i < R; ++i)
    FASTNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = V{} + t.bias;
  if constexpr (K > 0) {
    const T* src = t.in + r * ld + c;
    FASTNN_UNROLL for (int j = 0; j < R + K - 1; ++j)
      FASTNN_UNROLL for (int kw = 0; kw < K; ++kw)
        FASTNN_UNROLL for (int v = 0; v < NV; ++v) {
          const V in = load_once(src + j * ld + kw + v * W);
          FASTNN_UNROLL for (int kh = 0; kh < K; ++kh)
            if (j - kh >= 0 && j - kh < R) acc[j - kh][v] += broadcast(t.weight + kh * K + kw) * in;
        }
  } else {
    for (int64_t kh = 0; kh < t.kh_count; ++kh)
      for (int64_t kw = 0; kw < t.kw_count; ++kw) {
        const V weight = broadcast(t.weight + kh * t.kw_count + kw);
        const T* src = t.in + (r + kh * t.dil_h) * ld + c + kw * t.dil_w;
        FASTNN_UNROLL for (int i = 0; i < R; ++i)
          FASTNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] += weight * load(src + i * ld + v * W);
      }
  }
  // When one block spans the row, its last, partial vector is stored whole
  // while another row follows: its lanes past the row land in the next one,
  // which is stored after it (blocks and their rows go in order, a plane per
  // call). Only the plane's last row then goes lane by lane.
  FASTNN_UNROLL for (int i = 0; i < R; ++i) {
    T* out = t.out + (r + i) * t.cols;
    const bool spills_into_next_row = r + i + 1 < t.rows && t.cols >= W && t.cols <= NV * W;
    FASTNN_UNROLL for (int v = 0; v < NV; ++v) {
      const int64_t at = c + v * W;
      if (at + W <= t.cols || (at < t.cols && spills_into_next_row)) {
        store(out + at, acc[i][v]);
      } else if (at < t.cols) {
        alignas(64) T spill[W];
        store(spill, acc[i][v]);
        for (int64_t j = 0; j < t.cols - at; ++j) out[at + j] = spill[j];
      }
    }
  }
}

template <typename T, int NV, int R, int K>
void depthwise_rows_of(const DepthwiseTaps<T>& t) {
  constexpr int64_t B = NV * Vec<T>::width;
  int64_t r = 0;
  for (; r + R <= t.rows; r += R)
    for (int64_t c = 0; c < t.cols; c += B) depthwise_block<T, NV, R, K>(t, r, c);
  for (; r < t.rows; ++r)
    for (int64_t c = 0; c < t.cols; c += B) depthwise_block<T, NV, 1, K>(t, r, c);
}

template <typename T, int NV, int R>
void depthwise_rows(const DepthwiseTaps<T>& t) {
  if (t.kh_count == 3 && t.kw_count == 3 && t.dil_h == 1 && t.dil_w == 1) return depthwise_rows_of<T, NV, R, 3>(t);
  depthwise_rows_of<T, NV, R, 0>(t);
}

// Taps [first, first + kTapsPerPass) at once, row by row: each row of dy is
// loaded once for all of them (and summed for the bias), and their vector
// accumulators are that many independent FMA chains. Taps past the last read
// as tap 0 and are dropped. With kKW > 0 (then first == 0 and taps ==
// kTapsPerPass) the kernel's width and column dilation are constants: a row's
// reads are a few base addresses with fixed displacements, not one register
// per tap. The columns past a row's last full vector are read as its last W
// columns with the lanes already counted left out (an input lane may hold
// inf); rows narrower than a vector go lane by lane. Each sum's lanes are
// reduced in a fixed order at the end.
constexpr int kTapsPerPass = 9;

template <typename T, int kKW, int kDilW>
void weight_grad_taps(const DepthwiseGradTaps<T>& t, int64_t first) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width, kSums = kTapsPerPass + 1;  // the last: dy's own sum
  const int64_t cols = t.cols, full = cols / W * W, rest = cols - full, taps = t.kh_count * t.kw_count;
  const int64_t kw_count = kKW > 0 ? kKW : t.kw_count, dil_w = kKW > 0 ? kDilW : t.dil_w;
  alignas(64) T lane_index[W];
  for (int i = 0; i < W; ++i) lane_index[i] = T(i);
  const auto fresh = load(lane_index) >= T(W - rest);
  const bool vector_tail = rest > 0 && cols >= W;
  int64_t offset[kTapsPerPass];
  FASTNN_UNROLL for (int k = 0; k < kTapsPerPass; ++k) {
    const int64_t tap = kKW > 0 ? k : first + k < taps ? first + k : 0;
    offset[k] = tap / kw_count * t.dil_h * t.ld_in + tap % kw_count * dil_w;
  }
  V acc[kSums];
  T scalar_tail[kSums];
  FASTNN_UNROLL for (int k = 0; k < kSums; ++k) acc[k] = V{}, scalar_tail[k] = T(0);
  for (int64_t r = 0; r < t.rows; ++r) {
    const T* grad = t.dy + r * cols;
    const T* row = t.in + r * t.ld_in;
    for (int64_t c = 0; c < full; c += W) {
      const V g = load(grad + c);
      FASTNN_UNROLL for (int k = 0; k < kTapsPerPass; ++k) acc[k] += g * load(row + offset[k] + c);
      acc[kTapsPerPass] += g;
    }
    if (vector_tail) {
      const V g = fresh ? load(grad + cols - W) : V{};
      FASTNN_UNROLL for (int k = 0; k < kTapsPerPass; ++k) {
        const V product = g * load(row + offset[k] + cols - W);
        acc[k] = fresh ? acc[k] + product : acc[k];
      }
      acc[kTapsPerPass] += g;
    } else {
      for (int64_t c = full; c < cols; ++c) {
        FASTNN_UNROLL for (int k = 0; k < kTapsPerPass; ++k) scalar_tail[k] += grad[c] * row[offset[k] + c];
        scalar_tail[kTapsPerPass] += grad[c];
      }
    }
  }
  for (int k = 0; k < kTapsPerPass && first + k < taps; ++k)
    t.grad_w[first + k] += reduce_lanes<T>(acc[k]) + scalar_tail[k];
  if (first == 0 && t.grad_bias != nullptr)
    *t.grad_bias += reduce_lanes<T>(acc[kTapsPerPass]) + scalar_tail[kTapsPerPass];
}

// One vector-wide column strip of a 3x3 undilated kernel's sums, down the
// input rows: each input row's three shifted vectors are loaded once for the
// three output rows they feed (whose dy stay in registers), not once per tap.
// Input row j feeds output rows j - kh for kh in [KH0, KH1]; in the last strip
// of a row that is not a whole number of vectors (Tail) the lanes already
// summed by the strip before are read as zeros.
template <typename T, bool Tail, int KH0, int KH1>
inline void strip_row(const DepthwiseGradTaps<T>& t, int64_t j, int64_t c, typename Vec<T>::type keep,
                      typename Vec<T>::type (&dy)[3], typename Vec<T>::type (&acc)[10]) {
  using V = typename Vec<T>::type;
  const auto read = [&](const T* p) { return Tail ? (keep != 0 ? load_once(p) : V{}) : load_once(p); };
  dy[2] = dy[1], dy[1] = dy[0];
  if constexpr (KH0 == 0) {
    dy[0] = read(t.dy + j * t.cols + c);
    acc[9] += dy[0];
  }
  const T* row = t.in + j * t.ld_in + c;
  FASTNN_UNROLL for (int kw = 0; kw < 3; ++kw) {
    const V in = read(row + kw);
    FASTNN_UNROLL for (int kh = KH0; kh <= KH1; ++kh) acc[kh * 3 + kw] += dy[kh] * in;
  }
}

template <typename T, bool Tail>
inline void weight_grad_strip(const DepthwiseGradTaps<T>& t, int64_t c, typename Vec<T>::type keep,
                              typename Vec<T>::type (&acc)[10]) {
  typename Vec<T>::type dy[3] = {};
  const int64_t rows = t.rows;
  if (rows == 1) {
    strip_row<T, Tail, 0, 0>(t, 0, c, keep, dy, acc);
    strip_row<T, Tail, 1, 1>(t, 1, c, keep, dy, acc);
  } else {
    strip_row<T, Tail, 0, 0>(t, 0, c, keep, dy, acc);
    strip_row<T, Tail, 0, 1>(t, 1, c, keep, dy, acc);
    for (int64_t j = 2; j < rows; ++j) strip_row<T, Tail, 0, 2>(t, j, c, keep, dy, acc);
    strip_row<T, Tail, 1, 2>(t, rows, c, keep, dy, acc);
  }
  strip_row<T, Tail, 2, 2>(t, rows + 1, c, keep, dy, acc);
}

// The 3x3 undilated kernel's taps and dy's sum, strip by strip (rows at least
// a vector wide).
template <typename T>
void weight_grad_3x3(const DepthwiseGradTaps<T>& t) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  V acc[10];
  FASTNN_UNROLL for (int k = 0; k < 10; ++k) acc[k] = V{};
  const int64_t full = t.cols / W * W, rest = t.cols - full;
  for (int64_t c = 0; c < full; c += W) weight_grad_strip<T, false>(t, c, V{}, acc);
  if (rest > 0) {
    alignas(64) T lane_index[W];
    for (int i = 0; i < W; ++i) lane_index[i] = T(i);
    const V keep = load(lane_index) >= T(W - rest) ? V{} + 1 : V{};
    weight_grad_strip<T, true>(t, t.cols - W, keep, acc);
  }
  for (int k = 0; k < kTapsPerPass; ++k) t.grad_w[k] += reduce_lanes<T>(acc[k]);
  if (t.grad_bias != nullptr) *t.grad_bias += reduce_lanes<T>(acc[9]);
}

template <typename T>
void depthwise_weight_grad(const DepthwiseGradTaps<T>& t) {
  const bool three_by_three = t.kh_count == 3 && t.kw_count == 3 && t.dil_h == 1 && t.dil_w == 1;
  if (three_by_three && t.cols >= Vec<T>::width && t.rows > 0) return weight_grad_3x3<T>(t);
  if (t.kh_count * t.kw_count == kTapsPerPass && t.kw_count == 3 && t.dil_w == 1)
    return weight_grad_taps<T, 3, 1>(t, 0);
  for (int64_t first = 0; first < t.kh_count * t.kw_count; first += kTapsPerPass)
    weight_grad_taps<T, 0, 0>(t, first);
}

template <typename T>
void copy_rows(int64_t rows, int64_t cols, const T* __restrict plane, T* __restrict to, int64_t ld) {
  for (int64_t h = 0; h < rows; ++h) copy_run(to + h * ld, plane + h * cols, cols);
}

template <typename T, int NV, int R>
DepthwiseRowKernel<T> row_kernel() {
  return {&depthwise_rows<T, NV, R>, NV * Vec<T>::width, &depthwise_weight_grad<T>, &copy_rows<T>};
}

}  // namespace

// 128 bytes of outputs per row, from as many rows at once as make 8
// accumulators: enough chains to hide the FMA latency, half of even SSE's
// 16 registers.
constexpr int kBlockVectors = 128 / FASTNN_VECTOR_BYTES, kBlockRows = 8 / kBlockVectors;
DepthwiseRowKernel<float> depthwise_rows_f32() { return row_kernel<float, kBlockVectors, kBlockRows>(); }
DepthwiseRowKernel<double> depthwise_rows_f64() { return row_kernel<double, kBlockVectors, kBlockRows>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
