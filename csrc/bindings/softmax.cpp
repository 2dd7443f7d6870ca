// softmax / log_softmax entries along one axis of any array.
#include "bindings/allocator.h"
#include "bindings/bindings.h"
#include "bindings/validate.h"
#include "ops/softmax.h"

namespace fastnn::bindings {
namespace {

struct Axis {
  int64_t outer = 1, n = 1, inner = 1;
};

Axis split_at(const py::array& a, int64_t dim) {
  const int64_t ndim = std::max<int64_t>(a.ndim(), 1);
  if (dim < -ndim || dim >= ndim)
    throw py::index_error("softmax: dim " + std::to_string(dim) + " is out of range for shape " + shape_str(a));
  if (dim < 0) dim += ndim;
  Axis axis;
  for (int64_t i = 0; i < a.ndim(); ++i) {
    if (i < dim) axis.outer *= a.shape(i);
    else if (i == dim) axis.n = a.shape(i);
    else axis.inner *= a.shape(i);
  }
  return axis;
}

py::array forward(const py::array& x, int64_t dim, bool log) {
  check_float_array(x, "input");
  const Axis axis = split_at(x, dim);
  py::array y = new_array(x.dtype(), shape_of(x));
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T* px = static_cast<const T*>(x.data());
    T* py_ = static_cast<T*>(y.mutable_data());
    py::gil_scoped_release release;
    softmax_forward<T>(axis.outer, axis.n, axis.inner, px, py_, log);
    return 0;
  });
  return y;
}

py::array backward(const py::array& y, const py::array& dy, int64_t dim, bool log) {
  check_float_array(y, "output");
  check_float_array(dy, "grad_output");
  check_same_dtype(y, "output", dy, "grad_output");
  check_shape(dy, "grad_output", shape_of(y));
  const Axis axis = split_at(y, dim);
  py::array dx = new_array(y.dtype(), shape_of(y));
  dispatch_float(y, [&](auto zero) {
    using T = decltype(zero);
    const T* pyv = static_cast<const T*>(y.data());
    const T* pdy = static_cast<const T*>(dy.data());
    T* pdx = static_cast<T*>(dx.mutable_data());
    py::gil_scoped_release release;
    softmax_backward<T>(axis.outer, axis.n, axis.inner, pyv, pdy, pdx, log);
    return 0;
  });
  return dx;
}

}  // namespace

void bind_softmax(py::module_& m) {
  m.def("softmax_forward", &forward, py::arg("input").noconvert(), py::arg("dim"), py::arg("log") = false,
        "Softmax (log=True: log-softmax) along dim, the maximum subtracted first.");
  m.def("softmax_backward", &backward, py::arg("output").noconvert(), py::arg("grad_output").noconvert(),
        py::arg("dim"), py::arg("log") = false, "Input gradient of softmax_forward from its output.");
}

}  // namespace fastnn::bindings
