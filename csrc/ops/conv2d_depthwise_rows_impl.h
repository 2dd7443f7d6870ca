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
// once for all of them.
template <typename T, int NV, int R>
inline void depthwise_block(const DepthwiseTaps<T>& t, int64_t r, int64_t c) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  const int64_t ld = t.ld_in;
  V acc[R][NV];
  FASTNN_UNROLL for (int i = 0; i < R; ++i)
    FASTNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] = V{} + t.bias;
  for (int64_t kh = 0; kh < t.kh_count; ++kh)
    for (int64_t kw = 0; kw < t.kw_count; ++kw) {
      const V weight = broadcast(t.weight + kh * t.kw_count + kw);
      const T* src = t.in + (r + kh * t.dil_h) * ld + c + kw * t.dil_w;
      FASTNN_UNROLL for (int i = 0; i < R; ++i)
        FASTNN_UNROLL for (int v = 0; v < NV; ++v) acc[i][v] += weight * load(src + i * ld + v * W);
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

template <typename T, int NV, int R>
void depthwise_rows(const DepthwiseTaps<T>& t) {
  constexpr int64_t B = NV * Vec<T>::width;
  int64_t r = 0;
  for (; r + R <= t.rows; r += R)
    for (int64_t c = 0; c < t.cols; c += B) depthwise_block<T, NV, R>(t, r, c);
  for (; r < t.rows; ++r)
    for (int64_t c = 0; c < t.cols; c += B) depthwise_block<T, NV, 1>(t, r, c);
}

// One vector of partial sums per tap across the plane, each reduced lane by
// lane in a fixed order at the end, plus the columns past the last full vector.
template <typename T>
void depthwise_weight_grad(const T* in, int64_t ld, const T* dy, int64_t rows, int64_t cols, int64_t kh_count,
                           int64_t kw_count, int64_t dil_h, int64_t dil_w, T* grad_w) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  const int64_t full = cols / W * W, rest = cols - full;
  // A row's columns past its last full vector are read as the row's last W
  // columns with the lanes already counted masked to zero in both operands (an
  // input lane may hold inf); rows narrower than a vector go lane by lane.
  alignas(64) T lane_index[W];
  for (int i = 0; i < W; ++i) lane_index[i] = T(i);
  const auto fresh = load(lane_index) >= T(W - rest);
  const bool vector_tail = rest > 0 && cols >= W;
  for (int64_t kh = 0; kh < kh_count; ++kh)
    for (int64_t kw = 0; kw < kw_count; ++kw) {
      const T* tap_in = in + kh * dil_h * ld + kw * dil_w;
      T scalar_tail = T(0);
      auto add_row = [&](int64_t r, V& acc) {
        const T* grad = dy + r * cols;
        const T* p = tap_in + r * ld;
        for (int64_t c = 0; c < full; c += W) acc += load(grad + c) * load(p + c);
        if (vector_tail)
          acc += (fresh ? load(grad + cols - W) : V{}) * (fresh ? load(p + cols - W) : V{});
        else
          for (int64_t c = full; c < cols; ++c) scalar_tail += grad[c] * p[c];
      };
      V even = V{}, odd = V{};  // rows alternate between two chains, to hide the FMA latency
      int64_t r = 0;
      for (; r + 1 < rows; r += 2) {
        add_row(r, even);
        add_row(r + 1, odd);
      }
      if (r < rows) add_row(r, even);
      grad_w[kh * kw_count + kw] += reduce_lanes<T>(even + odd) + scalar_tail;
    }
}

template <typename T, int NV, int R>
DepthwiseRowKernel<T> row_kernel() {
  return {&depthwise_rows<T, NV, R>, NV * Vec<T>::width, &depthwise_weight_grad<T>};
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
