// The ReLU and GELU loops, written once and compiled per ISA: included only by
// ops/activation_rows_<isa>.cpp after they define FASTNN_ISA_NAMESPACE.
#include <cmath>
#include <cstdint>

#include "ops/activation_rows.h"
#include "ops/fast_math.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

template <typename T>
struct Gelu {
  static constexpr T kInvSqrt2Pi = T(0.39894228040143267794);
  static constexpr T kSqrt2OverPi = T(0.79788456080286535588);
  static constexpr T kCubic = T(0.044715);

  static T value(T x, bool tanh_approx) {
    if (tanh_approx) return T(0.5) * x * (T(1) + tanh_fast(kSqrt2OverPi * (x + kCubic * x * x * x)));
    return x * normal_cdf_fast(x).cdf;
  }

  static T derivative(T x, bool tanh_approx) {
    if (tanh_approx) {
      const T t = tanh_fast(kSqrt2OverPi * (x + kCubic * x * x * x));
      return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * kSqrt2OverPi * (T(1) + 3 * kCubic * x * x);
    }
    const auto phi = normal_cdf_fast(x);
    return phi.cdf + x * kInvSqrt2Pi * phi.gaussian;
  }
};

// Each loop is a function of its own on restrict pointers: one straight-line
// body the compiler vectorises (every value loaded unconditionally, so the
// selects do too).
template <typename T>
void relu(int64_t n, const T* __restrict x, T* __restrict y) {
  for (int64_t i = 0; i < n; ++i) {
    const T v = x[i];
    y[i] = (v > T(0)) | (v != v) ? v : T(0);
  }
}

template <typename T, bool kTanh>
void gelu_values(int64_t n, const T* __restrict x, T* __restrict y) {
  for (int64_t i = 0; i < n; ++i) y[i] = Gelu<T>::value(x[i], kTanh);
}

template <typename T, bool kTanh>
void gelu_gradients(int64_t n, const T* __restrict x, const T* __restrict dy, T* __restrict dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * Gelu<T>::derivative(x[i], kTanh);
}

template <typename T>
void gelu(int64_t n, const T* x, T* y, bool tanh_approx) {
  (tanh_approx ? gelu_values<T, true> : gelu_values<T, false>)(n, x, y);
}

template <typename T>
void gelu_backward(int64_t n, const T* x, const T* dy, T* dx, bool tanh_approx) {
  (tanh_approx ? gelu_gradients<T, true> : gelu_gradients<T, false>)(n, x, dy, dx);
}

}  // namespace

template <typename T>
ActivationKernels<T> activation_kernels() {
  return {&relu<T>, &gelu<T>, &gelu_backward<T>};
}

ActivationKernels<float> activation_rows_f32() { return activation_kernels<float>(); }
ActivationKernels<double> activation_rows_f64() { return activation_kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
