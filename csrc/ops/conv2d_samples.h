#pragma once
// How the convolution's per-sample passes share the threads.
#include <algorithm>
#include <cstdint>

#include "core/parallel.h"
#include "core/scratch.h"
#include "core/threads.h"

namespace fastnn {

// Runs body(n, work, gemm_threads) for every sample: samples spread over the
// threads (each GEMM on one thread) when there are enough of them, else one
// sample after another with every thread inside (threads == 0). Either way
// each output element is computed the same way. Each thread's work memory is
// work_size long; all `threads` of them exist in both cases.
template <typename T, typename Body>
void for_each_sample(int64_t samples, int64_t work_size, Body&& body) {
  const int threads = max_threads();
  const int64_t lane = std::max<int64_t>(work_size, 1);
  T* work = thread_scratch(ScratchSlot::op_columns).get<T>(lane * threads);
  if (threads > 1 && samples >= threads) {
    parallel_for(samples, threads, [&](int64_t n) { body(n, work + thread_index() * lane, 1); });
  } else {
    for (int64_t n = 0; n < samples; ++n) body(n, work, 0);
  }
}

}  // namespace fastnn
