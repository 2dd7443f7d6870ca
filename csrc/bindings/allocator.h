#pragma once
// Output arrays of the kernels come from here: large buffers freed by Python
// are kept (up to a cap) and handed out again for the next array of the same
// size, as PyTorch's CPU allocator does, so that a training loop does not pay
// for fresh pages (page faults and the kernel zeroing them) on every call.
// Arrays under 64 KiB come from NumPy's allocator, which is quicker for them.
#include <pybind11/numpy.h>

#include <vector>

namespace fastnn::bindings {

// An uninitialised C-contiguous array of `dtype` and `shape`. Call with the GIL held.
pybind11::array new_array(const pybind11::dtype& dtype, const std::vector<pybind11::ssize_t>& shape);

}  // namespace fastnn::bindings
