// The 2x2 max-pool plane kernels, written once as plain loops and compiled per
// ISA: included only by ops/pool2d_planes_<isa>.cpp after they define
// FASTNN_ISA_NAMESPACE.
#include <algorithm>
#include <cstdint>

#include "ops/pool2d_planes.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// Selects, not branches, on the maximum's offset in its window (scanned in
// PyTorch's order), in 32-bit lanes like the values, so that the loop vectorises.
template <typename T>
void max_2x2(int64_t OH, int64_t OW, int64_t W, const T* __restrict in, T* __restrict out, int64_t* __restrict idx) {
  const int32_t w = int32_t(W);
  for (int64_t oh = 0; oh < OH; ++oh) {
    const T* r0 = in + 2 * oh * W;
    const T* r1 = r0 + W;
    const int64_t base = 2 * oh * W;
    for (int64_t ow = 0; ow < OW; ++ow) {
      const T b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
      T best = r0[2 * ow];
      int32_t offset = 0;
      bool take = (b > best) | (b != b);  // larger, or NaN
      best = take ? b : best;
      offset = take ? 1 : offset;
      take = (c > best) | (c != c);
      best = take ? c : best;
      offset = take ? w : offset;
      take = (d > best) | (d != d);
      best = take ? d : best;
      offset = take ? w + 1 : offset;
      out[oh * OW + ow] = best;
      idx[oh * OW + ow] = base + 2 * ow + offset;
    }
  }
}

// Its adjoint: every input of a window is written, the gradient at the
// window's maximum and zero elsewhere (no zero fill, no scatter); inputs no
// window covers (an odd last row or column) get zero.
template <typename T>
void max_2x2_backward(int64_t H, int64_t W, int64_t OH, int64_t OW, const T* __restrict grad,
                      const int64_t* __restrict idx, T* __restrict out) {
  const int32_t w = int32_t(W);
  for (int64_t oh = 0; oh < OH; ++oh) {
    T* r0 = out + 2 * oh * W;
    T* r1 = r0 + W;
    const int64_t base = 2 * oh * W;
    for (int64_t ow = 0; ow < OW; ++ow) {
      const T g = grad[oh * OW + ow];
      const int32_t at = int32_t(idx[oh * OW + ow] - base) - int32_t(2 * ow);  // 32-bit lanes: vectorises
      const T g0 = at == 0 ? g : T(0), g1 = at == 1 ? g : T(0), g2 = at == w ? g : T(0), g3 = at == w + 1 ? g : T(0);
      r0[2 * ow] = g0;
      r0[2 * ow + 1] = g1;
      r1[2 * ow] = g2;
      r1[2 * ow + 1] = g3;
    }
    for (int64_t col = 2 * OW; col < W; ++col) r0[col] = r1[col] = T(0);
  }
  std::fill(out + 2 * OH * W, out + H * W, T(0));
}

template <typename T>
PoolPlaneKernels<T> plane_kernels() {
  return {&max_2x2<T>, &max_2x2_backward<T>};
}

}  // namespace

PoolPlaneKernels<float> pool_planes_f32() { return plane_kernels<float>(); }
PoolPlaneKernels<double> pool_planes_f64() { return plane_kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
