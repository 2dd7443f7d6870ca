#pragma once
// GELU over a run of values, per ISA (each compiled with its own flags in its
// own namespace): float through fast_math's branch-free normal CDF and tanh, so
// that the loops vectorise to the ISA's width; double through libm.
#include <cstdint>

#include "core/cpu.h"

namespace fastnn {

// gelu: y[i] = gelu(x[i]); gelu_backward: dx[i] = dy[i] * gelu'(x[i]), for
// i < n; tanh_approx selects PyTorch's approximate='tanh' form.
template <typename T>
struct ActivationKernels {
  void (*gelu)(int64_t n, const T* x, T* y, bool tanh_approx);
  void (*gelu_backward)(int64_t n, const T* x, const T* dy, T* dx, bool tanh_approx);
};

FASTNN_DECLARE_ISA_TABLES(ActivationKernels, activation_rows)

}  // namespace fastnn
