#pragma once
// Argument checks shared by every binding: each failure raises a Python
// TypeError/ValueError naming the argument and the shapes, before any work.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

namespace fastnn::bindings {

namespace py = pybind11;

std::string shape_str(const py::array& a);

// Float32 or float64, C-contiguous; `writable` also rejects read-only arrays.
void check_float_array(const py::array& a, const char* name, bool writable = false);
// Like check_float_array, but a 2-D array may also be a slice of a wider
// row-major matrix (contiguous rows, row stride >= row length). Returns the
// leading dimension (elements between row starts).
int64_t check_row_major(const py::array& a, const char* name, bool writable = false);

void check_ndim(const py::array& a, const char* name, const std::vector<int>& allowed);
void check_same_dtype(const py::array& a, const char* a_name, const py::array& b, const char* b_name);
void check_shape(const py::array& a, const char* name, const std::vector<py::ssize_t>& expected);

bool is_float32(const py::array& a);

// Calls fn<float> or fn<double> by the dtype of `a` (already checked).
template <typename Fn>
auto dispatch_float(const py::array& a, Fn&& fn) {
  if (is_float32(a)) return fn(float{});
  return fn(double{});
}

}  // namespace fastnn::bindings
