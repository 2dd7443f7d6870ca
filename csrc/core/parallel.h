#pragma once
// A parallel loop whose body may throw: an exception must not leave an OpenMP
// region, so the first one is kept and rethrown after it, to reach Python.
#include <algorithm>
#include <cstdint>
#include <exception>

#include "core/threads.h"

namespace fastnn {

// body(i) for i in [0, count) on `threads` threads: split statically, or,
// with `chunk` > 0, handed out `chunk` at a time to whichever thread is free
// (only for tasks whose results do not depend on the thread that runs them: a
// core slowed by other work on a shared machine then takes fewer of them).
template <typename Body>
void parallel_for(int64_t count, int threads, Body&& body, int64_t chunk = 0) {
  if (threads <= 1) {  // no parallel region at all: entering one costs a small call more than its work
    for (int64_t i = 0; i < count; ++i) body(i);
    return;
  }
  std::exception_ptr failure;
  auto run = [&](int64_t i) {
    try {
      body(i);
    } catch (...) {
#pragma omp critical(fastnn_parallel_failure)
      if (!failure) failure = std::current_exception();
    }
  };
  if (chunk > 0) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, chunk)
    for (int64_t i = 0; i < count; ++i) run(i);
  } else {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < count; ++i) run(i);
  }
  if (failure) std::rethrow_exception(failure);
}

// body(begin, end) over [0, count) items of item_size elements each: one call
// for all of it when they hold fewer than min_elements or one thread runs (no
// parallel region), else one contiguous range per thread. For work whose
// results do not depend on the cut.
template <typename Body>
void parallel_ranges(int64_t count, int64_t item_size, int64_t min_elements, Body&& body) {
  const int threads = count * item_size >= min_elements ? int(std::min<int64_t>(max_threads(), count)) : 1;
  if (threads <= 1) {
    if (count > 0) body(int64_t(0), count);
    return;
  }
  parallel_for(threads, threads, [&](int64_t t) { body(count * t / threads, count * (t + 1) / threads); });
}

}  // namespace fastnn
