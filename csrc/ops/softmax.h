#pragma once
// Softmax and log-softmax along one axis of an (outer, n, inner) array, forward
// and backward; numerically stable (the row maximum is subtracted first).
#include <cstdint>

namespace fastnn {

template <typename T>
void softmax_forward(int64_t outer, int64_t n, int64_t inner, const T* x, T* y, bool log);

// softmax: dx = y * (dy - sum(dy * y));  log-softmax: dx = dy - exp(y) * sum(dy)
template <typename T>
void softmax_backward(int64_t outer, int64_t n, int64_t inner, const T* y, const T* dy, T* dx, bool log);

}  // namespace fastnn
