#pragma once
// One bind_* function per operator family, each in its own file.
#include <pybind11/pybind11.h>

namespace fastnn::bindings {
void bind_gemm(pybind11::module_& m);
void bind_activation(pybind11::module_& m);
void bind_conv(pybind11::module_& m);
void bind_pool(pybind11::module_& m);
void bind_softmax(pybind11::module_& m);
void bind_rnn(pybind11::module_& m);
void bind_attention(pybind11::module_& m);
void bind_norm(pybind11::module_& m);
void bind_optim(pybind11::module_& m);
}  // namespace fastnn::bindings
