// The max-pool plane kernels, written once as plain loops and compiled per
// ISA: included only by ops/pool2d_planes_<isa>.cpp after they define
// FASTNN_ISA_NAMESPACE.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "core/simd_impl.h"

#include "ops/pool2d_planes.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// Selects, not branches, on the maximum's offset in its window (scanned in
// PyTorch's order), in 32-bit lanes like the values, so that the loop vectorises.
template <typename T>
void max_2x2(int64_t OH, int64_t OW, int64_t W, const T* __restrict in, T* __restrict out, int64_t* __restrict idx) {
  const int32_t w = int32_t(W);
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* r0 = in + 2 * oh * W;
    const T* r1 = r0 + W;
    const int64_t base = 2 * oh * W;
    for (int64_t ow = 0; ow < OW; ++ow) {
      const T b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
      T best = r0[2 * ow];
      int32_t offset = 0;
      bool take = (b > best) | (b != b);  // larger, or NaN
      best = take ? b : best;
      offset = take ? 1 : offset;
      take = (c > best) | (c != c);
      best = take ? c : best;
      offset = take ? w : offset;
      take = (d > best) | (d != d);
      best = take ? d : best;
      offset = take ? w + 1 : offset;
      out[oh * OW + ow] = best;
      idx[oh * OW + ow] = base + 2 * ow + offset;
    }
  }
}

// Its adjoint: every input of a window is written, the gradient at the
// window's maximum and zero elsewhere (no zero fill, no scatter); inputs no
// window covers (an odd last row or column) get zero.
template <typename T>
void max_2x2_backward(int64_t H, int64_t W, int64_t OH, int64_t OW, const T* __restrict grad,
                      const int64_t* __restrict idx, T* __restrict out) {
  const int32_t w = int32_t(W);
  for (int64_t oh = 0; oh < OH; ++oh) {
    T* r0 = out + 2 * oh * W;
    T* r1 = r0 + W;
    const int64_t base = 2 * oh * W;
    for (int64_t ow = 0; ow < OW; ++ow) {
      const T g = grad[oh * OW + ow];
      const int32_t at = int32_t(idx[oh * OW + ow] - base) - int32_t(2 * ow);  // 32-bit lanes: vectorises
      const T g0 = at == 0 ? g : T(0), g1 = at == 1 ? g : T(0), g2 = at == w ? g : T(0), g3 = at == w + 1 ? g : T(0);
      r0[2 * ow] = g0;
      r0[2 * ow + 1] = g1;
      r1[2 * ow] = g2;
      r1[2 * ow + 1] = g3;
    }
    for (int64_t col = 2 * OW; col < W; ++col) r0[col] = r1[col] = T(0);
  }
  std::fill(out + 2 * OH * W, out + H * W, T(0));
}

template <typename T>
struct IndexLanes {  // one int64 per lane of T
  typedef int64_t type __attribute__((vector_size(Vec<T>::width * sizeof(int64_t))));
};

template <typename T, std::size_t... Lane>
inline typename Vec<T>::type even_lanes(typename Vec<T>::type a, typename Vec<T>::type b,
                                        std::index_sequence<Lane...>) {
  return __builtin_shuffle(a, b, IntLanes<T>{2 * Lane...});
}

// The inputs of one tap for a vector of outputs: src[j * stride]. A
// compile-time stride of 1 or 2 is a load or two loads and a shuffle; 0 means
// the runtime `stride`, gathered lane by lane.
template <int64_t kStride, typename T>
inline typename Vec<T>::type strided_load(const T* src, int64_t stride) {
  constexpr int W = Vec<T>::width;
  if constexpr (kStride == 1) {
    return load(src);
  } else if constexpr (kStride == 2) {
    return even_lanes<T>(load(src), load(src + W), std::make_index_sequence<W>{});
  } else {
    alignas(64) T lanes[W];
    for (int j = 0; j < W; ++j) lanes[j] = src[j * stride];
    return load(lanes);
  }
}

// Any window, a vector of output columns at a time: their running maxima and
// the maxima's positions relative to the window's corner stay in registers
// across all taps. Rows outside the input are skipped; columns outside it read
// -inf from the padded copies of the rows, so never win: a window whose valid
// taps are all -inf keeps no position, and gets its first valid tap's.
template <int64_t kStride, typename T>
void max_window_rows(const Pool2dShape& s, const MaxPoolTaps& taps, const T* __restrict in, T* __restrict out,
                     int64_t* __restrict idx, T* __restrict rows) {
  using V = typename Vec<T>::type;
  using P = IntLanes<T>;
  using Pos = std::remove_reference_t<decltype(P{}[0])>;
  using Index = typename IndexLanes<T>::type;
  constexpr int W = Vec<T>::width;
  const int64_t ld = taps.padded_width, sw = s.stride_w;
  alignas(64) int64_t lane_step[W];
  for (int j = 0; j < W; ++j) lane_step[j] = j * sw;
  Index column_of_lane;
  std::memcpy(&column_of_lane, lane_step, sizeof column_of_lane);
  for (int64_t oh = 0; oh < s.OH; ++oh) {
    const int64_t h_start = oh * s.stride_h - s.pad_h;
    int64_t kh_lo, kh_hi;
    tap_range(h_start, s.KH, s.dil_h, s.H, kh_lo, kh_hi);
    for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
      const T* from = in + (h_start + kh * s.dil_h) * s.W;
      T* to = rows + kh * ld + s.pad_w;
      for (int64_t i = 0; i < s.W; ++i) to[i] = from[i];
    }
    for (int64_t b0 = 0; b0 < s.OW; b0 += W) {
      V best = V{} - std::numeric_limits<T>::infinity();
      P at = P{} - 1;
      for (int64_t kh = kh_lo; kh < kh_hi; ++kh) {
        const T* row = rows + kh * ld + b0 * sw;
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          const V v = strided_load<kStride>(row + kw * s.dil_w, sw);
          const P take = (v > best) | (v != v);  // larger, or NaN
          best = take ? v : best;
          at = take ? P{} + Pos(kh * s.dil_h * s.W + kw * s.dil_w) : at;
        }
      }
      const Index corner = (h_start * s.W - s.pad_w + b0 * sw) + column_of_lane;
      alignas(64) T values[W];
      alignas(64) int64_t where[W];
      store(values, best);
      const Index position = corner + __builtin_convertvector(at, Index);
      std::memcpy(where, &position, sizeof where);
      const int64_t n = std::min<int64_t>(W, s.OW - b0);
      for (int64_t j = 0; j < n; ++j)
        if (where[j] < corner[j]) where[j] = corner[j] + kh_lo * s.dil_h * s.W + taps.first_col[b0 + j];
      for (int64_t j = 0; j < n; ++j) {
        out[oh * s.OW + b0 + j] = values[j];
        idx[oh * s.OW + b0 + j] = where[j];
      }
    }
  }
}

template <typename T>
void max_window(const Pool2dShape& s, const MaxPoolTaps& taps, const T* in, T* out, int64_t* idx, T* rows) {
  if (s.stride_w == 1)
    max_window_rows<1>(s, taps, in, out, idx, rows);
  else if (s.stride_w == 2)
    max_window_rows<2>(s, taps, in, out, idx, rows);
  else
    max_window_rows<0>(s, taps, in, out, idx, rows);
}

template <typename T>
PoolPlaneKernels<T> plane_kernels() {
  return {&max_2x2<T>, &max_2x2_backward<T>, &max_window<T>};
}

}  // namespace

PoolPlaneKernels<float> pool_planes_f32() { return plane_kernels<float>(); }
PoolPlaneKernels<double> pool_planes_f64() { return plane_kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
