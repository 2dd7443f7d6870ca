#include "ops/optim.h"

#include <cmath>

#include "core/parallel.h"

namespace fastnn {
namespace {

// Below this many elements one thread does the whole update.
constexpr int64_t kParallelMinElements = 1 << 16;

// The loops are functions of their own, on restrict pointers and scalar
// arguments: straight-line bodies the compiler vectorises (the settings read
// through a reference each iteration kept them scalar, slower than NumPy).
// The operations and their order are NumPy's in the reference (and
// torch.optim's): each rounds the same way. Weight decay is added only when
// nonzero (0 * inf would be NaN).
template <typename T, bool kMomentum>
void sgd_run(int64_t n, T* __restrict param, const T* __restrict grad, T* __restrict buf, T lr, T momentum, T keep,
             T decay, T sign, bool nesterov, bool first) {
  for (int64_t i = 0; i < n; ++i) {
    T g = decay != T(0) ? sign * grad[i] + decay * param[i] : sign * grad[i];
    if constexpr (kMomentum) {
      const T b = first ? g : momentum * buf[i] + keep * g;
      buf[i] = b;
      g = nesterov ? g + momentum * b : b;
    }
    param[i] -= lr * g;
  }
}

template <typename T>
void adam_run(int64_t n, T* __restrict param, const T* __restrict grad, T* __restrict m, T* __restrict v,
              T* __restrict max_v, T beta1, T beta2, T rest1, T rest2, T eps, T shrink, T decay, T sign, T step_size,
              T root2) {
  for (int64_t i = 0; i < n; ++i) {
    const T p = param[i] * shrink;
    const T g = decay != T(0) ? sign * grad[i] + decay * p : sign * grad[i];
    const T mi = beta1 * m[i] + rest1 * g;
    T vi = beta2 * v[i] + rest2 * g * g;
    m[i] = mi;
    v[i] = vi;
    if (max_v != nullptr) {
      vi = max_v[i] > vi || max_v[i] != max_v[i] ? max_v[i] : vi;  // NaN wins, as in np.maximum
      max_v[i] = vi;
    }
    param[i] = p - step_size * (mi / (std::sqrt(vi) / root2 + eps));
  }
}

}  // namespace

template <typename T>
void sgd_step(int64_t n, T* param, const T* grad, T* buf, const SgdSettings& s) {
  const T lr = T(s.lr), momentum = T(s.momentum), keep = T(1 - s.dampening), decay = T(s.weight_decay);
  const T sign = s.maximize ? T(-1) : T(1);
  parallel_ranges(n, 1, kParallelMinElements, [&](int64_t begin, int64_t end) {
    T* b = buf != nullptr ? buf + begin : nullptr;
    (buf != nullptr ? sgd_run<T, true> : sgd_run<T, false>)(end - begin, param + begin, grad + begin, b, lr, momentum,
                                                            keep, decay, sign, s.nesterov, s.first);
  });
}

template <typename T>
void adam_step(int64_t n, T* param, const T* grad, T* m, T* v, T* max_v, const AdamSettings& s) {
  const T shrink = s.decoupled ? T(1 - s.lr * s.weight_decay) : T(1), decay = s.decoupled ? T(0) : T(s.weight_decay);
  const T step_size = T(s.lr / (1 - std::pow(s.beta1, double(s.step))));
  const T root2 = T(std::sqrt(1 - std::pow(s.beta2, double(s.step))));
  parallel_ranges(n, 1, kParallelMinElements, [&](int64_t begin, int64_t end) {
    adam_run<T>(end - begin, param + begin, grad + begin, m + begin, v + begin,
                max_v != nullptr ? max_v + begin : nullptr, T(s.beta1), T(s.beta2), T(1 - s.beta1), T(1 - s.beta2),
                T(s.eps), shrink, decay, s.maximize ? T(-1) : T(1), step_size, root2);
  });
}

template void sgd_step<float>(int64_t, float*, const float*, float*, const SgdSettings&);
template void sgd_step<double>(int64_t, double*, const double*, double*, const SgdSettings&);
template void adam_step<float>(int64_t, float*, const float*, float*, float*, float*, const AdamSettings&);
template void adam_step<double>(int64_t, double*, const double*, double*, double*, double*, const AdamSettings&);

}  // namespace fastnn
