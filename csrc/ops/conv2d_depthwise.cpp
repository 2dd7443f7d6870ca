#include "ops/conv2d_depthwise.h"

#include <algorithm>
#include <type_traits>

#include "core/cpu.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "ops/conv2d_depthwise_rows.h"
#include "ops/reduce.h"

namespace fastnn::depthwise {
namespace {

constexpr int64_t kParallelMinElements = 1 << 14;

inline int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

// A zero-padded copy of a plane: hp x wp, the data at (top, left). Rows may be
// wider than the padding needs (min_wp), so row kernels can read whole blocks.
struct Geometry {
  int64_t hp, wp, top, left;
  Geometry(int64_t rows, int64_t cols, int64_t pad_h, int64_t pad_w, int64_t min_wp = 0)
      : hp(rows + 2 * pad_h), wp(std::max(cols + 2 * pad_w, min_wp)), top(pad_h), left(pad_w) {}
  explicit Geometry(const Conv2dShape& s, int64_t min_wp = 0) : Geometry(s.H, s.W, s.pad_h, s.pad_w, min_wp) {}
};

template <typename T>
DepthwiseRowKernel<T> rows_for(Isa isa) {
  return FASTNN_ISA_TABLE(T, isa, depthwise_rows);
}

// Copies a plane into the data part of a padded one whose margins are zero
// already (set once per call; nothing else writes them).
template <typename T>
void copy_into_padded(const DepthwiseRowKernel<T>& rows, int64_t h, int64_t w, const Geometry& g, const T* plane,
                      T* padded) {
  rows.copy_rows(h, w, plane, padded + g.top * g.wp + g.left, g.wp);
}

// The padded-plane position read by tap (kh, kw) for output row oh.
inline int64_t tap_row(const Conv2dShape& s, const Geometry& g, int64_t oh, int64_t kh, int64_t kw) {
  return (oh * s.stride_h + kh * s.dil_h) * g.wp + kw * s.dil_w;
}

// dst[i] += weight * src[i * stride]: the inner loop of every tap, specialised
// for stride 1 so that it vectorises.
template <typename T>
inline void axpy(int64_t n, T weight, const T* __restrict src, int64_t stride, T* __restrict dst) {
  if (stride == 1)
    for (int64_t i = 0; i < n; ++i) dst[i] += weight * src[i];
  else
    for (int64_t i = 0; i < n; ++i) dst[i] += weight * src[i * stride];
}

// dst[i * stride] += weight * src[i]
template <typename T>
inline void scatter_axpy(int64_t n, T weight, const T* __restrict src, T* __restrict dst, int64_t stride) {
  if (stride == 1)
    for (int64_t i = 0; i < n; ++i) dst[i] += weight * src[i];
  else
    for (int64_t i = 0; i < n; ++i) dst[i * stride] += weight * src[i];
}

// One zeroed buffer of `size` elements per thread.
template <typename T>
T* per_thread_planes(int64_t size, int threads) {
  const int64_t total = size * std::max(threads, 1);
  T* planes = thread_scratch(ScratchSlot::op_columns).get<T>(total);
  std::fill(planes, planes + total, T(0));
  return planes;
}

// Adds one (input plane, output-gradient plane) pair's sums to its taps'
// weight gradients and, unless null, to the bias gradient.
template <typename T>
void weight_grad_of_plane(const Conv2dShape& s, const Geometry& g, const DepthwiseRowKernel<T>& rows, const T* padded,
                          const T* grad, T* grad_w, T* grad_b) {
  if (s.stride_h == 1 && s.stride_w == 1)
    return rows.weight_grad({padded, g.wp, grad, s.OH, s.OW, s.KH, s.KW, s.dil_h, s.dil_w, grad_w, grad_b});
  for (int64_t kh = 0; kh < s.KH; ++kh)
    for (int64_t kw = 0; kw < s.KW; ++kw) {
      T sum = T(0);
      for (int64_t oh = 0; oh < s.OH; ++oh)
        sum += dot_fixed_order(grad + oh * s.OW, padded + tap_row(s, g, oh, kh, kw), s.stride_w, s.OW);
      grad_w[kh * s.KW + kw] += sum;
    }
  if (grad_b != nullptr) *grad_b += sum_fixed_order(grad, s.out_plane());
}

}  // namespace

template <typename T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  const DepthwiseRowKernel<T> rows = rows_for<T>(active_isa());
  const bool unit_stride = s.stride_h == 1 && s.stride_w == 1;
  const Geometry g(s, unit_stride ? round_up(s.OW, rows.block) + (s.KW - 1) * s.dil_w : 0);
  const int64_t m = s.out_per_group(), taps = s.KH * s.KW, out_plane = s.out_plane();
  const int threads = max_threads();
  T* planes = per_thread_planes<T>(g.hp * g.wp, threads);
  const int64_t work = s.N * s.C;
#pragma omp parallel for num_threads(threads) schedule(static) if (work * s.H * s.W >= kParallelMinElements)
  for (int64_t item = 0; item < work; ++item) {
    const int64_t n = item / s.C, c = item % s.C;
    T* padded = planes + thread_index() * g.hp * g.wp;
    copy_into_padded(rows, s.H, s.W, g, x + item * s.H * s.W, padded);
    for (int64_t j = 0; j < m; ++j) {
      const int64_t o = c * m + j;
      T* out = y + (n * s.O + o) * out_plane;
      if (unit_stride) {  // every output written once, from registers
        rows.run({padded, g.wp, w + o * taps, s.KH, s.KW, s.dil_h, s.dil_w, bias ? bias[o] : T(0), out, s.OH, s.OW});
        continue;
      }
      std::fill(out, out + out_plane, bias ? bias[o] : T(0));
      for (int64_t kh = 0; kh < s.KH; ++kh)
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          const T weight = w[o * taps + kh * s.KW + kw];
          for (int64_t oh = 0; oh < s.OH; ++oh)
            axpy(s.OW, weight, padded + tap_row(s, g, oh, kh, kw), s.stride_w, out + oh * s.OW);
        }
    }
  }
}

// Stride 1, one output channel per input channel, padding within the kernel's
// reach: dx is the forward's row kernel run over dy padded by (K - 1) * dil - pad
// with the kernel flipped.
template <typename T>
bool backward_input_as_forward(const Conv2dShape& s, const T* dy, const T* w, T* dx) {
  const int64_t full_h = (s.KH - 1) * s.dil_h - s.pad_h, full_w = (s.KW - 1) * s.dil_w - s.pad_w;
  if (s.stride_h != 1 || s.stride_w != 1 || s.out_per_group() != 1 || full_h < 0 || full_w < 0) return false;
  const DepthwiseRowKernel<T> rows = rows_for<T>(active_isa());
  const Geometry g(s.OH, s.OW, full_h, full_w, round_up(s.W, rows.block) + (s.KW - 1) * s.dil_w);
  const int64_t taps = s.KH * s.KW, out_plane = s.out_plane();
  const int threads = max_threads();
  T* planes = per_thread_planes<T>(g.hp * g.wp + taps, threads);
  const int64_t work = s.N * s.C;
#pragma omp parallel for num_threads(threads) schedule(static) if (work * s.H * s.W >= kParallelMinElements)
  for (int64_t item = 0; item < work; ++item) {
    const int64_t c = item % s.C;
    T* padded = planes + thread_index() * (g.hp * g.wp + taps);
    T* flipped = padded + g.hp * g.wp;
    std::reverse_copy(w + c * taps, w + (c + 1) * taps, flipped);
    copy_into_padded(rows, s.OH, s.OW, g, dy + item * out_plane, padded);
    rows.run({padded, g.wp, flipped, s.KH, s.KW, s.dil_h, s.dil_w, T(0), dx + item * s.H * s.W, s.H, s.W});
  }
  return true;
}

template <typename T>
void backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx) {
  if (backward_input_as_forward(s, dy, w, dx)) return;
  const Geometry g(s);
  const int64_t m = s.out_per_group(), taps = s.KH * s.KW, out_plane = s.out_plane();
  const int threads = max_threads();
  T* planes = per_thread_planes<T>(g.hp * g.wp, threads);
  const int64_t work = s.N * s.C;
#pragma omp parallel for num_threads(threads) schedule(static) if (work * s.H * s.W >= kParallelMinElements)
  for (int64_t item = 0; item < work; ++item) {
    const int64_t n = item / s.C, c = item % s.C;
    T* padded = planes + thread_index() * g.hp * g.wp;
    std::fill(padded, padded + g.hp * g.wp, T(0));
    for (int64_t j = 0; j < m; ++j) {
      const int64_t o = c * m + j;
      const T* grad = dy + (n * s.O + o) * out_plane;
      for (int64_t kh = 0; kh < s.KH; ++kh)
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          const T weight = w[o * taps + kh * s.KW + kw];
          for (int64_t oh = 0; oh < s.OH; ++oh)
            scatter_axpy(s.OW, weight, grad + oh * s.OW, padded + tap_row(s, g, oh, kh, kw), s.stride_w);
        }
    }
    T* out = dx + item * s.H * s.W;
    for (int64_t h = 0; h < s.H; ++h)
      for (int64_t wi = 0; wi < s.W; ++wi) out[h * s.W + wi] = padded[(h + s.pad_h) * g.wp + s.pad_w + wi];
  }
}

template <typename T>
void backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw, T* dbias) {
  const int64_t cg = s.in_per_group(), og = s.out_per_group(), taps = s.KH * s.KW, out_plane = s.out_plane();
  const DepthwiseRowKernel<T> rows = rows_for<T>(active_isa());
  const Geometry g(s);
  const int64_t padded_size = g.hp * g.wp;
  T* planes = per_thread_planes<T>(cg * padded_size, max_threads());
  // Each thread sums a run of output channels, every one over the batch in
  // batch order (whatever the thread count), padding a sample's input
  // channels once for all the run's output channels of their group.
  parallel_ranges(s.O, s.N * out_plane * cg, kParallelMinElements, [&](int64_t o0, int64_t o1) {
    T* padded = planes + thread_index() * cg * padded_size;
    std::fill(dw + o0 * cg * taps, dw + o1 * cg * taps, T(0));
    if (dbias != nullptr) std::fill(dbias + o0, dbias + o1, T(0));
    for (int64_t n = 0; n < s.N; ++n)
      for (int64_t o = o0; o < o1; ++o) {
        const int64_t group = o / og;
        if (o == o0 || group != (o - 1) / og)
          for (int64_t c = 0; c < cg; ++c)
            copy_into_padded(rows, s.H, s.W, g, x + (n * s.C + group * cg + c) * s.H * s.W, padded + c * padded_size);
        const T* grad = dy + (n * s.O + o) * out_plane;
        for (int64_t c = 0; c < cg; ++c)
          weight_grad_of_plane(s, g, rows, padded + c * padded_size, grad, dw + (o * cg + c) * taps,
                               c == 0 && dbias != nullptr ? dbias + o : nullptr);
      }
  });
}

#define FASTNN_INSTANTIATE_DEPTHWISE(T)                                                  \
  template void forward<T>(const Conv2dShape&, const T*, const T*, const T*, T*);         \
  template void backward_input<T>(const Conv2dShape&, const T*, const T*, T*);            \
  template void backward_weight<T>(const Conv2dShape&, const T*, const T*, T*, T*);
FASTNN_INSTANTIATE_DEPTHWISE(float)
FASTNN_INSTANTIATE_DEPTHWISE(double)

}  // namespace fastnn::depthwise
