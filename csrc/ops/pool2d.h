#pragma once
// 2-D pooling over NCHW planes: max (with the argmax saved for backward),
// average (count_include_pad, divisor override) and adaptive average.
#include <cstdint>

namespace fastnn {

struct Pool2dShape {
  int64_t planes, H, W;   // N * C planes of H x W
  int64_t KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w;
  int64_t OH, OW;
};

// indices (Index int64_t): flat h * W + w of each maximum in its input plane,
// as PyTorch returns; or (Index uint8_t, only where max_pool2d_has_window_offsets)
// its offset in the window, 2 * dh + dw: an eighth of the bytes, for autograd.
template <typename T, typename Index>
void max_pool2d_forward(const Pool2dShape& s, const T* x, T* y, Index* indices);
bool max_pool2d_has_window_offsets(const Pool2dShape& s);
// s and indices as in forward. Windows of 2x2, stride 2, write each input of a
// window once, from the index's offset in it (whatever the index, nothing
// outside the window is written); other windows scatter to the indices, which
// must lie in [-1, H * W).
template <typename T, typename Index>
void max_pool2d_backward(const Pool2dShape& s, const T* dy, const Index* indices, T* dx);
bool max_pool2d_backward_scatters(const Pool2dShape& s);

// divisor <= 0: the window size (count_include_pad) or its valid part.
template <typename T>
void avg_pool2d_forward(const Pool2dShape& s, const T* x, T* y, bool count_include_pad, int64_t divisor);
template <typename T>
void avg_pool2d_backward(const Pool2dShape& s, const T* dy, T* dx, bool count_include_pad, int64_t divisor);

// Output cell (i, j) averages rows [floor(i*H/OH), ceil((i+1)*H/OH)) and likewise columns.
template <typename T>
void adaptive_avg_pool2d_forward(int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW, const T* x, T* y);
template <typename T>
void adaptive_avg_pool2d_backward(int64_t planes, int64_t H, int64_t W, int64_t OH, int64_t OW, const T* dy, T* dx);

}  // namespace fastnn
