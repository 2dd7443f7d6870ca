#include "ops/activation.h"

#include "core/cpu.h"
#include "core/parallel.h"
#include "ops/activation_rows.h"

namespace fastnn {
namespace {

// Elementwise loops this short run faster on one thread than on a team.
constexpr int64_t kParallelMinElements = 1 << 15;

template <typename T>
ActivationKernels<T> kernels() {
  return FASTNN_ISA_TABLE(T, active_isa(), activation_rows);
}

}  // namespace

template <typename T>
void gelu_forward(int64_t n, const T* x, T* y, bool tanh_approx) {
  const ActivationKernels<T> rows = kernels<T>();
  parallel_ranges(n, 1, kParallelMinElements,
                  [&](int64_t begin, int64_t end) { rows.gelu(end - begin, x + begin, y + begin, tanh_approx); });
}

template <typename T>
void gelu_backward(int64_t n, const T* x, const T* dy, T* dx, bool tanh_approx) {
  const ActivationKernels<T> rows = kernels<T>();
  parallel_ranges(n, 1, kParallelMinElements, [&](int64_t begin, int64_t end) {
    rows.gelu_backward(end - begin, x + begin, dy + begin, dx + begin, tanh_approx);
  });
}

template <typename T>
void relu_forward(int64_t n, const T* x, T* y) {
  const ActivationKernels<T> rows = kernels<T>();
  parallel_ranges(n, 1, kParallelMinElements,
                  [&](int64_t begin, int64_t end) { rows.relu(end - begin, x + begin, y + begin); });
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
