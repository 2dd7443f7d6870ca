// The im2col / col2im channel kernels, written once as plain loops and
// compiled per ISA: included only by ops/conv2d_columns_<isa>.cpp after they
// define FASTNN_ISA_NAMESPACE.
#include <algorithm>
#include <cstdint>

#include "ops/conv2d_columns.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// Visits input row h one phase at a time: f(padded index of its first column,
// that input column w0); the phase holds columns w0, w0 + stride_w, ... at
// consecutive padded indices, so each visit is a plain strided copy loop.
template <typename F>
inline void for_row_phases(const Conv2dShape& s, const PaddedLayout& p, int64_t h, F&& f) {
  for (int64_t phase = 0; phase < p.phases; ++phase) {
    const int64_t w0 = ((phase - s.pad_w) % p.phases + p.phases) % p.phases;  // (w0 + pad_w) % phases == phase
    if (w0 < s.W) f(p.at(h + s.pad_h, w0 + s.pad_w), w0);
  }
}

// to[k] = from[k * stride] for k < n; strides 1 and 2 (the common ones) as
// loops with a constant stride, which the compiler vectorises.
template <typename T>
inline void gather_strided(T* __restrict to, const T* __restrict from, int64_t n, int64_t stride) {
  if (stride == 1)
    for (int64_t k = 0; k < n; ++k) to[k] = from[k];
  else if (stride == 2)
    for (int64_t k = 0; k < n; ++k) to[k] = from[2 * k];
  else
    for (int64_t k = 0; k < n; ++k) to[k] = from[k * stride];
}

template <typename T>
void im2col_channel(const Conv2dShape& s, const T* x, T* col, T* padded) {
  const PaddedLayout p(s);
  std::fill(padded, padded + p.size(), T(0));
  for (int64_t h = 0; h < s.H; ++h)
    for_row_phases(s, p, h, [&](int64_t at, int64_t w0) {
      gather_strided(padded + at, x + h * s.W + w0, (s.W - w0 + p.phases - 1) / p.phases, p.phases);
    });
  const int64_t ow_count = s.OW, row_step = s.stride_h * p.wq;
  for (int64_t kh = 0; kh < s.KH; ++kh)
    for (int64_t kw = 0; kw < s.KW; ++kw) {
      T* __restrict row = col + (kh * s.KW + kw) * s.out_plane();
      const T* __restrict in = padded + p.tap(s, kh, kw);
      for (int64_t oh = 0; oh < s.OH; ++oh, row += ow_count, in += row_step)
        for (int64_t ow = 0; ow < ow_count; ++ow) row[ow] = in[ow];
    }
}

template <typename T>
void col2im_channel(const Conv2dShape& s, const T* col, T* dx, T* padded) {
  const PaddedLayout p(s);
  std::fill(padded, padded + p.size(), T(0));
  const int64_t ow_count = s.OW, row_step = s.stride_h * p.wq;
  for (int64_t kh = 0; kh < s.KH; ++kh)
    for (int64_t kw = 0; kw < s.KW; ++kw) {
      const T* __restrict row = col + (kh * s.KW + kw) * s.out_plane();
      T* __restrict out = padded + p.tap(s, kh, kw);
      for (int64_t oh = 0; oh < s.OH; ++oh, row += ow_count, out += row_step)
        for (int64_t ow = 0; ow < ow_count; ++ow) out[ow] += row[ow];
    }
  for (int64_t h = 0; h < s.H; ++h) {
    T* to = dx + h * s.W;
    for_row_phases(s, p, h, [&](int64_t at, int64_t w0) {
      for (int64_t w = w0; w < s.W; w += p.phases) to[w] = padded[at++];
    });
  }
}

template <typename T>
ColumnKernels<T> column_kernels() {
  return {&im2col_channel<T>, &col2im_channel<T>};
}

}  // namespace

ColumnKernels<float> conv_columns_f32() { return column_kernels<float>(); }
ColumnKernels<double> conv_columns_f64() { return column_kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
