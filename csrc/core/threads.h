#pragma once
// Thread control and the OpenMP runtime, with a serial fallback when the build
// has no OpenMP.

namespace fastnn {

int max_threads();
void set_max_threads(int n);
int thread_index();   // inside a parallel region; 0 outside
int thread_count();   // threads in the current region; 1 outside
// Name of the OpenMP runtime, or nullptr for a serial build.
const char* openmp_runtime();

}  // namespace fastnn
