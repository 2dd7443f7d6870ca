// fastnn._C: the one door from Python to the kernels.
#include <pybind11/pybind11.h>

#include <stdexcept>

#include "bindings/bindings.h"
#include "core/cpu.h"
#include "core/threads.h"

namespace py = pybind11;

namespace {

py::dict backend_info() {
  py::dict info;
  info["isa"] = fastnn::isa_name(fastnn::active_isa());
  info["threads"] = fastnn::max_threads();
  const char* omp = fastnn::openmp_runtime();
  info["openmp"] = omp ? py::object(py::str(omp)) : py::object(py::none());
#if defined(__clang__)
  info["compiler"] = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  info["compiler"] = std::string("gcc ") + __VERSION__;
#else
  info["compiler"] = "unknown";
#endif
  info["flags"] = FASTNN_BUILD_FLAGS;
  py::list supported;
  for (auto isa : {fastnn::Isa::avx512, fastnn::Isa::avx2, fastnn::Isa::generic})
    if (fastnn::isa_supported(isa)) supported.append(fastnn::isa_name(isa));
  info["supported_isas"] = supported;
  return info;
}

void set_num_threads(int n) {
  if (n < 1) throw py::value_error("set_num_threads: n must be >= 1, got " + std::to_string(n));
  fastnn::set_max_threads(n);
}

void set_isa(const std::string& name) {
  try {
    fastnn::set_active_isa(fastnn::parse_isa(name));
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "fastnn's C++ kernels";
  try {
    fastnn::active_isa();  // reads FASTNN_ISA: a bad value fails the import, loudly
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("fastnn: ") + e.what());
  }
  m.def("backend_info", &backend_info, "ISA in use and supported, threads, OpenMP runtime, compiler, build flags.");
  m.def("get_num_threads", &fastnn::max_threads, "Threads the kernels use.");
  m.def("set_num_threads", &set_num_threads, py::arg("n"), "Sets the threads the kernels use (n >= 1).");
  m.def("get_isa", [] { return fastnn::isa_name(fastnn::active_isa()); }, "The ISA whose micro-kernels run.");
  m.def("set_isa", &set_isa, py::arg("name"), "Forces the kernels' ISA (for tests and benchmarks).");
  fastnn::bindings::bind_gemm(m);
  fastnn::bindings::bind_activation(m);
  fastnn::bindings::bind_conv(m);
  fastnn::bindings::bind_pool(m);
  fastnn::bindings::bind_softmax(m);
  fastnn::bindings::bind_rnn(m);
  fastnn::bindings::bind_attention(m);
  fastnn::bindings::bind_norm(m);
  fastnn::bindings::bind_optim(m);
}
