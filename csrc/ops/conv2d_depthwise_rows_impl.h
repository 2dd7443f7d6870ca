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

// NV vectors of outputs per block: enough independent FMA chains to hide the
// latency, few enough to leave registers for the loads.
template <typename T, int NV>
void depthwise_rows(const DepthwiseTaps<T>& t) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width, B = NV * W;
  const int64_t taps_w = t.kw_count, ld = t.ld_in;
  for (int64_t r = 0; r < t.rows; ++r) {
    const T* row = t.in + r * ld;
    T* out = t.out + r * t.cols;
    for (int64_t c = 0; c < t.cols; c += B) {
      V acc[NV];
      for (int v = 0; v < NV; ++v) acc[v] = V{} + t.bias;
      for (int64_t kh = 0; kh < t.kh_count; ++kh) {
        const T* src = row + kh * t.dil_h * ld + c;
        for (int64_t kw = 0; kw < taps_w; ++kw) {
          const V weight = broadcast(t.weight + kh * taps_w + kw);
          const T* p = src + kw * t.dil_w;
          for (int v = 0; v < NV; ++v) acc[v] += weight * load(p + v * W);
        }
      }
      if (c + B <= t.cols) {
        for (int v = 0; v < NV; ++v) store(out + c + v * W, acc[v]);
      } else {  // the row's last, partial block
        alignas(64) T spill[B];
        for (int v = 0; v < NV; ++v) store(spill + v * W, acc[v]);
        std::copy(spill, spill + (t.cols - c), out + c);
      }
    }
  }
}

// One vector of partial sums per tap across the plane, each reduced lane by
// lane in a fixed order at the end, plus the columns past the last full vector.
template <typename T>
void depthwise_weight_grad(const T* in, int64_t ld, const T* dy, int64_t rows, int64_t cols, int64_t kh_count,
                           int64_t kw_count, int64_t dil_h, int64_t dil_w, T* grad_w) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  const int64_t taps = kh_count * kw_count, full = cols / W * W;
  V acc[kMaxDepthwiseTaps];
  T tail[kMaxDepthwiseTaps];
  for (int64_t t = 0; t < taps; ++t) acc[t] = V{}, tail[t] = T(0);
  for (int64_t r = 0; r < rows; ++r) {
    const T* grad = dy + r * cols;
    for (int64_t kh = 0; kh < kh_count; ++kh) {
      const T* src = in + (r + kh * dil_h) * ld;
      for (int64_t kw = 0; kw < kw_count; ++kw) {
        const T* p = src + kw * dil_w;
        V sum = acc[kh * kw_count + kw];
        for (int64_t c = 0; c < full; c += W) sum += load(grad + c) * load(p + c);
        acc[kh * kw_count + kw] = sum;
        for (int64_t c = full; c < cols; ++c) tail[kh * kw_count + kw] += grad[c] * p[c];
      }
    }
  }
  for (int64_t t = 0; t < taps; ++t) {
    alignas(64) T lanes[W];
    store(lanes, acc[t]);
    for (int width = W / 2; width >= 1; width /= 2)
      for (int i = 0; i < width; ++i) lanes[i] += lanes[i + width];
    grad_w[t] += lanes[0] + tail[t];
  }
}

template <typename T, int NV>
DepthwiseRowKernel<T> row_kernel() {
  return {&depthwise_rows<T, NV>, NV * Vec<T>::width, &depthwise_weight_grad<T>};
}

}  // namespace

DepthwiseRowKernel<float> depthwise_rows_f32() { return row_kernel<float, 2 * 64 / FASTNN_VECTOR_BYTES>(); }
DepthwiseRowKernel<double> depthwise_rows_f64() { return row_kernel<double, 2 * 64 / FASTNN_VECTOR_BYTES>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
