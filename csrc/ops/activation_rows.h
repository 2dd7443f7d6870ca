#pragma once
// ReLU and GELU over a run of values, per ISA (each compiled with its own
// flags in its own namespace, so that the loops vectorise to the ISA's width:
// built for baseline x86-64, ReLU's selects ran 4 wide, 1.3-1.5x slower; its
// backward, three streams bound by memory, stays there: the AVX-512 build's
// masked loads measured ~10% slower). GELU's float runs through fast_math's
// branch-free normal CDF and tanh, double through libm.
#include <cstdint>

#include "core/cpu.h"

namespace fastnn {

// gelu: y[i] = gelu(x[i]); gelu_backward: dx[i] = dy[i] * gelu'(x[i]), for
// i < n; tanh_approx selects PyTorch's approximate='tanh' form.
// relu: y[i] = max(x[i], 0), NaN kept.
template <typename T>
struct ActivationKernels {
  void (*relu)(int64_t n, const T* x, T* y);
  void (*gelu)(int64_t n, const T* x, T* y, bool tanh_approx);
  void (*gelu_backward)(int64_t n, const T* x, const T* dy, T* dx, bool tanh_approx);
};

FASTNN_DECLARE_ISA_TABLES(ActivationKernels, activation_rows)

}  // namespace fastnn
