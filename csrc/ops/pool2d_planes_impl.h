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


// A vector of windows' first inputs' flat positions: corner, corner + 2, ...
template <int N, std::size_t... Lane>
inline typename Lanes<int64_t, N>::type window_corners(int64_t corner, std::index_sequence<Lane...>) {
  return corner + typename Lanes<int64_t, N>::type{int64_t(2 * Lane)...};
}

// Where each of a vector of 2x2 windows has its maximum, in one of two
// encodings: its flat position in the plane (what PyTorch returns) or its
// offset in the window, 2 * dh + dw, in a byte (an eighth of the memory
// traffic, what autograd keeps). corner: the first window's flat position.
template <typename T, typename Index, int N>
inline typename Lanes<Index, N>::type encode_window_offsets(Ints<T, N> offset, int64_t corner, int32_t w) {
  using Encoded = typename Lanes<Index, N>::type;
  if constexpr (std::is_same_v<Index, uint8_t>)
    return __builtin_convertvector(offset, Encoded);
  else
    return window_corners<N>(corner, std::make_index_sequence<N>{}) +
           __builtin_convertvector((offset & 1) + (offset >> 1) * w, Encoded);
}

// The window offsets (0-3) indices name; -1 for a position outside the window.
template <typename T, typename Index, int N>
inline Ints<T, N> decode_window_offsets(typename Lanes<Index, N>::type indices, int64_t corner, int32_t w) {
  using P = Ints<T, N>;
  if constexpr (std::is_same_v<Index, uint8_t>) {
    // One width step at a time: GCC widens bytes straight to 32 or 64 bits lane by lane.
    const auto shorts = __builtin_convertvector(indices, typename Lanes<int16_t, N>::type);
    const auto ints = __builtin_convertvector(shorts, typename Lanes<int32_t, N>::type);
    const P offset = __builtin_convertvector(ints, P);
    return offset > 3 ? P{} - 1 : offset;
  } else {
    const auto relative = indices - window_corners<N>(corner, std::make_index_sequence<N>{});
    // Its high half must be zero too: a far index must not wrap onto the window.
    const P low = __builtin_convertvector(relative, P), high = __builtin_convertvector(relative >> 32, P);
    const P at = high == 0 ? low : P{} - 1;
    return at == 0 ? P{} : at == 1 ? P{} + 1 : at == w ? P{} + 2 : at == w + 1 ? P{} + 3 : P{} - 1;
  }
}

// block(lanes, first) for first in [first, end), N at a time while N fit,
// then the rest N / 2, N / 4, ..., 1 at a time; lanes is
// std::integral_constant<int, count>.
template <int N, typename Block>
inline void in_vectors(int64_t first, int64_t end, Block&& block) {
  for (; first + N <= end; first += N) block(std::integral_constant<int, N>{}, first);
  if constexpr (N > 1) in_vectors<N / 2>(first, end, block);
}

// The 2x2 windows of a plane, a vector of them at a time: reduce(taps, first,
// corner) gets the windows' four inputs as vectors (top left, top right,
// bottom left, bottom right), and the first window's output and input positions.
template <typename T, typename Reduce>
void for_2x2_windows(int64_t OH, int64_t OW, int64_t W, const T* in, Reduce&& reduce) {
  for (int64_t oh = 0; oh < OH; ++oh)
    in_vectors<Vec<T>::width>(0, OW, [&](auto lanes, int64_t ow) {
      constexpr int N = decltype(lanes)::value;
      const auto each = std::make_index_sequence<N>{};
      const int64_t corner = 2 * oh * W + 2 * ow;
      const Values<T, N> top0 = load_lanes<N>(in + corner), top1 = load_lanes<N>(in + corner + N);
      const Values<T, N> bottom0 = load_lanes<N>(in + corner + W), bottom1 = load_lanes<N>(in + corner + W + N);
      const Values<T, N> taps[4] = {every_other<0, T, N>(top0, top1, each), every_other<1, T, N>(top0, top1, each),
                                    every_other<0, T, N>(bottom0, bottom1, each),
                                    every_other<1, T, N>(bottom0, bottom1, each)};
      reduce(taps, oh * OW + ow, corner);
    });
}

// Writes every input of a plane once, a vector of 2x2 windows at a time:
// gradients(lanes, first, corner, g) gives the windows' four inputs'
// gradients, with lanes, first and corner as for_2x2_windows; inputs no window
// covers (an odd last row or column) get zero.
template <typename T, typename Gradients>
void for_2x2_inputs(int64_t H, int64_t W, int64_t OH, int64_t OW, T* out, Gradients&& gradients) {
  for (int64_t oh = 0; oh < OH; ++oh) {
    T* r0 = out + 2 * oh * W;
    T* r1 = r0 + W;
    in_vectors<Vec<T>::width>(0, OW, [&](auto lanes, int64_t ow) {
      constexpr int N = decltype(lanes)::value;
      const auto each = std::make_index_sequence<N>{};
      Values<T, N> g[4];
      gradients(lanes, oh * OW + ow, 2 * oh * W + 2 * ow, g);
      store_lanes(r0 + 2 * ow, interleave<0, T, N>(g[0], g[1], each));
      store_lanes(r0 + 2 * ow + N, interleave<1, T, N>(g[0], g[1], each));
      store_lanes(r1 + 2 * ow, interleave<0, T, N>(g[2], g[3], each));
      store_lanes(r1 + 2 * ow + N, interleave<1, T, N>(g[2], g[3], each));
    });
    for (int64_t col = 2 * OW; col < W; ++col) r0[col] = r1[col] = T(0);
  }
  std::fill(out + 2 * OH * W, out + H * W, T(0));
}

// The maximum of each window, chosen by selects in PyTorch's scan order (a
// NaN wins, a later NaN over an earlier one), and where it lies.
template <typename T, typename Index>
void max_2x2(int64_t OH, int64_t OW, int64_t W, const T* __restrict in, T* __restrict out, Index* __restrict idx) {
  const int32_t w = int32_t(W);
  for_2x2_windows(OH, OW, W, in, [&](const auto& taps, int64_t first, int64_t corner) {
    using V = std::decay_t<decltype(taps[0])>;
    constexpr int N = sizeof(V) / sizeof(T);
    using P = Ints<T, N>;
    V best = taps[0];
    P offset = P{};
    for (int tap = 1; tap < 4; ++tap) {
      const P take = (taps[tap] > best) | (taps[tap] != taps[tap]);  // larger, or NaN
      best = take ? taps[tap] : best;
      offset = take ? P{} + tap : offset;
    }
    store_lanes(out + first, best);
    store_lanes(idx + first, encode_window_offsets<T, Index, N>(offset, corner, w));
  });
}

// Its adjoint: the gradient at each window's maximum, zero at its other three
// inputs (no zero fill, no scatter; an index outside its window writes none).
template <typename T, typename Index>
void max_2x2_backward(int64_t H, int64_t W, int64_t OH, int64_t OW, const T* __restrict grad,
                      const Index* __restrict idx, T* __restrict out) {
  const int32_t w = int32_t(W);
  for_2x2_inputs(H, W, OH, OW, out, [&](auto lanes, int64_t first, int64_t corner, auto& g) {
    constexpr int N = decltype(lanes)::value;
    const Values<T, N> dy = load_lanes<N>(grad + first);
    const Ints<T, N> at = decode_window_offsets<T, Index, N>(load_lanes<N>(idx + first), corner, w);
    for (int tap = 0; tap < 4; ++tap) g[tap] = at == tap ? dy : Values<T, N>{};
  });
}

template <typename T>
void avg_2x2(int64_t OH, int64_t OW, int64_t W, const T* __restrict in, T* __restrict out, T scale) {
  for_2x2_windows(OH, OW, W, in, [&](const auto& taps, int64_t first, int64_t) {
    store_lanes(out + first, ((taps[0] + taps[1]) + (taps[2] + taps[3])) * scale);
  });
}

// Its adjoint: each input gets its window's share.
template <typename T>
void avg_2x2_backward(int64_t H, int64_t W, int64_t OH, int64_t OW, const T* __restrict grad, T* __restrict out,
                      T scale) {
  for_2x2_inputs(H, W, OH, OW, out, [&](auto lanes, int64_t first, int64_t, auto& g) {
    const auto share = load_lanes<decltype(lanes)::value>(grad + first) * scale;
    for (int tap = 0; tap < 4; ++tap) g[tap] = share;
  });
}

// The mean of each of `planes` consecutive planes of `size` values: a vector
// of partial sums per plane, the planes' vectors folded together a vector's
// width of planes at a time, then each plane's scalar tail.
template <typename T>
void global_mean(int64_t planes, int64_t size, const T* __restrict in, T* __restrict out) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  const int64_t body = size / W * W;
  for (int64_t p0 = 0; p0 < planes; p0 += W) {
    const int64_t count = std::min<int64_t>(W, planes - p0);
    V partial[W];
    T tail[W];
    for (int j = 0; j < W; ++j) {
      partial[j] = V{};
      tail[j] = T(0);
      if (j >= count) continue;
      const T* plane = in + (p0 + j) * size;
      for (int64_t i = 0; i < body; i += W) partial[j] += load(plane + i);
      for (int64_t i = body; i < size; ++i) tail[j] += plane[i];
    }
    alignas(64) T sums[2 * W];
    lane_sums<T, W>(partial, sums);
    for (int64_t j = 0; j < count; ++j) out[p0 + j] = (sums[j] + tail[j]) / T(size);
  }
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
    return every_other<0, T, W>(load(src), load(src + W), std::make_index_sequence<W>{});
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
  constexpr int W = Vec<T>::width;
  using Index = typename Lanes<int64_t, W>::type;
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
  return {{&max_2x2<T, int64_t>, &max_2x2_backward<T, int64_t>},
          {&max_2x2<T, uint8_t>, &max_2x2_backward<T, uint8_t>},
          &avg_2x2<T>,
          &avg_2x2_backward<T>,
          &max_window<T>,
          &global_mean<T>};
}

}  // namespace

PoolPlaneKernels<float> pool_planes_f32() { return plane_kernels<float>(); }
PoolPlaneKernels<double> pool_planes_f64() { return plane_kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
