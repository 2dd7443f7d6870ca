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

// out = f(x), elementwise: validates x, allocates out, and calls
// kernel(n, x, out) for x's dtype with the GIL released.
template <typename Kernel>
py::array map_unary(const py::array& x, const char* name, Kernel&& kernel) {
  check_float_array(x, name);
  py::array out = new_array(x.dtype(), shape_of(x));
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T* in = static_cast<const T*>(x.data());
    T* result = static_cast<T*>(out.mutable_data());
    py::gil_scoped_release release;
    kernel(int64_t(x.size()), in, result);
    return 0;
  });
  return out;
}

// dx = f(saved, dy), elementwise, for two arrays of one dtype and shape.
template <typename Kernel>
py::array map_binary(const py::array& saved, const char* saved_name, const py::array& dy, Kernel&& kernel) {
  check_float_array(saved, saved_name);
  check_float_array(dy, "grad_output");
  check_same_dtype(saved, saved_name, dy, "grad_output");
  check_shape(dy, "grad_output", shape_of(saved));
  py::array dx = new_array(saved.dtype(), shape_of(saved));
  dispatch_float(saved, [&](auto zero) {
    using T = decltype(zero);
    const T* a = static_cast<const T*>(saved.data());
    const T* b = static_cast<const T*>(dy.data());
    T* result = static_cast<T*>(dx.mutable_data());
    py::gil_scoped_release release;
    kernel(int64_t(saved.size()), a, b, result);
    return 0;
  });
  return dx;
}

py::array gelu_forward(const py::array& x, const std::string& approximate) {
  const bool tanh_approx = parse_approximate(approximate);
  return map_unary(x, "input", [&](int64_t n, const auto* in, auto* out) { fastnn::gelu_forward(n, in, out, tanh_approx); });
}

py::array gelu_backward(const py::array& x, const py::array& grad_output, const std::string& approximate) {
  const bool tanh_approx = parse_approximate(approximate);
  return map_binary(x, "input", grad_output, [&](int64_t n, const auto* in, const auto* dy, auto* dx) {
    fastnn::gelu_backward(n, in, dy, dx, tanh_approx);
  });
}

py::array relu_forward(const py::array& x) {
  return map_unary(x, "input", [](int64_t n, const auto* in, auto* out) { fastnn::relu_forward(n, in, out); });
}

py::array relu_backward(const py::array& y, const py::array& grad_output) {
  return map_binary(y, "output", grad_output, [](int64_t n, const auto* out, const auto* dy, auto* dx) {
    fastnn::relu_backward(n, out, dy, dx);
  });
}

}  // namespace

void bind_activation(py::module_& m) {
  m.def("relu_forward", &relu_forward, py::arg("input").noconvert(), "max(input, 0), NaN kept.");
  m.def("relu_backward", &relu_backward, py::arg("output").noconvert(), py::arg("grad_output").noconvert(),
        "grad_output where the forward's output is positive, else 0.");
  m.def("gelu_forward", &gelu_forward, py::arg("input").noconvert(), py::arg("approximate") = "none",
        "x * Phi(x) (approximate='tanh': PyTorch's tanh form).");
  m.def("gelu_backward", &gelu_backward, py::arg("input").noconvert(), py::arg("grad_output").noconvert(),
        py::arg("approximate") = "none", "grad_output * GELU'(input).");
}

}  // namespace fastnn::bindings
