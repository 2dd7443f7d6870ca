#include "bindings/validate.h"

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

void check_float_array(const py::array& a, const char* name, bool writable) {
  const bool f32 = is_float32(a), f64 = a.dtype().is(py::dtype::of<double>());
  if (!f32 && !f64)
    throw py::type_error(std::string(name) + " must be float32 or float64, got dtype " +
                         std::string(py::str(a.dtype())) + " with shape " + shape_str(a));
  if (!(a.flags() & py::array::c_style))
    throw py::value_error(std::string(name) + " must be C-contiguous (shape " + shape_str(a) + ")");
  if (writable && !a.writeable())
    throw py::value_error(std::string(name) + " must be writable (shape " + shape_str(a) + ")");
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
