#pragma once
// 64-byte aligned scratch memory that grows and is reused, so hot kernels do
// not allocate on every call.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace fastnn {

class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { std::free(ptr_); }

  template <typename T>
  T* get(std::size_t count) {
    const std::size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    if (bytes > size_) {
      std::free(ptr_);
      ptr_ = std::aligned_alloc(64, bytes);
      if (ptr_ == nullptr) {
        size_ = 0;
        throw std::bad_alloc();
      }
      size_ = bytes;
    }
    return static_cast<T*>(ptr_);
  }

 private:
  void* ptr_ = nullptr;
  std::size_t size_ = 0;
};

// One buffer per user, so that an op holding its columns can still call the
// GEMM, which takes its own. Taken before a parallel region opens, a failed
// allocation throws where it can still reach Python.
enum class ScratchSlot { gemm, op_columns, op_partials, op_weights, count };

inline Scratch& thread_scratch(ScratchSlot slot) {
  thread_local Scratch buffers[static_cast<int>(ScratchSlot::count)];
  return buffers[static_cast<int>(slot)];
}

}  // namespace fastnn
