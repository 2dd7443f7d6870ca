#pragma once
// How the convolution's per-sample passes share the threads, and pad their input.
#include <algorithm>
#include <cstdint>

#include "core/parallel.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "ops/conv2d_columns.h"

namespace fastnn {

// Runs body(n, work, gemm_threads) for every sample: samples handed to
// whichever thread is free (each GEMM on one thread) when there are enough of
// them, else one sample after another with every thread inside (threads ==
// 0). Either way each output element is computed the same way, whatever thread
// computes it. Each thread's work memory is work_size long; all `threads` of
// them exist in both cases.
template <typename T, typename Body>
void for_each_sample(int64_t samples, int64_t work_size, Body&& body) {
  const int threads = max_threads();
  const int64_t lane = std::max<int64_t>(work_size, 1);
  T* work = thread_scratch(ScratchSlot::op_columns).get<T>(lane * threads);
  if (threads > 1 && samples >= threads) {
    parallel_for(samples, threads, [&](int64_t n) { body(n, work + thread_index() * lane, 1); }, 1);
  } else {
    for (int64_t n = 0; n < samples; ++n) body(n, work, 0);
  }
}

// Pads `channels` input planes into consecutive padded copies: every thread
// over the channels unless threads == 1 (a sample on its own thread).
template <typename T>
void pad_channels(const Conv2dShape& s, const ColumnKernels<T>& kernels, const T* x, int64_t channels, T* padded,
                  int threads) {
  const int64_t padded_size = PaddedLayout(s).size();
#pragma omp parallel for schedule(static) if (threads != 1 && channels > 1)
  for (int64_t c = 0; c < channels; ++c) kernels.pad(s, x + c * s.H * s.W, padded + c * padded_size);
}

}  // namespace fastnn
