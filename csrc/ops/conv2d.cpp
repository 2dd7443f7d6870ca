#include "ops/conv2d.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "core/cpu.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "core/transpose.h"
#include "gemm/gemm.h"
#include "ops/conv2d_columns.h"
#include "ops/conv2d_depthwise.h"
#include "ops/conv2d_implicit.h"
#include "ops/conv2d_samples.h"
#include "ops/conv2d_winograd.h"
#include "ops/reduce.h"

namespace fastnn {
namespace {

// A one-chunk batch's weight gradient is summed in this many groups of bands.
constexpr int64_t kBandGroups = 4;

// Samples per partial weight gradient: fixed, so the batch reduction is summed
// in the same order whatever the thread count.
constexpr int64_t kBatchChunk = 4;

// im2col runs over bands of output pixels whose columns (col_rows x band)
// stay within kBandBytes, in L2 beside the weights while the GEMM reads them.
// Bands are nearly equal runs of whole kBandAlign-pixel blocks (every
// micro-kernel's NR divides it), a multiple of `multiple` many when the plane
// has that many blocks (so that groups of bands shared by the threads are as
// even as the bands), and do not depend on the thread count.
constexpr int64_t kBandBytes = 1024 * 1024, kBandAlign = 64;

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

template <typename T>
struct Bands {
  ColumnKernels<T> kernels;
  int64_t padded_size;  // one channel's padded copy
  int64_t plane;        // output pixels
  int64_t blocks;       // kBandAlign-pixel blocks of the plane
  int64_t count;        // bands per sample
  int64_t col_size;     // the largest band's columns, and a row

  Bands(const Conv2dShape& s, int64_t multiple)
      : kernels(FASTNN_ISA_TABLE(T, active_isa(), conv_columns)), padded_size(PaddedLayout(s).size()),
        plane(s.out_plane()), blocks(ceil_div(plane, kBandAlign)) {
    const int64_t fit = kBandBytes / (std::max<int64_t>(s.col_rows(), 1) * int64_t(sizeof(T)));
    const int64_t max_blocks = std::max<int64_t>(1, fit / kBandAlign);
    count = std::max<int64_t>(1, std::min(blocks, ceil_div(ceil_div(blocks, max_blocks), multiple) * multiple));
    col_size = (s.col_rows() + 1) * ceil_div(blocks, count) * kBandAlign;  // a row to spare: see conv2d_forward
  }
  int64_t first(int64_t band) const { return std::min(plane, blocks * band / count * kBandAlign); }
  int64_t last(int64_t band) const { return first(band + 1); }
};

// A band's columns from the padded sample; with x, each channel is padded first
// (a sample of one band: its padded channel is then still in L1).
template <typename T>
void im2col_band(const Conv2dShape& s, const Bands<T>& b, const T* x, T* padded, int64_t channels, int64_t p0,
                 int64_t p1, T* col, int threads) {
  const int64_t rows = s.KH * s.KW * (p1 - p0);
#pragma omp parallel for schedule(static) if (threads != 1 && channels > 1)
  for (int64_t c = 0; c < channels; ++c) {
    if (x != nullptr) b.kernels.pad(s, x + c * s.H * s.W, padded + c * b.padded_size);
    b.kernels.im2col(s, padded + c * b.padded_size, p0, p1, col + c * rows);
  }
}

// Pads the sample for its bands' im2col: now when it has several, else inside
// the one im2col. Returns what that im2col must pad from.
template <typename T>
const T* pad_for_bands(const Conv2dShape& s, const Bands<T>& b, const T* x, int64_t channels, T* padded,
                       int threads) {
  if (b.count == 1) return x;
  pad_channels(s, b.kernels, x, channels, padded, threads);
  return nullptr;
}

template <typename T>
void col2im_band(const Conv2dShape& s, const Bands<T>& b, const T* col, int64_t channels, int64_t p0, int64_t p1,
                 T* padded, int threads) {
  const int64_t rows = s.KH * s.KW * (p1 - p0);
#pragma omp parallel for schedule(static) if (threads != 1 && channels > 1)
  for (int64_t c = 0; c < channels; ++c) b.kernels.col2im(s, col + c * rows, p0, p1, padded + c * b.padded_size);
}

// Asks for the lines of [p, p + n) ahead of use: the GEMM reads a sample's dy
// many rows at once, a pattern the hardware prefetcher does not follow, so
// the next sample's is requested while the current one's runs.
template <typename T>
void prefetch(const T* p, int64_t n) {
  const char* bytes = reinterpret_cast<const char*>(p);
  for (int64_t at = 0; at < n * int64_t(sizeof(T)); at += 64) __builtin_prefetch(bytes + at, 0, 2);
}

// Per-thread work memory: a band's columns, then a padded sample.
template <typename T>
int64_t work_size(const Conv2dShape& s, const Bands<T>& b) {
  return s.pointwise() ? 0 : b.col_size + s.in_per_group() * b.padded_size;
}

// A 3x3 stride-1 weight gradient summed tap by tap over each (input, output)
// channel pair's planes (ops/conv2d_depthwise.cpp) runs at ~90 GFLOP/s on one
// AVX-512 thread whatever the channel counts, where im2col + GEMM's small
// products (K = 9 x input channels, N = output channels) run at 30-80: it
// measured 1.2-4x faster up to 64 input channels (float64: parity from 24),
// except where Winograd takes the shape first. Rows narrower than 16 would
// go lane by lane.
inline bool direct_weight_grad_pays(const Conv2dShape& s) {
  return s.KH == 3 && s.KW == 3 && s.dil_h == 1 && s.dil_w == 1 && s.stride_h == 1 && s.stride_w == 1 &&
         s.OW >= 16;
}

}  // namespace

template <typename T>
void conv2d_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  if (s.in_per_group() == 1) return depthwise::forward(s, x, w, bias, y);
  const int64_t cg = s.in_per_group(), og = s.out_per_group(), k = s.col_rows(), plane = s.out_plane();
  if constexpr (std::is_same_v<T, float>)
    if (winograd_forward(s, x, w, bias, y)) return;
  if (implicit_forward(s, x, w, bias, y)) return;
  const Bands<T> bands(s, 1);
  const int64_t lane = work_size(s, bands);
  const int threads = max_threads();
  // With columns, the bias is one more of their rows (all ones) and of the
  // weights' columns, so the GEMM writes the outputs once; without (1 x 1),
  // the GEMM accumulates onto outputs filled with the bias.
  const bool bias_column = bias != nullptr && !s.pointwise();
  const int64_t k_used = bias_column ? k + 1 : k;
  std::vector<T> w_bias(bias_column ? s.O * k_used : 0);
  for (int64_t o = 0; bias_column && o < s.O; ++o) {
    std::copy(w + o * k, w + (o + 1) * k, w_bias.begin() + o * k_used);
    w_bias[o * k_used + k] = bias[o];
  }
  const T* weights = bias_column ? w_bias.data() : w;
  for_each_sample<T>(s.N, lane, [&](int64_t n, T* work, int gemm_threads) {
    T* padded = work + bands.col_size;
    for (int64_t g = 0; g < s.groups; ++g) {
      const T* xg = x + (n * s.C + g * cg) * s.H * s.W;
      T* yg = y + (n * s.O + g * og) * plane;
      // Output pixels [p0, p1): its columns, then the GEMM.
      const T* to_pad = nullptr;
      auto band = [&](int64_t p0, int64_t p1, T* col, int band_threads) {
        if (!s.pointwise()) im2col_band(s, bands, to_pad, padded, cg, p0, p1, col, band_threads);
        if (bias_column) std::fill(col + k * (p1 - p0), col + k_used * (p1 - p0), T(1));
        T beta = T(0);
        if (bias != nullptr && !bias_column) {
          for (int64_t o = 0; o < og; ++o) std::fill(yg + o * plane + p0, yg + o * plane + p1, bias[g * og + o]);
          beta = T(1);
        }
        const T* cols = s.pointwise() ? xg + p0 : col;
        const int64_t ld = s.pointwise() ? plane : p1 - p0;
        gemm<T>(false, false, og, p1 - p0, k_used, T(1), weights + g * og * k_used, k_used, cols, ld, beta, yg + p0,
                plane, band_threads);
      };
      if (s.pointwise()) {
        band(0, plane, nullptr, gemm_threads);
        continue;
      }
      to_pad = pad_for_bands(s, bands, xg, cg, padded, gemm_threads);
      if (gemm_threads != 1 && bands.count >= 2 * threads) {  // one sample, many bands: spread them
        parallel_for(bands.count, threads, [&](int64_t i) {
          band(bands.first(i), bands.last(i), work + thread_index() * lane, 1);
        }, 1);
      } else {
        for (int64_t i = 0; i < bands.count; ++i) band(bands.first(i), bands.last(i), work, gemm_threads);
      }
    }
  });
}

namespace {

// Stride 1 with padding within the kernel's reach: dx is the forward
// convolution of dy, padded by (K - 1) * dil - pad, with the kernel flipped
// and its channel axes swapped. Its GEMM sums over og * KH * KW instead of og,
// which the micro-kernel runs closer to peak than the col2im form's short sum,
// but has only in_per_group rows: taken when they fill the register tiles
// (measured: 32 and 64 channels gain 7-12%; 3 channels in those tiles lost
// half), or when they are so few that the implicit GEMM's few-row tiles take
// them (3 channels, 32x32: 30% faster than col2im).
constexpr int64_t kMinChannelsAsForward = 16;

template <typename T>
bool backward_input_as_forward(const Conv2dShape& s, const T* dy, const T* w, T* dx) {
  const int64_t full_h = (s.KH - 1) * s.dil_h - s.pad_h, full_w = (s.KW - 1) * s.dil_w - s.pad_w;
  if (s.stride_h != 1 || s.stride_w != 1 || s.pointwise() || full_h < 0 || full_w < 0) return false;
  const Conv2dShape t{s.N,  s.O,      s.OH,     s.OW,     s.C,      s.KH,     s.KW, 1, 1,
                      full_h, full_w, s.dil_h, s.dil_w, s.groups, s.H, s.W};
  const bool few_rows = s.in_per_group() <= kImplicitFewRows && implicit_forward_pays<T>(t);
  if (s.in_per_group() < kMinChannelsAsForward && !few_rows) return false;
  const int64_t cg = s.in_per_group(), og = s.out_per_group(), taps = s.KH * s.KW;
  T* flipped = thread_scratch(ScratchSlot::op_weights).get<T>(s.O * cg * taps);
  // flipped[g][c][o][kh][kw] = w[g][o][c][KH - 1 - kh][KW - 1 - kw]
  for (int64_t g = 0; g < s.groups; ++g)
    for (int64_t c = 0; c < cg; ++c)
      for (int64_t o = 0; o < og; ++o) {
        const T* from = w + ((g * og + o) * cg + c) * taps;
        std::reverse_copy(from, from + taps, flipped + ((g * cg + c) * og + o) * taps);
      }
  conv2d_forward(t, dy, flipped, static_cast<const T*>(nullptr), dx);
  return true;
}

}  // namespace

template <typename T>
void conv2d_backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx) {
  if (s.in_per_group() == 1) return depthwise::backward_input(s, dy, w, dx);
  if (backward_input_as_forward(s, dy, w, dx)) return;
  const int64_t cg = s.in_per_group(), og = s.out_per_group(), k = s.col_rows(), plane = s.out_plane();
  const int64_t in_plane = s.H * s.W;
  const Bands<T> bands(s, 1);
  for_each_sample<T>(s.N, work_size(s, bands), [&](int64_t n, T* work, int threads) {
    T* col = work;
    T* padded = work + bands.col_size;
    for (int64_t g = 0; g < s.groups; ++g) {
      const T* dyg = dy + (n * s.O + g * og) * plane;
      T* dxg = dx + (n * s.C + g * cg) * in_plane;
      if (s.pointwise()) {
        gemm<T>(true, false, k, plane, og, T(1), w + g * og * k, k, dyg, plane, T(0), dxg, plane, threads);
        continue;
      }
      if (n + 1 < s.N) prefetch(dyg + s.O * plane, og * plane);
      // Each band's columns, then their sum into the padded sample, band by band.
      std::fill(padded, padded + cg * bands.padded_size, T(0));
      for (int64_t i = 0; i < bands.count; ++i) {
        const int64_t p0 = bands.first(i), p1 = bands.last(i);
        gemm<T>(true, false, k, p1 - p0, og, T(1), w + g * og * k, k, dyg + p0, plane, T(0), col, p1 - p0,
                threads);
        col2im_band(s, bands, col, cg, p0, p1, padded, threads);
      }
#pragma omp parallel for schedule(static) if (threads != 1 && cg > 1)
      for (int64_t c = 0; c < cg; ++c) bands.kernels.crop(s, padded + c * bands.padded_size, dxg + c * in_plane);
    }
  });
}

template <typename T>
void conv2d_backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw, T* dbias) {
  if (s.in_per_group() == 1) return depthwise::backward_weight(s, x, dy, dw, dbias);
  if constexpr (std::is_same_v<T, float>)
    if (winograd_backward_weight(s, x, dy, dw, dbias)) return;
  if (direct_weight_grad_pays(s)) return depthwise::backward_weight(s, x, dy, dw, dbias);
  const int64_t cg = s.in_per_group(), og = s.out_per_group(), k = s.col_rows(), plane = s.out_plane();
  const int64_t weight_size = s.O * k, partial_size = weight_size + s.O;
  const int64_t chunks = (s.N + kBatchChunk - 1) / kBatchChunk;
  const Bands<T> bands(s, chunks == 1 ? kBandGroups : 1);
  // Each chunk accumulates dw^T per group, (k x og) = col (k x plane) @ dy_g^T,
  // band by band (the GEMM then packs only the narrow dy_g, never the wide
  // im2col matrix). The bias gradient's sums over space come first: reading
  // dy row by row brings it into cache at a pace the prefetcher follows, which
  // the GEMM's packing (many rows at once) does not. A batch of one chunk also
  // splits its bands into groups, each summed into a partial of its own, so
  // that threads can share them; how many depends on the shape alone.
  const int64_t band_groups = chunks == 1 ? std::min(kBandGroups, bands.count) : 1;
  const int64_t items = chunks * band_groups;
  const int64_t lane = work_size(s, bands);
  const int all_threads = max_threads();
  T* partials = thread_scratch(ScratchSlot::op_partials).get<T>(std::max<int64_t>(items, 1) * partial_size);
  for_each_sample<T>(chunks, lane, [&](int64_t chunk, T* work, int threads) {
    T* padded = work + bands.col_size;
    T* chunk_partials = partials + chunk * band_groups * partial_size;
    for (int64_t bg = 1; bg < band_groups; ++bg)  // only the first group's partial has the bias sums
      std::fill(chunk_partials + bg * partial_size + weight_size, chunk_partials + (bg + 1) * partial_size, T(0));
    T* bias_sums = chunk_partials + weight_size;
    const int64_t first = chunk * kBatchChunk, last = std::min(s.N, first + kBatchChunk);
    for (int64_t n = first; n < last; ++n) {
      if (dbias != nullptr)
        for (int64_t o = 0; o < s.O; ++o) {
          const T sum = sum_fixed_order(dy + (n * s.O + o) * plane, plane);
          bias_sums[o] = n == first ? sum : bias_sums[o] + sum;
        }
      for (int64_t g = 0; g < s.groups; ++g) {
        const T* xg = x + (n * s.C + g * cg) * s.H * s.W;
        const T* dyg = dy + (n * s.O + g * og) * plane;
        if (s.pointwise()) {
          gemm<T>(false, true, k, og, plane, T(1), xg, plane, dyg, plane, n == first ? T(0) : T(1),
                  chunk_partials + g * k * og, og, threads);
          continue;
        }
        const T* to_pad = pad_for_bands(s, bands, xg, cg, padded, threads);
        auto band_group = [&](int64_t bg, T* col, int gemm_threads) {
          T* out = chunk_partials + bg * partial_size + g * k * og;
          const int64_t b0 = bands.count * bg / band_groups, b1 = bands.count * (bg + 1) / band_groups;
          for (int64_t i = b0; i < b1; ++i) {
            const int64_t p0 = bands.first(i), p1 = bands.last(i);
            im2col_band(s, bands, to_pad, padded, cg, p0, p1, col, gemm_threads);
            gemm<T>(false, true, k, og, p1 - p0, T(1), col, p1 - p0, dyg + p0, plane,
                    n == first && i == b0 ? T(0) : T(1), out, og, gemm_threads);
          }
        };
        if (band_groups > 1 && threads != 1 && all_threads > 1)
          parallel_for(band_groups, all_threads,
                       [&](int64_t bg) { band_group(bg, work + thread_index() * lane, 1); }, 1);
        else
          for (int64_t bg = 0; bg < band_groups; ++bg) band_group(bg, work, threads);
      }
    }
  });
  // dw[g * og + o][i] = sum over chunks and band groups, in order, of
  // partial[item][g][i][o] (and likewise the bias): summed element by element into the
  // first (contiguous runs that vectorise), then each group's k x og sum
  // transposed into place.
  if (items == 0) std::fill(partials, partials + partial_size, T(0));  // an empty batch
  constexpr int64_t kRun = 4096;
#pragma omp parallel for schedule(static) if (partial_size * items >= 32768)
  for (int64_t first = 0; first < partial_size; first += kRun) {
    const int64_t last = std::min(partial_size, first + kRun);
    for (int64_t c = 1; c < items; ++c)
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
