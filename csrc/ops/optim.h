#pragma once
// One optimizer step of one parameter, fused: torch.optim's SGD and Adam(W)
// update rules in a single pass over the parameter, its gradient and its
// state (NumPy took a pass, and often a temporary, per operation).
#include <cstdint>

namespace fastnn {

struct SgdSettings {
  double lr, momentum, dampening, weight_decay;
  bool nesterov, maximize;
  bool first;  // the momentum buffer's first step: it is set to the gradient
};

// g = grad (negated to maximize) + weight_decay * param; with momentum,
// buf = momentum * buf + (1 - dampening) * g (buf = g on the first step) and
// g = nesterov ? g + momentum * buf : buf; then param -= lr * g. buf may be
// null when momentum is 0.
template <typename T>
void sgd_step(int64_t n, T* param, const T* grad, T* buf, const SgdSettings& s);

struct AdamSettings {
  double lr, beta1, beta2, eps, weight_decay;
  bool decoupled, amsgrad, maximize;
  int64_t step;  // 1 on the first
};

// Adam (weight decay added to the gradient) or AdamW (decoupled: param scaled
// by 1 - lr * weight_decay first): m and v move toward g and g * g, and
// param -= lr / (1 - beta1^step) * m / (sqrt(v') / sqrt(1 - beta2^step) + eps),
// where v' is v or, with amsgrad, the running maximum of v (max_v, else null).
template <typename T>
void adam_step(int64_t n, T* param, const T* grad, T* m, T* v, T* max_v, const AdamSettings& s);

}  // namespace fastnn
