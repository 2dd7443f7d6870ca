#include "ops/conv2d.h"

#include <algorithm>

#include "core/cpu.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "core/transpose.h"
#include "gemm/gemm.h"
#include "ops/conv2d_columns.h"
#include "ops/conv2d_depthwise.h"
#include "ops/reduce.h"

namespace fastnn {
namespace {

// Samples per partial weight gradient: fixed, so the batch reduction is summed
// in the same order whatever the thread count.
constexpr int64_t kBatchChunk = 4;

// im2col and col2im of one sample run on one thread when samples are spread
// over the threads (threads == 1), else with every thread over the channels.
// col[(c * KH + kh) * KW + kw][oh * OW + ow] = padded[c][oh*sh + kh*dh][ow*sw + kw*dw]
template <typename T>
void im2col(const Conv2dShape& s, const T* x, int64_t channels, T* col, T* padded, int threads) {
  const ColumnKernels<T> kernels = FASTNN_ISA_TABLE(T, active_isa(), conv_columns);
  const int64_t padded_size = PaddedLayout(s).size(), taps = s.KH * s.KW;
#pragma omp parallel for schedule(static) if (threads != 1 && channels > 1)
  for (int64_t c = 0; c < channels; ++c)
    kernels.im2col_channel(s, x + c * s.H * s.W, col + c * taps * s.out_plane(), padded + c * padded_size);
}

// The adjoint of im2col: dx = crop(sum of col's taps into the padded plane).
template <typename T>
void col2im(const Conv2dShape& s, const T* col, int64_t channels, T* dx, T* padded, int threads) {
  const ColumnKernels<T> kernels = FASTNN_ISA_TABLE(T, active_isa(), conv_columns);
  const int64_t padded_size = PaddedLayout(s).size(), taps = s.KH * s.KW;
#pragma omp parallel for schedule(static) if (threads != 1 && channels > 1)
  for (int64_t c = 0; c < channels; ++c)
    kernels.col2im_channel(s, col + c * taps * s.out_plane(), dx + c * s.H * s.W, padded + c * padded_size);
}

// Per-thread work memory of an im2col pass: the columns, then the padded sample.
inline int64_t columns_size(const Conv2dShape& s) {
  return s.pointwise() ? 0 : s.col_rows() * s.out_plane() + s.in_per_group() * PaddedLayout(s).size();
}

// Runs body(n, col_buffer, gemm_threads) for every sample: samples spread over
// the threads (each GEMM on one thread) when there are enough of them, else one
// sample after another with every thread inside the GEMM. Either way each
// output element is computed the same way.
template <typename T, typename Body>
void for_each_sample(int64_t samples, int64_t col_size, Body&& body) {
  const int threads = max_threads();
  const bool across = threads > 1 && samples >= threads;
  const int buffers = across ? threads : 1;
  T* cols = thread_scratch(ScratchSlot::op_columns).get<T>(std::max<int64_t>(col_size, 1) * buffers);
  if (across) {
    parallel_for(samples, threads, [&](int64_t n) { body(n, cols + thread_index() * col_size, 1); });
  } else {
    for (int64_t n = 0; n < samples; ++n) body(n, cols, 0);
  }
}

}  // namespace

template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  if (s.in_per_group() == 1) return depthwise::forward(s, x, w, bias, y);
  const int64_t cg = s.in_per_group(), og = s.out_per_group(), k = s.col_rows(), plane = s.out_plane();
  const bool direct = s.pointwise();
  for_each_sample<T>(s.N, columns_size(s), [&](int64_t n, T* work, int threads) {
    T* col = work;
    T* padded = work + k * plane;
    for (int64_t g = 0; g < s.groups; ++g) {
      const T* xg = x + (n * s.C + g * cg) * s.H * s.W;
      T* yg = y + (n * s.O + g * og) * plane;
      if (!direct) im2col(s, xg, cg, col, padded, threads);
      T beta = T(0);
      if (bias != nullptr) {  // start from the bias and let the GEMM accumulate onto it
        for (int64_t o = 0; o < og; ++o) std::fill(yg + o * plane, yg + (o + 1) * plane, bias[g * og + o]);
        beta = T(1);
      }
      gemm<T>(false, false, og, plane, k, T(1), w + g * og * k, k, direct ? xg : col, plane, beta, yg, plane,
              threads);
    }
  });
}

template <typename T>
void conv2d_backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx) {
  if (s.in_per_group() == 1) return depthwise::backward_input(s, dy, w, dx);
  const int64_t cg = s.in_per_group(), og = s.out_per_group(), k = s.col_rows(), plane = s.out_plane();
  const int64_t in_plane = s.H * s.W;
  const bool direct = s.pointwise();
  for_each_sample<T>(s.N, columns_size(s), [&](int64_t n, T* work, int threads) {
    T* col = work;
    T* padded = work + k * plane;
    for (int64_t g = 0; g < s.groups; ++g) {
      const T* dyg = dy + (n * s.O + g * og) * plane;
      T* dxg = dx + (n * s.C + g * cg) * in_plane;
      if (direct) {
        gemm<T>(true, false, k, plane, og, T(1), w + g * og * k, k, dyg, plane, T(0), dxg, plane, threads);
        continue;
      }
      gemm<T>(true, false, k, plane, og, T(1), w + g * og * k, k, dyg, plane, T(0), col, plane, threads);
      col2im(s, col, cg, dxg, padded, threads);
    }
  });
}

template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw, T* dbias) {
  if (s.in_per_group() == 1) return depthwise::backward_weight(s, x, dy, dw, dbias);
  const int64_t cg = s.in_per_group(), og = s.out_per_group(), k = s.col_rows(), plane = s.out_plane();
  const int64_t weight_size = s.O * k, partial_size = weight_size + s.O;
  const int64_t chunks = (s.N + kBatchChunk - 1) / kBatchChunk;
  const bool direct = s.pointwise();
  // Each chunk accumulates dw^T per group, (k x og) = col (k x plane) @ dy_g^T
  // (the GEMM then packs only the narrow dy_g, never the wide im2col matrix),
  // then the bias gradient's sums over space while dy_g is still in cache.
  T* partials = thread_scratch(ScratchSlot::op_partials).get<T>(std::max<int64_t>(chunks, 1) * partial_size);
  for_each_sample<T>(chunks, columns_size(s), [&](int64_t chunk, T* work, int threads) {
    T* col = work;
    T* padded = work + k * plane;
    T* out = partials + chunk * partial_size;
    T* bias_sums = out + weight_size;
    const int64_t first = chunk * kBatchChunk, last = std::min(s.N, first + kBatchChunk);
    for (int64_t n = first; n < last; ++n) {
      for (int64_t g = 0; g < s.groups; ++g) {
        const T* xg = x + (n * s.C + g * cg) * s.H * s.W;
        const T* dyg = dy + (n * s.O + g * og) * plane;
        if (!direct) im2col(s, xg, cg, col, padded, threads);
        gemm<T>(false, true, k, og, plane, T(1), direct ? xg : col, plane, dyg, plane, n == first ? T(0) : T(1),
                out + g * k * og, og, threads);
      }
      if (dbias != nullptr)
        for (int64_t o = 0; o < s.O; ++o) {
          const T sum = sum_fixed_order(dy + (n * s.O + o) * plane, plane);
          bias_sums[o] = n == first ? sum : bias_sums[o] + sum;
        }
    }
  });
  // dw[g * og + o][i] = sum over chunks, in order, of partial[chunk][g][i][o]
  // (and likewise the bias): the chunks summed element by element into the
  // first (contiguous runs that vectorise), then each group's k x og sum
  // transposed into place.
  if (chunks == 0) std::fill(partials, partials + partial_size, T(0));  // an empty batch
  constexpr int64_t kRun = 4096;
#pragma omp parallel for schedule(static) if (partial_size * chunks >= 32768)
  for (int64_t first = 0; first < partial_size; first += kRun) {
    const int64_t last = std::min(partial_size, first + kRun);
    for (int64_t c = 1; c < chunks; ++c)
      for (int64_t i = first; i < last; ++i) partials[i] += partials[c * partial_size + i];
  }
  for (int64_t g = 0; g < s.groups; ++g) transpose(k, og, partials + g * k * og, og, dw + g * og * k, k);
  if (dbias != nullptr) std::copy(partials + weight_size, partials + partial_size, dbias);
}

#define FASTNN_INSTANTIATE_CONV(T)                                                              \
  template void conv2d_forward<T>(const Conv2dShape&, const T*, const T*, const T*, T*);        \
  template void conv2d_backward_input<T>(const Conv2dShape&, const T*, const T*, T*);           \
  template void conv2d_backward_weight<T>(const Conv2dShape&, const T*, const T*, T*, T*);
FASTNN_INSTANTIATE_CONV(float)
FASTNN_INSTANTIATE_CONV(double)

}  // namespace fastnn
