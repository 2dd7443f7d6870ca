#include "bindings/allocator.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <unordered_map>

namespace fastnn::bindings {
namespace {

namespace py = pybind11;

constexpr size_t kHeader = 64;                     // holds the buffer's size; keeps data 64-byte aligned
constexpr size_t kMinCached = 64 * 1024;           // smaller buffers go back to malloc at once
constexpr size_t kMaxCached = size_t(1) << 30;     // at most 1 GiB kept for reuse

// Free buffers by size. Only touched with the GIL held (allocation in the
// bindings, release from the array's capsule), which serialises it.
struct Pool {
  std::unordered_map<size_t, std::vector<char*>> free_buffers;
  size_t cached = 0;
};

Pool& pool() {
  static Pool* instance = new Pool();  // never destroyed: arrays may be freed at interpreter exit
  return *instance;
}

char* acquire(size_t bytes) {
  Pool& p = pool();
  auto found = p.free_buffers.find(bytes);
  if (found != p.free_buffers.end() && !found->second.empty()) {
    char* base = found->second.back();
    found->second.pop_back();
    p.cached -= bytes;
    return base;
  }
  char* base = static_cast<char*>(std::aligned_alloc(64, kHeader + bytes));
  if (base == nullptr) throw std::bad_alloc();
  std::memcpy(base, &bytes, sizeof bytes);
  return base;
}

void release(void* data) {
  char* base = static_cast<char*>(data) - kHeader;
  size_t bytes;
  std::memcpy(&bytes, base, sizeof bytes);
  Pool& p = pool();
  if (bytes >= kMinCached && p.cached + bytes <= kMaxCached) {
    p.free_buffers[bytes].push_back(base);
    p.cached += bytes;
  } else {
    std::free(base);
  }
}

}  // namespace

py::array new_array(const py::dtype& dtype, const std::vector<py::ssize_t>& shape) {
  size_t count = 1;
  for (py::ssize_t n : shape) count *= static_cast<size_t>(n);
  const size_t bytes = (count * static_cast<size_t>(dtype.itemsize()) + 4095) / 4096 * 4096;
  if (bytes < kMinCached) return py::array(dtype, shape);  // NumPy's own allocator is quicker for these
  char* data = acquire(bytes) + kHeader;
  py::capsule owner(data, [](void* p) { release(p); });
  return py::array(dtype, shape, data, owner);
}

}  // namespace fastnn::bindings
