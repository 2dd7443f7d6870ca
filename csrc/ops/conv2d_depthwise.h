#pragma once
// Depthwise convolution (one input channel per group): direct loops over the
// kernel taps, which beat im2col + GEMM when each output sums only KH x KW terms.
// Called by conv2d.cpp for shapes with in_per_group() == 1; backward_weight
// takes any number of input channels per group (a pair of planes at a time),
// and also serves 3x3 stride-1 weight gradients that Winograd does not.
#include "ops/conv2d.h"

namespace fastnn::depthwise {

template <typename T>
void forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y);
template <typename T>
void backward_input(const Conv2dShape& s, const T* dy, const T* w, T* dx);
template <typename T>
void backward_weight(const Conv2dShape& s, const T* x, const T* dy, T* dw, T* dbias);

}  // namespace fastnn::depthwise
