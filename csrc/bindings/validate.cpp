#include "bindings/validate.h"

#include <cstdint>
#include <sstream>

namespace fastnn::bindings {

std::string shape_str(const py::array& a) {
  std::ostringstream out;
  out << "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) out << (i ? ", " : "") << a.shape(i);
  out << (a.ndim() == 1 ? ",)" : ")");
  return out.str();
}

bool is_float32(const py::array& a) { return a.dtype().is(py::dtype::of<float>()); }

namespace {

void check_float_dtype(const py::array& a, const char* name, bool writable) {
  const bool f32 = is_float32(a), f64 = a.dtype().is(py::dtype::of<double>());
  if (!f32 && !f64)
    throw py::type_error(std::string(name) + " must be float32 or float64, got dtype " +
                         std::string(py::str(a.dtype())) + " with shape " + shape_str(a));
  if (writable && !a.writeable())
    throw py::value_error(std::string(name) + " must be writable (shape " + shape_str(a) + ")");
  check_aligned(a, name);
}

}  // namespace

void check_aligned(const py::array& a, const char* name) {
  if (reinterpret_cast<std::uintptr_t>(a.data()) % a.itemsize() != 0)
    throw py::value_error(std::string(name) + " must be aligned to its " + std::to_string(a.itemsize()) +
                          "-byte elements (shape " + shape_str(a) + ")");
}

void check_float_array(const py::array& a, const char* name, bool writable) {
  check_float_dtype(a, name, writable);
  if (!(a.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + " must be C-contiguous (shape " + shape_str(a) + ")");
}

int64_t check_row_major(const py::array& a, const char* name, bool writable) {
  check_float_dtype(a, name, writable);
  const py::ssize_t item = a.itemsize();
  if (a.ndim() == 2 && !(a.flags() & py::array::c_style)) {
    const py::ssize_t rows = a.shape(0), cols = a.shape(1);
    const bool unit_cols = cols <= 1 || a.strides(1) == item;
    const bool row_stride_ok = rows <= 1 || (a.strides(0) % item == 0 && a.strides(0) >= cols * item);
    if (!unit_cols || !row_stride_ok)
      throw py::value_error(std::string(name) + " must have contiguous rows (shape " + shape_str(a) +
                            ", strides (" + std::to_string(a.strides(0)) + ", " + std::to_string(a.strides(1)) +
                            "))");
    return rows <= 1 ? std::max<py::ssize_t>(cols, 1) : a.strides(0) / item;
  }
  if (!(a.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + " must be C-contiguous (shape " + shape_str(a) + ")");
  return a.ndim() ? std::max<py::ssize_t>(a.shape(a.ndim() - 1), 1) : 1;
}

void check_ndim(const py::array& a, const char* name, const std::vector<int>& allowed) {
  for (int n : allowed)
    if (a.ndim() == n) return;
  std::ostringstream out;
  out << name << " must have ";
  for (std::size_t i = 0; i < allowed.size(); ++i) out << (i ? " or " : "") << allowed[i];
  out << " dimensions, got shape " << shape_str(a);
  throw py::value_error(out.str());
}

void check_same_dtype(const py::array& a, const char* a_name, const py::array& b, const char* b_name) {
  if (!a.dtype().is(b.dtype()))
    throw py::type_error(std::string(a_name) + " and " + b_name + " must have the same dtype, got " +
                         std::string(py::str(a.dtype())) + " " + shape_str(a) + " and " +
                         std::string(py::str(b.dtype())) + " " + shape_str(b));
}

void check_shape(const py::array& a, const char* name, const std::vector<py::ssize_t>& expected) {
  bool same = static_cast<std::size_t>(a.ndim()) == expected.size();
  for (std::size_t i = 0; same && i < expected.size(); ++i) same = a.shape(i) == expected[i];
  if (same) return;
  std::ostringstream out;
  out << name << " must have shape (";
  for (std::size_t i = 0; i < expected.size(); ++i) out << (i ? ", " : "") << expected[i];
  out << (expected.size() == 1 ? ",)" : ")") << ", got " << shape_str(a);
  throw py::value_error(out.str());
}

}  // namespace fastnn::bindings

namespace fastnn::bindings {

std::string pair_str(const Pair& p) { return "(" + std::to_string(p.first) + ", " + std::to_string(p.second) + ")"; }

std::string dims_str(const std::vector<int64_t>& dims) {
  std::string out = "(";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + (dims.size() == 1 ? ",)" : ")");
}

std::vector<int64_t> dims_of(const py::array& a) { return std::vector<int64_t>(a.shape(), a.shape() + a.ndim()); }
std::vector<py::ssize_t> shape_of(const py::array& a) { return std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()); }

void check_window_size(const std::string& fn, const char* what, Pair size) {
  if (size.first <= 0 || size.second <= 0 || size.first > kMaxWindow || size.second > kMaxWindow)
    throw py::value_error(fn + ": " + what + " must be positive and at most " + std::to_string(kMaxWindow) +
                          ", got " + pair_str(size));
}

void check_window(const std::string& fn, Pair stride, Pair padding, Pair dilation) {
  check_window_size(fn, "stride", stride);
  check_window_size(fn, "dilation", dilation);
  if (padding.first < 0 || padding.second < 0 || padding.first > kMaxWindow || padding.second > kMaxWindow)
    throw py::value_error(fn + ": padding must be >= 0 and at most " + std::to_string(kMaxWindow) + ", got " +
                          pair_str(padding));
}

void check_shape_arg(const std::string& fn, const char* name, const std::vector<int64_t>& dims) {
  int64_t elements = 1;
  for (const int64_t d : dims) {
    if (d < 0 || d > kMaxElements || (d > 0 && elements > kMaxElements / d))
      throw py::value_error(fn + ": " + name + " " + dims_str(dims) + " is negative or too large");
    elements *= d;
  }
}

}  // namespace fastnn::bindings
