// Elementwise activation entries: any shape, output allocated here.
#include "bindings/allocator.h"
#include "bindings/bindings.h"
#include "bindings/validate.h"
#include "ops/activation.h"

namespace fastnn::bindings {
namespace {

bool parse_approximate(const std::string& approximate) {
  if (approximate == "none") return false;
  if (approximate == "tanh") return true;
  throw py::value_error("gelu: approximate must be 'none' or 'tanh', got '" + approximate + "'");
}

py::array gelu_forward(const py::array& x, const std::string& approximate) {
  check_float_array(x, "input");
  const bool tanh_approx = parse_approximate(approximate);
  py::array y = new_array(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T* px = static_cast<const T*>(x.data());
    T* py_ = static_cast<T*>(y.mutable_data());
    py::gil_scoped_release release;
    fastnn::gelu_forward<T>(x.size(), px, py_, tanh_approx);
    return 0;
  });
  return y;
}

py::array gelu_backward(const py::array& x, const py::array& grad_output, const std::string& approximate) {
  check_float_array(x, "input");
  check_float_array(grad_output, "grad_output");
  check_same_dtype(x, "input", grad_output, "grad_output");
  check_shape(grad_output, "grad_output", std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  const bool tanh_approx = parse_approximate(approximate);
  py::array dx = new_array(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T* px = static_cast<const T*>(x.data());
    const T* pdy = static_cast<const T*>(grad_output.data());
    T* pdx = static_cast<T*>(dx.mutable_data());
    py::gil_scoped_release release;
    fastnn::gelu_backward<T>(x.size(), px, pdy, pdx, tanh_approx);
    return 0;
  });
  return dx;
}

py::array relu_forward(const py::array& x) {
  check_float_array(x, "input");
  py::array y = new_array(x.dtype(), std::vector<py::ssize_t>(x.shape(), x.shape() + x.ndim()));
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T* px = static_cast<const T*>(x.data());
    T* py_ = static_cast<T*>(y.mutable_data());
    py::gil_scoped_release release;
    fastnn::relu_forward<T>(x.size(), px, py_);
    return 0;
  });
  return y;
}

py::array relu_backward(const py::array& y, const py::array& grad_output) {
  check_float_array(y, "output");
  check_float_array(grad_output, "grad_output");
  check_same_dtype(y, "output", grad_output, "grad_output");
  check_shape(grad_output, "grad_output", std::vector<py::ssize_t>(y.shape(), y.shape() + y.ndim()));
  py::array dx = new_array(y.dtype(), std::vector<py::ssize_t>(y.shape(), y.shape() + y.ndim()));
  dispatch_float(y, [&](auto zero) {
    using T = decltype(zero);
    const T* pyv = static_cast<const T*>(y.data());
    const T* pdy = static_cast<const T*>(grad_output.data());
    T* pdx = static_cast<T*>(dx.mutable_data());
    py::gil_scoped_release release;
    fastnn::relu_backward<T>(y.size(), pyv, pdy, pdx);
    return 0;
  });
  return dx;
}

}  // namespace

void bind_activation(py::module_& m) {
  m.def("relu_forward", &relu_forward, py::arg("input").noconvert());
  m.def("relu_backward", &relu_backward, py::arg("output").noconvert(), py::arg("grad_output").noconvert());
  m.def("gelu_forward", &gelu_forward, py::arg("input").noconvert(), py::arg("approximate") = "none");
  m.def("gelu_backward", &gelu_backward, py::arg("input").noconvert(), py::arg("grad_output").noconvert(),
        py::arg("approximate") = "none");
}

}  // namespace fastnn::bindings
