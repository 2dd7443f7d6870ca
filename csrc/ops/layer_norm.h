#pragma once
// Layer normalisation over the last dimension of a (rows, n) array:
// y = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(biased variance + eps).
#include <cstdint>

namespace fastnn {

// weight and bias may be null (no affine part). Saves each row's mean and rstd.
template <typename T>
void layer_norm_forward(int64_t rows, int64_t n, const T* x, const T* weight, const T* bias, T eps, T* y, T* mean,
                        T* rstd);

// dx (may be null) and, when weight is given, dweight and dbias (each may be
// null), the last two summed over rows in a fixed order.
template <typename T>
void layer_norm_backward(int64_t rows, int64_t n, const T* x, const T* weight, const T* mean, const T* rstd,
                         const T* dy, T* dx, T* dweight, T* dbias);

}  // namespace fastnn
