#include "ops/pool2d.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

inline int64_t adaptive_start(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
inline int64_t adaptive_end(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

}  // namespace

template <typename T>
void max_pool2d_forward(const Pool2dShape& s, const T* x, T* y, int64_t* indices) {
  const int64_t in_plane = s.H * s.W, out_plane = s.OH * s.OW;
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
  for (int64_t p = 0; p < s.planes; ++p) {
    const T* in = x + p * in_plane;
    for (int64_t oh = 0; oh < s.OH; ++oh)
      for (int64_t ow = 0; ow < s.OW; ++ow) {
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_index = -1;
        for (int64_t kh = 0; kh < s.KH; ++kh) {
          const int64_t ih = oh * s.stride_h - s.pad_h + kh * s.dil_h;
          if (ih < 0 || ih >= s.H) continue;
          for (int64_t kw = 0; kw < s.KW; ++kw) {
            const int64_t iw = ow * s.stride_w - s.pad_w + kw * s.dil_w;
            if (iw < 0 || iw >= s.W) continue;
            const T v = in[ih * s.W + iw];
            if (best_index < 0 || v > best || std::isnan(v)) {  // NaN propagates, as in PyTorch
              best = v;
              best_index = ih * s.W + iw;
            }
          }
        }
        y[p * out_plane + oh * s.OW + ow] = best;
        indices[p * out_plane + oh * s.OW + ow] = best_index;
      }
  }
}

template <typename T>
void max_pool2d_backward(const Pool2dShape& s, const T* dy, const int64_t* indices, T* dx) {
  const int64_t in_plane = s.H * s.W, out_plane = s.OH * s.OW;
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
  for (int64_t p = 0; p < s.planes; ++p) {
    T* out = dx + p * in_plane;
    std::fill(out, out + in_plane, T(0));
    for (int64_t i = 0; i < out_plane; ++i) {
      const int64_t at = indices[p * out_plane + i];
      if (at >= 0) out[at] += dy[p * out_plane + i];
    }
  }
}

template <typename T>
void avg_pool2d_forward(const Pool2dShape& s, const T* x, T* y, bool count_include_pad, int64_t divisor) {
  const int64_t in_plane = s.H * s.W, out_plane = s.OH * s.OW;
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
  for (int64_t p = 0; p < s.planes; ++p) {
    const T* in = x + p * in_plane;
    for (int64_t oh = 0; oh < s.OH; ++oh)
      for (int64_t ow = 0; ow < s.OW; ++ow) {
        const Window win = avg_window(s, oh, ow);
        T sum = T(0);
        for (int64_t ih = win.h0; ih < win.h1; ++ih)
          for (int64_t iw = win.w0; iw < win.w1; ++iw) sum += in[ih * s.W + iw];
        y[p * out_plane + oh * s.OW + ow] = sum / T(avg_divisor(win, count_include_pad, divisor));
      }
  }
}

template <typename T>
void avg_pool2d_backward(const Pool2dShape& s, const T* dy, T* dx, bool count_include_pad, int64_t divisor) {
  const int64_t in_plane = s.H * s.W, out_plane = s.OH * s.OW;
#pragma omp parallel for schedule(static) if (s.planes * in_plane >= kParallelMinElements)
  for (int64_t p = 0; p < s.planes; ++p) {
    T* out = dx + p * in_plane;
    std::fill(out, out + in_plane, T(0));
    for (int64_t oh = 0; oh < s.OH; ++oh)
      for (int64_t ow = 0; ow < s.OW; ++ow) {
        const Window win = avg_window(s, oh, ow);
        const T share = dy[p * out_plane + oh * s.OW + ow] / T(avg_divisor(win, count_include_pad, divisor));
        for (int64_t ih = win.h0; ih < win.h1; ++ih)
          for (int64_t iw = win.w0; iw < win.w1; ++iw) out[ih * s.W + iw] += share;
      }
  }
}

template <typename T>
void adaptive_avg_pool2d_forward(int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW, const T* x, T* y) {
#pragma omp parallel for schedule(static) if (planes * H * W >= kParallelMinElements)
  for (int64_t p = 0; p < planes; ++p) {
    const T* in = x + p * H * W;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, H, OH), h1 = adaptive_end(oh, H, OH);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, W, OW), w1 = adaptive_end(ow, W, OW);
        T sum = T(0);
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) sum += in[ih * W + iw];
        y[(p * OH + oh) * OW + ow] = sum / T((h1 - h0) * (w1 - w0));
      }
    }
  }
}

template <typename T>
void adaptive_avg_pool2d_backward(int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW, const T* dy, T* dx) {
#pragma omp parallel for schedule(static) if (planes * H * W >= kParallelMinElements)
  for (int64_t p = 0; p < planes; ++p) {
    T* out = dx + p * H * W;
    std::fill(out, out + H * W, T(0));
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, H, OH), h1 = adaptive_end(oh, H, OH);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, W, OW), w1 = adaptive_end(ow, W, OW);
        const T share = dy[(p * OH + oh) * OW + ow] / T((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) out[ih * W + iw] += share;
      }
    }
  }
}

#define FASTNN_INSTANTIATE_POOL(T)                                                                       \
  template void max_pool2d_forward<T>(const Pool2dShape&, const T*, T*, int64_t*);                       \
  template void max_pool2d_backward<T>(const Pool2dShape&, const T*, const int64_t*, T*);                \
  template void avg_pool2d_forward<T>(const Pool2dShape&, const T*, T*, bool, int64_t);                  \
  template void avg_pool2d_backward<T>(const Pool2dShape&, const T*, T*, bool, int64_t);                 \
  template void adaptive_avg_pool2d_forward<T>(int64_t, int64_t, int64_t, int64_t, int64_t, const T*, T*); \
  template void adaptive_avg_pool2d_backward<T>(int64_t, int64_t, int64_t, int64_t, int64_t, const T*, T*);
FASTNN_INSTANTIATE_POOL(float)
FASTNN_INSTANTIATE_POOL(double)

}  // namespace fastnn
