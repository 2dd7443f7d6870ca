// The im2col / col2im channel kernels, written once as plain loops and
// compiled per ISA: included only by ops/conv2d_columns_<isa>.cpp after they
// define FASTNN_ISA_NAMESPACE and FASTNN_VECTOR_BYTES.
#include <algorithm>
#include <cstdint>

#include "core/simd_impl.h"
#include "ops/conv2d_columns.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// Visits the input rows one phase at a time: f(h, padded index of row h's
// first column in the phase, that input column w0); the phase holds columns
// w0, w0 + stride_w, ... at consecutive padded indices, so each visit is a
// plain strided copy loop. The divisions are done once per phase, not per row.
template <typename F>
inline void for_row_phases(const Conv2dShape& s, const PaddedLayout& p, F&& f) {
  for (int64_t phase = 0; phase < p.phases; ++phase) {
    const int64_t w0 = ((phase - s.pad_w) % p.phases + p.phases) % p.phases;  // (w0 + pad_w) % phases == phase
    if (w0 >= s.W) continue;
    const int64_t first = p.at(s.pad_h, w0 + s.pad_w);
    for (int64_t h = 0; h < s.H; ++h) f(h, first + h * p.wq, w0);
  }
}

// to[k] = from[k * stride] for k < n; strides 1 and 2 (the common ones) as
// loops with a constant stride, which the compiler vectorises.
template <typename T>
inline void gather_strided(T* __restrict to, const T* __restrict from, int64_t n, int64_t stride) {
  if (stride == 1)
    copy_run(to, from, n);
  else if (stride == 2)
    for (int64_t k = 0; k < n; ++k) to[k] = from[2 * k];
  else
    for (int64_t k = 0; k < n; ++k) to[k] = from[k * stride];
}

// Stride 2 across: each row's even and odd columns go to their two phases
// together, split by shuffles a pair of vectors at a time.
template <typename T>
void pad_stride2(const Conv2dShape& s, const PaddedLayout& p, const T* x, T* padded) {
  constexpr int W = Vec<T>::width;
  const auto each = std::make_index_sequence<W>{};
  const int64_t pairs = s.W / (2 * W);
  for (int64_t h = 0; h < s.H; ++h) {
    const T* row = x + h * s.W;
    T* even = padded + p.at(h + s.pad_h, s.pad_w);      // columns 0, 2, 4, ... of the row
    T* odd = padded + p.at(h + s.pad_h, s.pad_w + 1);   // columns 1, 3, 5, ...
    for (int64_t j = 0; j < pairs; ++j) {
      const Values<T, W> a = load_lanes<W>(row + 2 * W * j), b = load_lanes<W>(row + 2 * W * j + W);
      store_lanes(even + W * j, every_other<0, T, W>(a, b, each));
      store_lanes(odd + W * j, every_other<1, T, W>(a, b, each));
    }
    for (int64_t w = 2 * W * pairs; w < s.W; ++w) (w % 2 == 0 ? even : odd)[w / 2] = row[w];
  }
}

template <typename T>
void pad(const Conv2dShape& s, const T* x, T* padded) {
  const PaddedLayout p(s);
  std::fill(padded, padded + p.size(), T(0));
  if (p.phases == 2) return pad_stride2(s, p, x, padded);
  for_row_phases(s, p, [&](int64_t h, int64_t at, int64_t w0) {
    gather_strided(padded + at, x + h * s.W + w0, (s.W - w0 + p.phases - 1) / p.phases, p.phases);
  });
}

// Walks the row pieces of output pixels [p0, p1): a partial first row, whole
// rows, a partial last row. f(band offset, padded offset from the tap's run
// start, count); whole rows pass the same count every time, so their loop is
// the plain one.
template <typename F>
inline void for_band_rows(const Conv2dShape& s, int64_t row_step, int64_t p0, int64_t p1, F&& f) {
  const int64_t n = p1 - p0;
  int64_t oh = p0 / s.OW, at = 0;
  if (p0 % s.OW != 0) {
    at = std::min(s.OW - p0 % s.OW, n);
    f(int64_t(0), oh * row_step + p0 % s.OW, at);
    ++oh;
  }
  for (; at + s.OW <= n; at += s.OW, ++oh) f(at, oh * row_step, s.OW);
  if (at < n) f(at, oh * row_step, n - at);
}

template <typename T>
void im2col(const Conv2dShape& s, const T* padded, int64_t p0, int64_t p1, T* col) {
  const PaddedLayout p(s);
  for (int64_t kh = 0; kh < s.KH; ++kh)
    for (int64_t kw = 0; kw < s.KW; ++kw) {
      T* __restrict row = col + (kh * s.KW + kw) * (p1 - p0);
      const T* __restrict in = padded + p.tap(s, kh, kw);
      for_band_rows(s, s.stride_h * p.wq, p0, p1,
                    [&](int64_t to, int64_t from, int64_t count) { copy_run(row + to, in + from, count); });
    }
}

template <typename T>
void col2im(const Conv2dShape& s, const T* col, int64_t p0, int64_t p1, T* padded) {
  const PaddedLayout p(s);
  for (int64_t kh = 0; kh < s.KH; ++kh)
    for (int64_t kw = 0; kw < s.KW; ++kw) {
      const T* __restrict row = col + (kh * s.KW + kw) * (p1 - p0);
      T* __restrict out = padded + p.tap(s, kh, kw);
      for_band_rows(s, s.stride_h * p.wq, p0, p1, [&](int64_t from, int64_t to, int64_t count) {
        for (int64_t i = 0; i < count; ++i) out[to + i] += row[from + i];
      });
    }
}

// pad_stride2's adjoint: each row's two phases interleaved back together.
template <typename T>
void crop_stride2(const Conv2dShape& s, const PaddedLayout& p, const T* padded, T* dx) {
  constexpr int W = Vec<T>::width;
  const auto each = std::make_index_sequence<W>{};
  const int64_t pairs = s.W / (2 * W);
  for (int64_t h = 0; h < s.H; ++h) {
    T* row = dx + h * s.W;
    const T* even = padded + p.at(h + s.pad_h, s.pad_w);
    const T* odd = padded + p.at(h + s.pad_h, s.pad_w + 1);
    for (int64_t j = 0; j < pairs; ++j) {
      const Values<T, W> a = load_lanes<W>(even + W * j), b = load_lanes<W>(odd + W * j);
      store_lanes(row + 2 * W * j, interleave<0, T, W>(a, b, each));
      store_lanes(row + 2 * W * j + W, interleave<1, T, W>(a, b, each));
    }
    for (int64_t w = 2 * W * pairs; w < s.W; ++w) row[w] = (w % 2 == 0 ? even : odd)[w / 2];
  }
}

template <typename T>
void crop(const Conv2dShape& s, const T* padded, T* dx) {
  const PaddedLayout p(s);
  if (p.phases == 2) return crop_stride2(s, p, padded, dx);
  for_row_phases(s, p, [&](int64_t h, int64_t at, int64_t w0) {
    T* to = dx + h * s.W;
    for (int64_t w = w0; w < s.W; w += p.phases) to[w] = padded[at++];
  });
}

template <typename T>
ColumnKernels<T> column_kernels() {
  return {&pad<T>, &im2col<T>, &col2im<T>, &crop<T>};
}

}  // namespace

ColumnKernels<float> conv_columns_f32() { return column_kernels<float>(); }
ColumnKernels<double> conv_columns_f64() { return column_kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
