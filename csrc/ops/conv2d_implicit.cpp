#include "ops/conv2d_implicit.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/cpu.h"
#include "core/parallel.h"
#include "core/threads.h"
#include "ops/conv2d_columns.h"
#include "ops/conv2d_samples.h"

namespace fastnn {
namespace {

// The implicit-GEMM forward's geometry, the same for every sample: per sum
// index (input channel, tap) its run start in the padded sample; the output
// plane cut into vectors of pixels (as below), padded with empty vectors to
// whole tiles.
template <typename T>
struct ImplicitPlan {
  ImplicitConvKernel<T> kernel;
  PaddedLayout layout;
  std::vector<int64_t> tap_offset, in_offset;
  std::vector<PixelRun> runs;  // two per vector
  int64_t sample_size;         // the padded sample, with vectors to spare for the last ones' reads

  // Output pixels go into vectors one of two ways. Row by row: a row's last
  // vector may be partial (56 columns in vectors of 16 waste 8 lanes in 64).
  // Or, with stride 1 down the rows, along the padded rows: output pixel
  // (oh, ow) reads from oh * row_step + ow, so consecutive vectors tile that
  // line and only the row_step - OW pixels between rows are wasted (2 in 58).
  // The one wasting less is taken; pays() when it wastes at most 1/16.
  static int64_t wasted(const Conv2dShape& s, int64_t width, bool along_rows) {
    if (along_rows) return PaddedLayout(s).wq - s.OW;
    return (s.OW + width - 1) / width * width - s.OW;
  }
  static bool along_padded_rows(const Conv2dShape& s, int64_t width) {
    return s.stride_h == 1 && PaddedLayout(s).wq >= width && wasted(s, width, true) < wasted(s, width, false);
  }

  explicit ImplicitPlan(const Conv2dShape& s)
      : kernel(FASTNN_ISA_TABLE(T, active_isa(), implicit_conv).for_rows(s.out_per_group())), layout(s) {
    for (int64_t c = 0; c < s.in_per_group(); ++c)
      for (int64_t kh = 0; kh < s.KH; ++kh)
        for (int64_t kw = 0; kw < s.KW; ++kw) tap_offset.push_back(c * layout.size() + layout.tap(s, kh, kw));
    const int64_t row_step = s.stride_h * layout.wq, width = kernel.width;
    if (along_padded_rows(s, width)) {
      const int64_t end = (s.OH - 1) * row_step + s.OW;
      for (int64_t q = 0; q < end; q += width) {
        PixelRun pieces[2] = {};  // at most two: a vector is no wider than a padded row
        int used = 0;
        for (int64_t j = 0; j < width && q + j < end; ++j) {
          const int64_t oh = (q + j) / row_step, ow = (q + j) % row_step;
          if (ow >= s.OW) continue;  // a pixel between two output rows
          const bool extends = used > 0 && pieces[used - 1].lane + pieces[used - 1].count == j;
          if (!extends) pieces[used++] = {j, 0, oh * s.OW + ow};
          ++pieces[used - 1].count;
        }
        add_vector(q, pieces[0], pieces[1]);
      }
    } else {
      for (int64_t oh = 0; oh < s.OH; ++oh)
        for (int64_t ow = 0; ow < s.OW; ow += width)
          add_vector(oh * row_step + ow, {0, std::min(width, s.OW - ow), oh * s.OW + ow}, {});
    }
    while (in_offset.size() % kernel.vectors != 0) add_vector(0, {}, {});
    sample_size = s.in_per_group() * layout.size() + 2 * width;
  }
  void add_vector(int64_t in, PixelRun first, PixelRun second) {
    in_offset.push_back(in);
    runs.push_back(first);
    runs.push_back(second);
  }
  int64_t tiles() const { return int64_t(in_offset.size()) / kernel.vectors; }

  // Measured against im2col + GEMM: the implicit form wins once a tile's sum
  // is long enough to amortise its stores (3x3 kernels over 2 to 6 input
  // channels, sums of 18 to 54: 1.16-1.59x faster on 1 and 2 threads; 2x2
  // over 3 channels, 12: 1.16x on 1 thread, 0.78x on 2), and while its
  // vectors waste little (56 columns in row-by-row vectors of 16: 5% slower).
  static bool pays(const Conv2dShape& s) {
    constexpr int64_t kMinSum = 16;
    const int64_t width = FASTNN_ISA_TABLE(T, active_isa(), implicit_conv).many_rows.width;
    return !s.pointwise() && s.col_rows() >= kMinSum && wasted(s, width, along_padded_rows(s, width)) * 16 <= s.OW;
  }

  // w's groups as the tiles read them: blocks of kernel.rows output channels,
  // each k steps of kernel.rows weights (zero past the group's last channel).
  std::vector<T> pack_weights(const Conv2dShape& s, const T* w) const {
    const int64_t og = s.out_per_group(), k = s.col_rows(), mr = kernel.rows, blocks = (og + mr - 1) / mr;
    std::vector<T> packed(s.groups * blocks * k * mr, T(0));
    for (int64_t g = 0; g < s.groups; ++g)
      for (int64_t o = 0; o < og; ++o)
        for (int64_t q = 0; q < k; ++q)
          packed[((g * blocks + o / mr) * k + q) * mr + o % mr] = w[(g * og + o) * k + q];
    return packed;
  }

  // Output channels [0, og) of tiles [first, last) of pixel vectors; w: the
  // group's packed weights. Row blocks outside: a block's weights stay in L1
  // while the tiles pass.
  void run_tiles(int64_t first, int64_t last, int64_t og, int64_t k, const T* w, const T* padded, const T* bias,
                 T* y, int64_t plane) const {
    for (int64_t r = 0; r < og; r += kernel.rows) {
      const int rows = int(std::min<int64_t>(kernel.rows, og - r));
      for (int64_t v = first * kernel.vectors; v < last * kernel.vectors; v += kernel.vectors)
        kernel.tile[rows]({k, w + r * k, padded, tap_offset.data(), &in_offset[v], &runs[2 * v],
                           bias != nullptr ? bias + r : nullptr, y + r * plane, plane});
    }
  }
};

}  // namespace

template <typename T>
bool implicit_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y) {
  if (!ImplicitPlan<T>::pays(s)) return false;
  const int64_t cg = s.in_per_group(), og = s.out_per_group(), k = s.col_rows(), plane = s.out_plane();
  const ImplicitPlan<T> plan(s);
  const std::vector<T> packed = plan.pack_weights(s, w);
  const int64_t group_weights = int64_t(packed.size()) / s.groups;
  const ColumnKernels<T> columns = FASTNN_ISA_TABLE(T, active_isa(), conv_columns);
  const int threads = max_threads();
  constexpr int64_t kPartsPerThread = 4;
  const int64_t parts = std::min<int64_t>(plan.tiles(), kPartsPerThread * threads);
  // Per sample and group: the padded input, then tiles of output channels x pixel vectors.
  for_each_sample<T>(s.N, plan.sample_size, [&](int64_t n, T* padded, int tile_threads) {
    std::fill(padded + cg * plan.layout.size(), padded + plan.sample_size, T(0));
    for (int64_t g = 0; g < s.groups; ++g) {
      const T* xg = x + (n * s.C + g * cg) * s.H * s.W;
      T* yg = y + (n * s.O + g * og) * plane;
      const T* wg = packed.data() + g * group_weights;
      const T* bg = bias != nullptr ? bias + g * og : nullptr;
      pad_channels(s, columns, xg, cg, padded, tile_threads);
      if (tile_threads == 1 || threads == 1)
        plan.run_tiles(0, plan.tiles(), og, k, wg, padded, bg, yg, plane);
      else  // one sample at a time: contiguous runs of its tiles, a few per thread, to whichever is free
        parallel_for(parts, threads, [&](int64_t part) {
          plan.run_tiles(plan.tiles() * part / parts, plan.tiles() * (part + 1) / parts, og, k, wg, padded, bg, yg,
                         plane);
        }, 1);
    }
  });
  return true;
}

template <typename T>
bool implicit_forward_pays(const Conv2dShape& s) {
  return ImplicitPlan<T>::pays(s);
}

template bool implicit_forward_pays<float>(const Conv2dShape&);
template bool implicit_forward_pays<double>(const Conv2dShape&);
template bool implicit_forward<float>(const Conv2dShape&, const float*, const float*, const float*, float*);
template bool implicit_forward<double>(const Conv2dShape&, const double*, const double*, const double*, double*);

}  // namespace fastnn
