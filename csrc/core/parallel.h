#pragma once
// A parallel loop whose body may throw: an exception must not leave an OpenMP
// region, so the first one is kept and rethrown after it, to reach Python.
#include <cstdint>
#include <exception>

namespace fastnn {

// body(i) for i in [0, count), statically split over `threads` threads.
template <typename Body>
void parallel_for(int64_t count, int threads, Body&& body) {
  std::exception_ptr failure;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t i = 0; i < count; ++i) {
    try {
      body(i);
    } catch (...) {
#pragma omp critical(fastnn_parallel_failure)
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace fastnn
