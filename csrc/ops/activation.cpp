#include "ops/activation.h"

#include <cmath>

#include "core/parallel.h"

namespace fastnn {
namespace {

// Elementwise loops this short run faster on one thread than on a team.
constexpr int64_t kParallelMinElements = 1 << 15;

template <typename T>
struct Gelu {
  static constexpr T kInvSqrt2 = T(0.70710678118654752440);
  static constexpr T kInvSqrt2Pi = T(0.39894228040143267794);
  static constexpr T kSqrt2OverPi = T(0.79788456080286535588);
  static constexpr T kCubic = T(0.044715);

  static T value(T x, bool tanh_approx) {
    if (tanh_approx) return T(0.5) * x * (T(1) + std::tanh(kSqrt2OverPi * (x + kCubic * x * x * x)));
    return T(0.5) * x * (T(1) + std::erf(x * kInvSqrt2));
  }

  static T derivative(T x, bool tanh_approx) {
    if (tanh_approx) {
      const T t = std::tanh(kSqrt2OverPi * (x + kCubic * x * x * x));
      return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * kSqrt2OverPi * (T(1) + 3 * kCubic * x * x);
    }
    return T(0.5) * (T(1) + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * std::exp(T(-0.5) * x * x);
  }
};

}  // namespace

template <typename T>
void gelu_forward(int64_t n, const T* x, T* y, bool tanh_approx) {
  parallel_ranges(n, 1, kParallelMinElements, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = Gelu<T>::value(x[i], tanh_approx);
  });
}

template <typename T>
void gelu_backward(int64_t n, const T* x, const T* dy, T* dx, bool tanh_approx) {
  parallel_ranges(n, 1, kParallelMinElements, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dx[i] = dy[i] * Gelu<T>::derivative(x[i], tanh_approx);
  });
}

template <typename T>
void relu_forward(int64_t n, const T* x, T* y) {
  parallel_ranges(n, 1, kParallelMinElements, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T v = x[i];  // loaded unconditionally, so the select vectorises
      y[i] = (v > T(0)) | (v != v) ? v : T(0);
    }
  });
}

template <typename T>
void relu_backward(int64_t n, const T* y, const T* dy, T* dx) {
  parallel_ranges(n, 1, kParallelMinElements, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const T g = dy[i];  // loaded unconditionally, so the select vectorises
      dx[i] = y[i] > T(0) ? g : T(0);
    }
  });
}

template void relu_forward<float>(int64_t, const float*, float*);
template void relu_forward<double>(int64_t, const double*, double*);
template void relu_backward<float>(int64_t, const float*, const float*, float*);
template void relu_backward<double>(int64_t, const double*, const double*, double*);
template void gelu_forward<float>(int64_t, const float*, float*, bool);
template void gelu_forward<double>(int64_t, const double*, double*, bool);
template void gelu_backward<float>(int64_t, const float*, const float*, float*, bool);
template void gelu_backward<double>(int64_t, const double*, const double*, double*, bool);

}  // namespace fastnn
