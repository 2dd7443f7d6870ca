// conv2d entries: forward, backward to the input, backward to weight and bias.
#include <pybind11/stl.h>

#include "bindings/allocator.h"
#include "bindings/bindings.h"
#include "bindings/validate.h"
#include "ops/conv2d.h"

namespace fastnn::bindings {
namespace {

// Validates every hyper-parameter and shape relation and derives the output size.
Conv2dShape conv_shape(const std::vector<int64_t>& x, const std::vector<int64_t>& w, Pair stride, Pair padding,
                       Pair dilation, int64_t groups) {
  if (x.size() != 4) throw py::value_error("conv2d: input must be 4-D (N, C, H, W), got shape " + dims_str(x));
  if (w.size() != 4) throw py::value_error("conv2d: weight must be 4-D (O, C/groups, KH, KW), got shape " + dims_str(w));
  check_shape_arg("conv2d", "input shape", x);
  check_shape_arg("conv2d", "weight shape", w);
  check_window("conv2d", stride, padding, dilation);
  if (groups <= 0 || groups > kMaxWindow)
    throw py::value_error("conv2d: groups must be positive and at most " + std::to_string(kMaxWindow) + ", got " +
                          std::to_string(groups));
  if (x[1] % groups != 0 || w[0] % groups != 0)
    throw py::value_error("conv2d: groups=" + std::to_string(groups) + " must divide the input channels (input " +
                          dims_str(x) + ") and the output channels (weight " + dims_str(w) + ")");
  if (w[1] * groups != x[1])
    throw py::value_error("conv2d: weight " + dims_str(w) + " expects " + std::to_string(w[1] * groups) +
                          " input channels (groups=" + std::to_string(groups) + "), but input " + dims_str(x) +
                          " has " + std::to_string(x[1]));
  if (w[2] <= 0 || w[3] <= 0 || w[0] <= 0) throw py::value_error("conv2d: weight has an empty dimension: " + dims_str(w));
  Conv2dShape s{x[0], x[1], x[2], x[3], w[0], w[2], w[3], stride.first, stride.second, padding.first,
                padding.second, dilation.first, dilation.second, groups, 0, 0};
  const int64_t eff_h = s.dil_h * (s.KH - 1) + 1, eff_w = s.dil_w * (s.KW - 1) + 1;
  if (eff_h > s.H + 2 * s.pad_h || eff_w > s.W + 2 * s.pad_w)
    throw py::value_error("conv2d: kernel size (dilated) (" + std::to_string(eff_h) + ", " + std::to_string(eff_w) +
                          ") is larger than the padded input (" + std::to_string(s.H + 2 * s.pad_h) + ", " +
                          std::to_string(s.W + 2 * s.pad_w) + "); input " + dims_str(x) + ", weight " + dims_str(w));
  s.OH = (s.H + 2 * s.pad_h - eff_h) / s.stride_h + 1;
  s.OW = (s.W + 2 * s.pad_w - eff_w) / s.stride_w + 1;
  return s;
}

py::array forward(const py::array& x, const py::array& w, const py::object& bias, Pair stride, Pair padding,
                  Pair dilation, int64_t groups) {
  check_float_array(x, "input");
  check_float_array(w, "weight");
  check_same_dtype(x, "input", w, "weight");
  const Conv2dShape s = conv_shape(dims_of(x), dims_of(w), stride, padding, dilation, groups);
  py::array b;
  if (!bias.is_none()) {
    b = py::cast<py::array>(bias);
    check_float_array(b, "bias");
    check_same_dtype(x, "input", b, "bias");
    check_shape(b, "bias", {s.O});
  }
  py::array y = new_array(x.dtype(), std::vector<py::ssize_t>{s.N, s.O, s.OH, s.OW});
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T* pb = bias.is_none() ? nullptr : data_of<T>(b);
    const T *px = data_of<T>(x), *pw = data_of<T>(w);
    T* py_ = mutable_data_of<T>(y);
    py::gil_scoped_release release;
    conv2d_forward<T>(s, px, pw, pb, py_);
    return 0;
  });
  return y;
}

py::array backward_input(const py::array& dy, const py::array& w, const std::vector<int64_t>& input_shape,
                         Pair stride, Pair padding, Pair dilation, int64_t groups) {
  check_float_array(dy, "grad_output");
  check_float_array(w, "weight");
  check_same_dtype(dy, "grad_output", w, "weight");
  const Conv2dShape s = conv_shape(input_shape, dims_of(w), stride, padding, dilation, groups);
  check_shape(dy, "grad_output", {s.N, s.O, s.OH, s.OW});
  py::array dx = new_array(dy.dtype(), std::vector<py::ssize_t>(input_shape.begin(), input_shape.end()));
  dispatch_float(dy, [&](auto zero) {
    using T = decltype(zero);
    const T *pdy = data_of<T>(dy), *pw = data_of<T>(w);
    T* pdx = mutable_data_of<T>(dx);
    py::gil_scoped_release release;
    conv2d_backward_input<T>(s, pdy, pw, pdx);
    return 0;
  });
  return dx;
}

py::tuple backward_weight(const py::array& x, const py::array& dy, const std::vector<int64_t>& weight_shape,
                          Pair stride, Pair padding, Pair dilation, int64_t groups, bool bias) {
  check_float_array(x, "input");
  check_float_array(dy, "grad_output");
  check_same_dtype(x, "input", dy, "grad_output");
  const Conv2dShape s = conv_shape(dims_of(x), weight_shape, stride, padding, dilation, groups);
  check_shape(dy, "grad_output", {s.N, s.O, s.OH, s.OW});
  py::array dw = new_array(x.dtype(), std::vector<py::ssize_t>(weight_shape.begin(), weight_shape.end()));
  py::array db = bias ? new_array(x.dtype(), std::vector<py::ssize_t>{s.O}) : py::array();
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T *px = data_of<T>(x), *pdy = data_of<T>(dy);
    T* pdw = mutable_data_of<T>(dw);
    T* pdb = bias ? mutable_data_of<T>(db) : nullptr;
    py::gil_scoped_release release;
    conv2d_backward_weight<T>(s, px, pdy, pdw, pdb);
    return 0;
  });
  return py::make_tuple(dw, bias ? py::object(db) : py::object(py::none()));
}

}  // namespace

void bind_conv(py::module_& m) {
  m.def("conv2d_forward", &forward, py::arg("input").noconvert(), py::arg("weight").noconvert(),
        py::arg("bias"), py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        "NCHW convolution of input (N, C, H, W) with weight (O, C / groups, kh, kw) plus bias (O,) or None.");
  m.def("conv2d_backward_input", &backward_input, py::arg("grad_output").noconvert(), py::arg("weight").noconvert(),
        py::arg("input_shape"), py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        "Gradient of conv2d_forward with respect to its input (of input_shape).");
  m.def("conv2d_backward_weight", &backward_weight, py::arg("input").noconvert(), py::arg("grad_output").noconvert(),
        py::arg("weight_shape"), py::arg("stride"), py::arg("padding"), py::arg("dilation"), py::arg("groups"),
        py::arg("bias"),
        "(grad_weight, grad_bias or None) of conv2d_forward, summed over the batch in a fixed order.");
}

}  // namespace fastnn::bindings
