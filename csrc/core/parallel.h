#pragma once
// A parallel loop whose body may throw: an exception must not leave an OpenMP
// region, so the first one is kept and rethrown after it, to reach Python.
#include <algorithm>
#include <atomic>
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

// One parallel region whose threads run the same loop of phases (for
// sequences of dependent steps, each split the same way across the threads).
// The body is run(thread); inside it work(fn) runs fn() and phase(fn) runs it
// and then waits for the other threads. A failure skips every later fn but no
// barrier (a thread leaving its loop early would leave the others waiting at
// them), and is rethrown after the region.
class PhasedTeam {
 public:
  explicit PhasedTeam(int threads) : threads_(std::max(1, threads)) {}
  int threads() const { return threads_; }

  template <typename Body>
  void run(Body&& body) {
    if (threads_ == 1) {
      body(0);
    } else {
#pragma omp parallel num_threads(threads_)
      body(thread_index());
    }
    if (failure_) std::rethrow_exception(failure_);
  }

  template <typename Fn>
  void work(Fn&& fn) {
    if (failed_) return;
    try {
      fn();
    } catch (...) {
#pragma omp critical(fastnn_phased_team_failure)
      if (!failure_) failure_ = std::current_exception();
      failed_ = true;
    }
  }

  template <typename Fn>
  void phase(Fn&& fn) {
    work(fn);
#pragma omp barrier
  }

 private:
  int threads_;
  std::atomic<bool> failed_{false};
  std::exception_ptr failure_;
};

}  // namespace fastnn
