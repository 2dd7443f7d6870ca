#pragma once
// Argument checks shared by every binding: each failure raises a Python
// TypeError/ValueError naming the argument and the shapes, before any work.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <utility>
#include <vector>

namespace fastnn::bindings {

namespace py = pybind11;

std::string shape_str(const py::array& a);

// Element-aligned (a view at an odd byte offset is not), else a ValueError.
void check_aligned(const py::array& a, const char* name);
// Float32 or float64, aligned, C-contiguous; `writable` also rejects read-only arrays.
void check_float_array(const py::array& a, const char* name, bool writable = false);
// Like check_float_array, but a 2-D array may also be a slice of a wider
// row-major matrix (contiguous rows, row stride >= row length). Returns the
// leading dimension (elements between row starts).
int64_t check_row_major(const py::array& a, const char* name, bool writable = false);

void check_ndim(const py::array& a, const char* name, const std::vector<int>& allowed);
void check_same_dtype(const py::array& a, const char* a_name, const py::array& b, const char* b_name);
void check_shape(const py::array& a, const char* name, const std::vector<py::ssize_t>& expected);

bool is_float32(const py::array& a);

// Window hyper-parameters (height, width), their text, and array shapes as vectors.
using Pair = std::pair<int64_t, int64_t>;
std::string pair_str(const Pair& p);
std::string dims_str(const std::vector<int64_t>& dims);
std::vector<int64_t> dims_of(const py::array& a);
std::vector<py::ssize_t> shape_of(const py::array& a);  // for check_shape and new arrays
// Window hyper-parameters and user-given sizes are bounded, so that no size
// arithmetic in a kernel can overflow 64 bits.
constexpr int64_t kMaxWindow = int64_t(1) << 24;
constexpr int64_t kMaxElements = int64_t(1) << 48;
// 1 <= stride, dilation <= kMaxWindow and 0 <= padding <= kMaxWindow, else a ValueError naming fn.
void check_window(const std::string& fn, Pair stride, Pair padding, Pair dilation);
// 0 < each of `what` (a kernel or output size) <= kMaxWindow.
void check_window_size(const std::string& fn, const char* what, Pair size);
// A shape given as numbers (not taken from an array): non-negative, with at most
// kMaxElements elements, else a ValueError naming fn and the argument.
void check_shape_arg(const std::string& fn, const char* name, const std::vector<int64_t>& dims);

template <typename T>
const T* data_of(const py::array& a) {
  return static_cast<const T*>(a.data());
}
template <typename T>
T* mutable_data_of(py::array& a) {
  return static_cast<T*>(a.mutable_data());
}

// Calls fn<float> or fn<double> by the dtype of `a` (already checked).
template <typename Fn>
auto dispatch_float(const py::array& a, Fn&& fn) {
  if (is_float32(a)) return fn(float{});
  return fn(double{});
}

}  // namespace fastnn::bindings
