// Optimizer steps: the parameter and its state arrays updated in place.
#include <string>

#include "bindings/bindings.h"
#include "bindings/validate.h"
#include "ops/optim.h"

namespace fastnn::bindings {
namespace {

// param writable; grad and each present state array of param's dtype and
// shape (states writable too), so that one element count covers them all.
void check_step(const char* fn, const py::array& param, const py::array& grad,
                std::initializer_list<std::pair<const py::object*, const char*>> states) {
  check_float_array(param, "param", true);
  check_float_array(grad, "grad");
  check_same_dtype(param, "param", grad, "grad");
  check_shape(grad, "grad", shape_of(param));
  for (const auto& [state, name] : states) {
    if (state->is_none()) continue;
    if (!py::isinstance<py::array>(*state))
      throw py::type_error(std::string(fn) + ": " + name + " must be a NumPy array or None");
    const py::array a = py::reinterpret_borrow<py::array>(*state);
    check_float_array(a, name, true);
    check_same_dtype(param, "param", a, name);
    check_shape(a, name, shape_of(param));
  }
}

template <typename T>
T* state_of(const py::object& state) {
  return state.is_none() ? nullptr : static_cast<T*>(py::reinterpret_borrow<py::array>(state).mutable_data());
}

void sgd_step(py::array& param, const py::array& grad, const py::object& momentum_buffer, double lr, double momentum,
              double dampening, double weight_decay, bool nesterov, bool maximize, bool first) {
  check_step("sgd_step", param, grad, {{&momentum_buffer, "momentum_buffer"}});
  if (momentum != 0.0 && momentum_buffer.is_none())
    throw py::value_error("sgd_step: momentum=" + std::to_string(momentum) + " needs a momentum_buffer");
  const SgdSettings s{lr, momentum, dampening, weight_decay, nesterov, maximize, first};
  dispatch_float(param, [&](auto zero) {
    using T = decltype(zero);
    T* p = mutable_data_of<T>(param);
    const T* g = data_of<T>(grad);
    T* buf = momentum == 0.0 ? nullptr : state_of<T>(momentum_buffer);
    py::gil_scoped_release release;
    fastnn::sgd_step<T>(int64_t(param.size()), p, g, buf, s);
    return 0;
  });
}

void adam_step(py::array& param, const py::array& grad, const py::object& exp_avg, const py::object& exp_avg_sq,
               const py::object& max_exp_avg_sq, double lr, double beta1, double beta2, double eps,
               double weight_decay, bool decoupled, bool amsgrad, bool maximize, int64_t step) {
  check_step("adam_step", param, grad,
             {{&exp_avg, "exp_avg"}, {&exp_avg_sq, "exp_avg_sq"}, {&max_exp_avg_sq, "max_exp_avg_sq"}});
  if (exp_avg.is_none() || exp_avg_sq.is_none() || (amsgrad && max_exp_avg_sq.is_none()))
    throw py::value_error("adam_step: exp_avg and exp_avg_sq (and, with amsgrad, max_exp_avg_sq) are needed");
  if (step < 1) throw py::value_error("adam_step: step must be >= 1, got " + std::to_string(step));
  const AdamSettings s{lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad, maximize, step};
  dispatch_float(param, [&](auto zero) {
    using T = decltype(zero);
    T* p = mutable_data_of<T>(param);
    const T* g = data_of<T>(grad);
    T *m = state_of<T>(exp_avg), *v = state_of<T>(exp_avg_sq), *v_max = amsgrad ? state_of<T>(max_exp_avg_sq) : nullptr;
    py::gil_scoped_release release;
    fastnn::adam_step<T>(int64_t(param.size()), p, g, m, v, v_max, s);
    return 0;
  });
}

}  // namespace

void bind_optim(py::module_& m) {
  m.def("sgd_step", &sgd_step, py::arg("param").noconvert(), py::arg("grad").noconvert(),
        py::arg("momentum_buffer"), py::arg("lr"), py::arg("momentum"), py::arg("dampening"),
        py::arg("weight_decay"), py::arg("nesterov"), py::arg("maximize"), py::arg("first"),
        "One torch.optim.SGD step of param (and its momentum buffer), in place.");
  m.def("adam_step", &adam_step, py::arg("param").noconvert(), py::arg("grad").noconvert(), py::arg("exp_avg"),
        py::arg("exp_avg_sq"), py::arg("max_exp_avg_sq"), py::arg("lr"), py::arg("beta1"), py::arg("beta2"),
        py::arg("eps"), py::arg("weight_decay"), py::arg("decoupled"), py::arg("amsgrad"), py::arg("maximize"),
        py::arg("step"), "One torch.optim.Adam (decoupled: AdamW) step of param and its moments, in place.");
}

}  // namespace fastnn::bindings
