#include "ops/pool2d.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/cpu.h"
#include "core/parallel.h"
#include "ops/pool2d_planes.h"
#include "ops/reduce.h"

namespace fastnn {
namespace {

// Planes are independent: one OpenMP loop over them, when there is enough work.
constexpr int64_t kParallelMinElements = 1 << 14;

struct Window {
  int64_t h0, h1, w0, w1;  // valid input rows [h0, h1) and columns [w0, w1)
  int64_t padded_size;     // window area clipped to the padded input
};

// The window of an average pool at output (oh, ow), as PyTorch counts it.
inline Window avg_window(const Pool2dShape& s, int64_t oh, int64_t ow) {
  int64_t h0 = oh * s.stride_h - s.pad_h, w0 = ow * s.stride_w - s.pad_w;
  int64_t h1 = std::min(h0 + s.KH, s.H + s.pad_h), w1 = std::min(w0 + s.KW, s.W + s.pad_w);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, s.H);
  w1 = std::min(w1, s.W);
  return {h0, h1, w0, w1, padded};
}

inline int64_t avg_divisor(const Window& win, bool count_include_pad, int64_t divisor) {
  if (divisor > 0) return divisor;
  return count_include_pad ? win.padded_size : (win.h1 - win.h0) * (win.w1 - win.w0);
}

// The common 2x2 stride-2 window without padding or dilation, every window
// inside the input (ceil_mode on an odd size adds a clipped last one).
inline bool is_2x2(const Pool2dShape& s) {
  return s.KH == 2 && s.KW == 2 && s.stride_h == 2 && s.stride_w == 2 && s.pad_h == 0 && s.pad_w == 0 &&
         s.dil_h == 1 && s.dil_w == 1 && 2 * s.OH <= s.H && 2 * s.OW <= s.W && s.W < (int64_t(1) << 30);
}

// PyTorch's adaptive cells along one axis: cell i covers [start[i], end[i]).
// The same for every plane, so computed once (the divisions would otherwise
// cost more than summing a small cell).
struct AdaptiveCells {
  std::vector<int64_t> start, end;
  AdaptiveCells(int64_t in, int64_t out) : start(out), end(out) {
    for (int64_t i = 0; i < out; ++i) {
      start[i] = (i * in) / out;
      end[i] = ((i + 1) * in + out - 1) / out;
    }
  }
};

}  // namespace

bool max_pool2d_has_window_offsets(const Pool2dShape& s) { return is_2x2(s); }

template <typename T, typename Index>
void max_pool2d_forward(const Pool2dShape& s, const T* x, T* y, Index* indices) {
  const int64_t in_plane = s.H * s.W, out_plane = s.OH * s.OW;
  const PoolPlaneKernels<T> planes = FASTNN_ISA_TABLE(T, active_isa(), pool_planes);
  if (is_2x2(s)) {
    const auto max_2x2 = planes.template max_2x2_of<Index>().forward;
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
    for (int64_t p = 0; p < s.planes; ++p)
      max_2x2(s.OH, s.OW, s.W, x + p * in_plane, y + p * out_plane, indices + p * out_plane);
    return;
  }
  if constexpr (std::is_same_v<Index, int64_t>) {
    const MaxPoolTaps taps(s);
#pragma omp parallel if (s.planes * in_plane >= kParallelMinElements)
    {
      std::vector<T> rows(s.KH * taps.padded_width, -std::numeric_limits<T>::infinity());
#pragma omp for schedule(static)
      for (int64_t p = 0; p < s.planes; ++p)
        planes.max_window(s, taps, x + p * in_plane, y + p * out_plane, indices + p * out_plane, rows.data());
    }
  }
}

bool max_pool2d_backward_scatters(const Pool2dShape& s) { return !is_2x2(s); }

template <typename T, typename Index>
void max_pool2d_backward(const Pool2dShape& s, const T* dy, const Index* indices, T* dx) {
  const int64_t in_plane = s.H * s.W, out_plane = s.OH * s.OW;
  const PoolPlaneKernels<T> planes = FASTNN_ISA_TABLE(T, active_isa(), pool_planes);
  if (is_2x2(s)) {
    const auto max_2x2 = planes.template max_2x2_of<Index>().backward;
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
    for (int64_t p = 0; p < s.planes; ++p)
      max_2x2(s.H, s.W, s.OH, s.OW, dy + p * out_plane, indices + p * out_plane, dx + p * in_plane);
    return;
  }
  if constexpr (std::is_same_v<Index, int64_t>) {
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
    for (int64_t p = 0; p < s.planes; ++p) {
      T* out = dx + p * in_plane;
      const T* grad = dy + p * out_plane;
      const int64_t* at = indices + p * out_plane;
      std::fill(out, out + in_plane, T(0));
      for (int64_t i = 0; i < out_plane; ++i)
        if (at[i] >= 0) out[at[i]] += grad[i];
    }
  }
}

// Window bounds and divisors are the same for every plane: computed once.
struct AvgPlan {
  std::vector<Window> windows;  // per output cell, row-major
  std::vector<double> inverse;  // 1 / divisor per output cell
};

inline AvgPlan plan_avg(const Pool2dShape& s, bool count_include_pad, int64_t divisor) {
  AvgPlan plan;
  plan.windows.reserve(s.OH * s.OW);
  plan.inverse.reserve(s.OH * s.OW);
  for (int64_t oh = 0; oh < s.OH; ++oh)
    for (int64_t ow = 0; ow < s.OW; ++ow) {
      plan.windows.push_back(avg_window(s, oh, ow));
      plan.inverse.push_back(1.0 / double(avg_divisor(plan.windows.back(), count_include_pad, divisor)));
    }
  return plan;
}

template <typename T>
void avg_pool2d_forward(const Pool2dShape& s, const T* x, T* y, bool count_include_pad, int64_t divisor) {
  const int64_t in_plane = s.H * s.W, out_plane = s.OH * s.OW, W = s.W;
  if (is_2x2(s)) {
    const T scale = T(1.0 / double(divisor > 0 ? divisor : 4));
    const PoolPlaneKernels<T> planes = FASTNN_ISA_TABLE(T, active_isa(), pool_planes);
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
    for (int64_t p = 0; p < s.planes; ++p) planes.avg_2x2(s.OH, s.OW, s.W, x + p * in_plane, y + p * out_plane, scale);
    return;
  }
  const AvgPlan plan = plan_avg(s, count_include_pad, divisor);
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
  for (int64_t p = 0; p < s.planes; ++p) {
    const T* in = x + p * in_plane;
    T* out = y + p * out_plane;
    for (int64_t cell = 0; cell < out_plane; ++cell) {
      const Window& win = plan.windows[cell];
      T sum = T(0);
      for (int64_t ih = win.h0; ih < win.h1; ++ih)
        for (int64_t iw = win.w0; iw < win.w1; ++iw) sum += in[ih * W + iw];
      out[cell] = sum * T(plan.inverse[cell]);
    }
  }
}

template <typename T>
void avg_pool2d_backward(const Pool2dShape& s, const T* dy, T* dx, bool count_include_pad, int64_t divisor) {
  const int64_t in_plane = s.H * s.W, out_plane = s.OH * s.OW, W = s.W;
  if (is_2x2(s)) {
    const T scale = T(1.0 / double(divisor > 0 ? divisor : 4));
    const PoolPlaneKernels<T> planes = FASTNN_ISA_TABLE(T, active_isa(), pool_planes);
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
    for (int64_t p = 0; p < s.planes; ++p)
      planes.avg_2x2_backward(s.H, s.W, s.OH, s.OW, dy + p * out_plane, dx + p * in_plane, scale);
    return;
  }
  const AvgPlan plan = plan_avg(s, count_include_pad, divisor);
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
  for (int64_t p = 0; p < s.planes; ++p) {
    T* out = dx + p * in_plane;
    const T* grad = dy + p * out_plane;
    std::fill(out, out + in_plane, T(0));
    for (int64_t cell = 0; cell < out_plane; ++cell) {
      const Window& win = plan.windows[cell];
      const T share = grad[cell] * T(plan.inverse[cell]);
      for (int64_t ih = win.h0; ih < win.h1; ++ih)
        for (int64_t iw = win.w0; iw < win.w1; ++iw) out[ih * W + iw] += share;
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_forward(int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW, const T* x, T* y) {
  if (OH == 1 && OW == 1) {  // a global pool: many short planes, summed side by side in vectors
    const PoolPlaneKernels<T> kernels = FASTNN_ISA_TABLE(T, active_isa(), pool_planes);
    constexpr int64_t kBlock = 16;  // planes per task: the widest vector's lanes, so blocks never split a fold
    parallel_ranges((planes + kBlock - 1) / kBlock, kBlock * H * W, kParallelMinElements,
                    [&](int64_t first, int64_t last) {
                      const int64_t p0 = first * kBlock, p1 = std::min(planes, last * kBlock);
                      kernels.global_mean(p1 - p0, H * W, x + p0 * H * W, y + p0);
                    });
    return;
  }
  const AdaptiveCells rows(H, OH), cols(W, OW);
#pragma omp parallel for schedule(static) if (planes * H * W >= kParallelMinElements)
  for (int64_t p = 0; p < planes; ++p) {
    const T* in = x + p * H * W;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = rows.start[oh], h1 = rows.end[oh];
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = cols.start[ow], w1 = cols.end[ow];
        T sum = T(0);
        if (w0 == 0 && w1 == W)  // whole rows: one contiguous run (a global pool is one sum)
          sum = sum_fixed_order(in + h0 * W, (h1 - h0) * W);
        else
          for (int64_t ih = h0; ih < h1; ++ih) sum += sum_fixed_order(in + ih * W + w0, w1 - w0);
        y[(p * OH + oh) * OW + ow] = sum / T((h1 - h0) * (w1 - w0));
      }
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_backward(int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW, const T* dy, T* dx) {
  const AdaptiveCells rows(H, OH), cols(W, OW);
#pragma omp parallel for schedule(static) if (planes * H * W >= kParallelMinElements)
  for (int64_t p = 0; p < planes; ++p) {
    T* out = dx + p * H * W;
    // Cells that tile the plane exactly (no overlap) are written, not accumulated.
    const bool tiled = H % OH == 0 && W % OW == 0;
    if (!tiled) std::fill(out, out + H * W, T(0));
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = rows.start[oh], h1 = rows.end[oh];
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = cols.start[ow], w1 = cols.end[ow];
        const T share = dy[(p * OH + oh) * OW + ow] / T((h1 - h0) * (w1 - w0));
        if (tiled && w0 == 0 && w1 == W) {  // whole rows (a global pool's one cell): one contiguous run
          std::fill(out + h0 * W, out + h1 * W, share);
          continue;
        }
        for (int64_t ih = h0; ih < h1; ++ih) {
          T* row = out + ih * W;
          if (tiled)
            std::fill(row + w0, row + w1, share);
          else
            for (int64_t iw = w0; iw < w1; ++iw) row[iw] += share;
        }
      }
    }
  }
}

#define FASTNN_INSTANTIATE_POOL(T)                                                                       \
  template void max_pool2d_forward<T, int64_t>(const Pool2dShape&, const T*, T*, int64_t*);              \
  template void max_pool2d_forward<T, uint8_t>(const Pool2dShape&, const T*, T*, uint8_t*);              \
  template void max_pool2d_backward<T, int64_t>(const Pool2dShape&, const T*, const int64_t*, T*);       \
  template void max_pool2d_backward<T, uint8_t>(const Pool2dShape&, const T*, const uint8_t*, T*);       \
  template void avg_pool2d_forward<T>(const Pool2dShape&, const T*, T*, bool, int64_t);                  \
  template void avg_pool2d_backward<T>(const Pool2dShape&, const T*, T*, bool, int64_t);                 \
  template void adaptive_avg_pool2d_forward<T>(int64_t, int64_t, int64_t, int64_t, int64_t, const T*, T*); \
  template void adaptive_avg_pool2d_backward<T>(int64_t, int64_t, int64_t, int64_t, int64_t, const T*, T*);
FASTNN_INSTANTIATE_POOL(float)
FASTNN_INSTANTIATE_POOL(double)

}  // namespace fastnn
