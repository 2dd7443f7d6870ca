// Pooling entries over NCHW input: max (with argmax indices), average,
// adaptive average; forward and backward.
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>

#include "bindings/allocator.h"
#include "bindings/bindings.h"
#include "bindings/validate.h"
#include "ops/pool2d.h"

namespace fastnn::bindings {
namespace {

// PyTorch's pooling output size: with ceil_mode the last window must still
// start inside the input or its left padding.
int64_t pooled_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dil, bool ceil_mode) {
  const int64_t span = in + 2 * pad - dil * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  if (span < 0) return 0;
  int64_t out = span / stride + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

Pool2dShape pool_shape(const char* fn, const std::vector<int64_t>& x, Pair kernel, Pair stride, Pair padding,
                       Pair dilation, bool ceil_mode) {
  const std::string name(fn);
  if (x.size() != 4) throw py::value_error(name + ": input must be 4-D (N, C, H, W), got shape " + dims_str(x));
  check_shape_arg(name, "input shape", x);
  check_window_size(name, "kernel_size", kernel);
  check_window(name, stride, padding, dilation);
  if (padding.first > kernel.first / 2 || padding.second > kernel.second / 2)
    throw py::value_error(name + ": padding " + pair_str(padding) + " should be at most half of kernel_size " +
                          pair_str(kernel));
  Pool2dShape s{x[0] * x[1], x[2], x[3], kernel.first, kernel.second, stride.first, stride.second,
                padding.first, padding.second, dilation.first, dilation.second, 0, 0};
  s.OH = pooled_size(s.H, s.KH, s.pad_h, s.stride_h, s.dil_h, ceil_mode);
  s.OW = pooled_size(s.W, s.KW, s.pad_w, s.stride_w, s.dil_w, ceil_mode);
  if (s.OH <= 0 || s.OW <= 0)
    throw py::value_error(name + ": kernel_size " + pair_str(kernel) + " is larger than the padded input " +
                          dims_str(x) + " with padding " + pair_str(padding) + " (output would be " +
                          std::to_string(s.OH) + "x" + std::to_string(s.OW) + ")");
  return s;
}

std::vector<py::ssize_t> out_dims(const std::vector<int64_t>& x, int64_t oh, int64_t ow) { return {x[0], x[1], oh, ow}; }

// Calls body with a typed pointer to indices: int64 flat positions, or uint8
// offsets in the window where the shape has them.
template <typename Body>
auto with_indices(const Pool2dShape& s, py::array& indices, Body&& body) {
  if (indices.dtype().is(py::dtype::of<int64_t>())) return body(static_cast<int64_t*>(indices.mutable_data()));
  if (indices.dtype().is(py::dtype::of<uint8_t>()) && max_pool2d_has_window_offsets(s))
    return body(static_cast<uint8_t*>(indices.mutable_data()));
  throw py::type_error("max_pool2d: indices must be int64 (or uint8 for 2x2 windows of stride 2 without padding), "
                       "got " + std::string(py::str(indices.dtype())) + " " + shape_str(indices));
}

py::tuple max_forward(const py::array& x, Pair kernel, Pair stride, Pair padding, Pair dilation, bool ceil_mode,
                      bool window_offsets) {
  check_float_array(x, "input");
  const Pool2dShape s = pool_shape("max_pool2d", dims_of(x), kernel, stride, padding, dilation, ceil_mode);
  if ((s.H + 2 * s.pad_h + 1) * (s.W + 2 * s.pad_w) > std::numeric_limits<int32_t>::max())  // 32-bit lanes
    throw py::value_error("max_pool2d: input planes of " + dims_str(dims_of(x)) + " are too large (at most 2^31 " +
                          "elements with padding)");
  py::array y = new_array(x.dtype(), out_dims(dims_of(x), s.OH, s.OW));
  const bool offsets = window_offsets && max_pool2d_has_window_offsets(s);
  py::array indices = new_array(offsets ? py::dtype::of<uint8_t>() : py::dtype::of<int64_t>(),
                                out_dims(dims_of(x), s.OH, s.OW));
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T* px = data_of<T>(x);
    T* py_ = mutable_data_of<T>(y);
    return with_indices(s, indices, [&](auto* pi) {
      py::gil_scoped_release release;
      max_pool2d_forward<T>(s, px, py_, pi);
      return 0;
    });
  });
  return py::make_tuple(y, indices);
}

py::array max_backward(const py::array& dy, py::array indices, const std::vector<int64_t>& input_shape,
                       Pair kernel, Pair stride, Pair padding, Pair dilation, bool ceil_mode) {
  check_float_array(dy, "grad_output");
  const Pool2dShape s = pool_shape("max_pool2d", input_shape, kernel, stride, padding, dilation, ceil_mode);
  check_shape(dy, "grad_output", out_dims(input_shape, s.OH, s.OW));
  if (!(indices.flags() & py::array::c_style))
    throw py::type_error("max_pool2d: indices must be C-contiguous, got a non-contiguous " + shape_str(indices));
  check_aligned(indices, "indices");
  check_shape(indices, "indices", dims_of(dy));
  py::array dx;
  with_indices(s, indices, [&](auto* pi) {
    const int64_t plane = input_shape[2] * input_shape[3];
    const py::ssize_t count = indices.size();  // array::size() multiplies the shape on every call
    const bool scatters = max_pool2d_backward_scatters(s);  // a scatter writes where the indices say
    for (py::ssize_t i = 0; scatters && i < count; ++i)
      if (pi[i] < -1 || pi[i] >= plane)
        throw py::index_error("max_pool2d: index " + std::to_string(pi[i]) + " is outside an input plane of " +
                              std::to_string(plane) + " elements");
    dx = new_array(dy.dtype(), std::vector<py::ssize_t>(input_shape.begin(), input_shape.end()));
    return dispatch_float(dy, [&](auto zero) {
      using T = decltype(zero);
      const T* pdy = data_of<T>(dy);
      T* pdx = mutable_data_of<T>(dx);
      py::gil_scoped_release release;
      max_pool2d_backward<T>(s, pdy, pi, pdx);
      return 0;
    });
  });
  return dx;
}

py::array avg_forward(const py::array& x, Pair kernel, Pair stride, Pair padding, bool ceil_mode,
                      bool count_include_pad, int64_t divisor) {
  check_float_array(x, "input");
  const Pool2dShape s = pool_shape("avg_pool2d", dims_of(x), kernel, stride, padding, {1, 1}, ceil_mode);
  py::array y = new_array(x.dtype(), out_dims(dims_of(x), s.OH, s.OW));
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T* px = data_of<T>(x);
    T* py_ = mutable_data_of<T>(y);
    py::gil_scoped_release release;
    avg_pool2d_forward<T>(s, px, py_, count_include_pad, divisor);
    return 0;
  });
  return y;
}

py::array avg_backward(const py::array& dy, const std::vector<int64_t>& input_shape, Pair kernel, Pair stride,
                       Pair padding, bool ceil_mode, bool count_include_pad, int64_t divisor) {
  check_float_array(dy, "grad_output");
  const Pool2dShape s = pool_shape("avg_pool2d", input_shape, kernel, stride, padding, {1, 1}, ceil_mode);
  check_shape(dy, "grad_output", {input_shape[0], input_shape[1], s.OH, s.OW});
  py::array dx = new_array(dy.dtype(), std::vector<py::ssize_t>(input_shape.begin(), input_shape.end()));
  dispatch_float(dy, [&](auto zero) {
    using T = decltype(zero);
    const T* pdy = data_of<T>(dy);
    T* pdx = mutable_data_of<T>(dx);
    py::gil_scoped_release release;
    avg_pool2d_backward<T>(s, pdy, pdx, count_include_pad, divisor);
    return 0;
  });
  return dx;
}

void check_adaptive(const std::vector<int64_t>& x, Pair out) {
  if (x.size() != 4) throw py::value_error("adaptive_avg_pool2d: input must be 4-D (N, C, H, W), got " + dims_str(x));
  check_shape_arg("adaptive_avg_pool2d", "input shape", x);
  check_window_size("adaptive_avg_pool2d", "output_size", out);
  if ((x[2] == 0 || x[3] == 0) && x[0] * x[1] > 0)
    throw py::value_error("adaptive_avg_pool2d: input " + dims_str(x) + " has an empty spatial dimension");
}

py::array adaptive_forward(const py::array& x, Pair output_size) {
  check_float_array(x, "input");
  const std::vector<int64_t> d = dims_of(x);
  check_adaptive(d, output_size);
  py::array y = new_array(x.dtype(), out_dims(d, output_size.first, output_size.second));
  dispatch_float(x, [&](auto zero) {
    using T = decltype(zero);
    const T* px = data_of<T>(x);
    T* py_ = mutable_data_of<T>(y);
    py::gil_scoped_release release;
    adaptive_avg_pool2d_forward<T>(d[0] * d[1], d[2], d[3], output_size.first, output_size.second, px, py_);
    return 0;
  });
  return y;
}

py::array adaptive_backward(const py::array& dy, const std::vector<int64_t>& input_shape) {
  check_float_array(dy, "grad_output");
  check_ndim(dy, "grad_output", {4});
  const Pair out{dy.shape(2), dy.shape(3)};
  check_adaptive(input_shape, out);
  check_shape(dy, "grad_output", {input_shape[0], input_shape[1], out.first, out.second});
  py::array dx = new_array(dy.dtype(), std::vector<py::ssize_t>(input_shape.begin(), input_shape.end()));
  dispatch_float(dy, [&](auto zero) {
    using T = decltype(zero);
    const T* pdy = data_of<T>(dy);
    T* pdx = mutable_data_of<T>(dx);
    py::gil_scoped_release release;
    adaptive_avg_pool2d_backward<T>(input_shape[0] * input_shape[1], input_shape[2], input_shape[3], out.first,
                                    out.second, pdy, pdx);
    return 0;
  });
  return dx;
}

}  // namespace

void bind_pool(py::module_& m) {
  m.def("max_pool2d_forward", &max_forward, py::arg("input").noconvert(), py::arg("kernel_size"), py::arg("stride"),
        py::arg("padding"), py::arg("dilation"), py::arg("ceil_mode"), py::arg("window_offsets") = false,
        "(output, indices): window maxima of an NCHW input and their flat positions in each input plane (int64); "
        "with window_offsets, for 2x2 windows of stride 2 without padding, their offsets 2 * dh + dw in the "
        "window (uint8) instead.");
  m.def("max_pool2d_backward", &max_backward, py::arg("grad_output").noconvert(), py::arg("indices").noconvert(),
        py::arg("input_shape"), py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("dilation"),
        py::arg("ceil_mode"),
        "Gradient of max_pool2d_forward: grad_output at the saved argmax positions (summed where windows overlap); "
        "indices as max_pool2d_forward returned them.");
  m.def("avg_pool2d_forward", &avg_forward, py::arg("input").noconvert(), py::arg("kernel_size"), py::arg("stride"),
        py::arg("padding"), py::arg("ceil_mode"), py::arg("count_include_pad"), py::arg("divisor_override"),
        "Window means of an NCHW input (divisor_override <= 0: none).");
  m.def("avg_pool2d_backward", &avg_backward, py::arg("grad_output").noconvert(), py::arg("input_shape"),
        py::arg("kernel_size"), py::arg("stride"), py::arg("padding"), py::arg("ceil_mode"),
        py::arg("count_include_pad"), py::arg("divisor_override"), "Gradient of avg_pool2d_forward.");
  m.def("adaptive_avg_pool2d_forward", &adaptive_forward, py::arg("input").noconvert(), py::arg("output_size"),
        "Means over PyTorch's adaptive cells, giving an (N, C, *output_size) output.");
  m.def("adaptive_avg_pool2d_backward", &adaptive_backward, py::arg("grad_output").noconvert(),
        py::arg("input_shape"), "Gradient of adaptive_avg_pool2d_forward.");
}

}  // namespace fastnn::bindings
