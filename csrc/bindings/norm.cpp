// layer_norm entries over the last dimension of a 2-D (rows, n) array.
#include "bindings/allocator.h"
#include "bindings/bindings.h"
#include "bindings/validate.h"
#include "ops/layer_norm.h"

namespace fastnn::bindings {
namespace {

// The optional per-column parameter `name` (weight or bias): None, or (n,) of x's dtype.
const py::array* optional_param(const py::object& p, const char* name, const py::array& x, py::array& holder) {
  if (p.is_none()) return nullptr;
  holder = py::cast<py::array>(p);
  check_float_array(holder, name);
  check_same_dtype(x, "input", holder, name);
  check_shape(holder, name, {x.shape(1)});
  return &holder;
}

template <typename T>
const T* data_or_null(const py::array* a) {
  return a ? data_of<T>(*a) : nullptr;
}

py::tuple forward(const py::array& x, const py::object& weight, const py::object& bias, double eps) {
  check_float_array(x, "input");
  check_ndim(x, "input", {2});
  py::array w_holder, b_holder;
  const py::array* w = optional_param(weight, "weight", x, w_holder);
  const py::array* b = optional_param(bias, "bias", x, b_holder);
  const int64_t rows = x.shape(0), n = x.shape(1);
  py::array y = new_array(x.dtype(), {rows, n});
  py::array mean = new_array(x.dtype(), {rows});
  py::array rstd = new_array(x.dtype(), {rows});
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    T *py_ = mutable_data_of<T>(y), *pm = mutable_data_of<T>(mean), *pr = mutable_data_of<T>(rstd);
    py::gil_scoped_release release;
    layer_norm_forward<T>(rows, n, data_of<T>(x), data_or_null<T>(w), data_or_null<T>(b), T(eps), py_, pm, pr);
    return 0;
  });
  return py::make_tuple(y, mean, rstd);
}

py::tuple backward(const py::array& x, const py::object& weight, const py::array& mean, const py::array& rstd,
                   const py::array& dy, bool need_input, bool need_weight, bool need_bias) {
  check_float_array(x, "input");
  check_ndim(x, "input", {2});
  py::array w_holder;
  const py::array* w = optional_param(weight, "weight", x, w_holder);
  const int64_t rows = x.shape(0), n = x.shape(1);
  const std::pair<const py::array*, const char*> saved[] = {{&mean, "mean"}, {&rstd, "rstd"}, {&dy, "grad_output"}};
  for (const auto& [array, name] : saved) {
    check_float_array(*array, name);
    check_same_dtype(x, "input", *array, name);
  }
  check_shape(mean, "mean", {rows});
  check_shape(rstd, "rstd", {rows});
  check_shape(dy, "grad_output", {rows, n});
  auto maybe = [&](bool wanted, std::vector<py::ssize_t> shape) -> py::object {
    return wanted ? py::object(new_array(x.dtype(), shape)) : py::object(py::none());
  };
  py::object dx = maybe(need_input, {rows, n}), dw = maybe(need_weight && w, {n}), db = maybe(need_bias, {n});
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    auto out = [](py::object& a) { return a.is_none() ? nullptr : static_cast<T*>(py::cast<py::array>(a).mutable_data()); };
    T *pdx = out(dx), *pdw = out(dw), *pdb = out(db);
    py::gil_scoped_release release;
    layer_norm_backward<T>(rows, n, data_of<T>(x), data_or_null<T>(w), data_of<T>(mean), data_of<T>(rstd),
                           data_of<T>(dy), pdx, pdw, pdb);
    return 0;
  });
  return py::make_tuple(dx, dw, db);
}

}  // namespace

void bind_norm(py::module_& m) {
  m.def("layer_norm_forward", &forward, py::arg("input").noconvert(), py::arg("weight") = py::none(),
        py::arg("bias") = py::none(), py::arg("eps") = 1e-5,
        "(output, mean, rstd): each row of the 2-D input normalised, then * weight + bias.");
  m.def("layer_norm_backward", &backward, py::arg("input").noconvert(), py::arg("weight"),
        py::arg("mean").noconvert(), py::arg("rstd").noconvert(), py::arg("grad_output").noconvert(),
        py::arg("need_input") = true, py::arg("need_weight") = true, py::arg("need_bias") = true,
        "(grad_input, grad_weight, grad_bias) of layer_norm_forward; None for those not asked for.");
}

}  // namespace fastnn::bindings
