#pragma once
// The 2x2 stride-2 max pool of one plane, forward and backward, per ISA (each
// compiled with its own flags in its own namespace): plain loops of selects that
// the compiler vectorises for each ISA's vector width.
#include <cstdint>

#include "core/cpu.h"

namespace fastnn {

// in: H x W plane (W < 2^30) with 2 * OH <= H, 2 * OW <= W.
//   max_2x2: out[oh][ow] = the window's maximum (a NaN wins, a later NaN over an
//     earlier one, as PyTorch), idx = its flat position in the plane.
//   max_2x2_backward: every input of the plane written once: grad at the
//     window's position idx, zero elsewhere (inputs outside every window too).
template <typename T>
struct PoolPlaneKernels {
  void (*max_2x2)(int64_t OH, int64_t OW, int64_t W, const T* in, T* out, int64_t* idx);
  void (*max_2x2_backward)(int64_t H, int64_t W, int64_t OH, int64_t OW, const T* grad, const int64_t* idx, T* out);
};

FASTNN_DECLARE_ISA_TABLES(PoolPlaneKernels, pool_planes)

}  // namespace fastnn
