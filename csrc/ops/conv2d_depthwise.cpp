#include "ops/conv2d_depthwise.h"

#include <algorithm>

#include "core/scratch.h"
#include "core/threads.h"
#include "ops/reduce.h"

namespace fastnn::depthwise {
namespace {

constexpr int64_t kParallelMinElements = 1 << 14;

struct Geometry {
  int64_t hp, wp;  // padded plane
  explicit Geometry(const Conv2dShape& s) : hp(s.H + 2 * s.pad_h), wp(s.W + 2 * s.pad_w) {}
};

template <typename T>
void pad_plane(const Conv2dShape& s, const Geometry& g, const T* plane, T* padded) {
  std::fill(padded, padded + g.hp * g.wp, T(0));
  for (int64_t h = 0; h < s.H; ++h) {
    const T* from = plane + h * s.W;
    T* to = padded + (h + s.pad_h) * g.wp + s.pad_w;
    for (int64_t w = 0; w < s.W; ++w) to[w] = from[w];
  }
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

template <typename T>
T* per_thread_planes(const Geometry& g, int threads) {
  return thread_scratch(ScratchSlot::op_columns).get<T>(g.hp * g.wp * std::max(threads, 1));
}

}  // namespace

template <typename T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  const Geometry g(s);
  const int64_t m = s.out_per_group(), taps = s.KH * s.KW, out_plane = s.out_plane();
  const int threads = max_threads();
  T* planes = per_thread_planes<T>(g, threads);
  const int64_t work = s.N * s.C;
#pragma omp parallel for num_threads(threads) schedule(static) if (work * s.H * s.W >= kParallelMinElements)
  for (int64_t item = 0; item < work; ++item) {
    const int64_t n = item / s.C, c = item % s.C;
    T* padded = planes + thread_index() * g.hp * g.wp;
    pad_plane(s, g, x + item * s.H * s.W, padded);
    for (int64_t j = 0; j < m; ++j) {
      const int64_t o = c * m + j;
      T* out = y + (n * s.O + o) * out_plane;
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

template <typename T>
void backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx) {
  const Geometry g(s);
  const int64_t m = s.out_per_group(), taps = s.KH * s.KW, out_plane = s.out_plane();
  const int threads = max_threads();
  T* planes = per_thread_planes<T>(g, threads);
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
  const Geometry g(s);
  const int64_t m = s.out_per_group(), taps = s.KH * s.KW, out_plane = s.out_plane();
  const int threads = max_threads();
  T* planes = per_thread_planes<T>(g, threads);
  // One output channel per iteration: its sums over the batch run in batch
  // order, whatever the thread count.
#pragma omp parallel for num_threads(threads) schedule(static) if (s.N * s.O * out_plane >= kParallelMinElements)
  for (int64_t o = 0; o < s.O; ++o) {
    const int64_t c = o / m;
    T* padded = planes + thread_index() * g.hp * g.wp;
    T* grad_w = dw + o * taps;
    std::fill(grad_w, grad_w + taps, T(0));
    T grad_b = T(0);
    for (int64_t n = 0; n < s.N; ++n) {
      pad_plane(s, g, x + (n * s.C + c) * s.H * s.W, padded);
      const T* grad = dy + (n * s.O + o) * out_plane;
      for (int64_t kh = 0; kh < s.KH; ++kh)
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          T sum = T(0);
          for (int64_t oh = 0; oh < s.OH; ++oh)
            sum += dot_fixed_order(grad + oh * s.OW, padded + tap_row(s, g, oh, kh, kw), s.stride_w, s.OW);
          grad_w[kh * s.KW + kw] += sum;
        }
      if (dbias != nullptr) grad_b += sum_fixed_order(grad, out_plane);
    }
    if (dbias != nullptr) dbias[o] = grad_b;
  }
}

#define FASTNN_INSTANTIATE_DEPTHWISE(T)                                                  \
  template void forward<T>(const Conv2dShape&, const T*, const T*, const T*, T*);         \
  template void backward_input<T>(const Conv2dShape&, const T*, const T*, T*);            \
  template void backward_weight<T>(const Conv2dShape&, const T*, const T*, T*, T*);
FASTNN_INSTANTIATE_DEPTHWISE(float)
FASTNN_INSTANTIATE_DEPTHWISE(double)

}  // namespace fastnn::depthwise
