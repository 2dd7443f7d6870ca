#pragma once
// Elementwise activations NumPy has no primitive for (erf), forward and backward.
#include <cstdint>

namespace fastnn {

// y = gelu(x); tanh_approx selects PyTorch's approximate='tanh' form.
template <typename T>
void gelu_forward(int64_t n, const T* x, T* y, bool tanh_approx);

// dx = dy * gelu'(x)
template <typename T>
void gelu_backward(int64_t n, const T* x, const T* dy, T* dx, bool tanh_approx);

// y = max(x, 0) (NaN propagates)
template <typename T>
void relu_forward(int64_t n, const T* x, T* y);

// dx = dy where y > 0, else 0
template <typename T>
void relu_backward(int64_t n, const T* y, const T* dy, T* dx);

}  // namespace fastnn
