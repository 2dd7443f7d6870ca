#include "core/threads.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastnn {

#ifdef _OPENMP
int max_threads() { return omp_get_max_threads(); }
void set_max_threads(int n) { omp_set_num_threads(n); }
int thread_index() { return omp_get_thread_num(); }
int thread_count() { return omp_get_num_threads(); }
const char* openmp_runtime() {
#if defined(__clang__)
  return "LLVM libomp";
#elif defined(__GNUC__)
  return "GNU libgomp";
#else
  return "OpenMP";
#endif
}
#else
int max_threads() { return 1; }
void set_max_threads(int) {}
int thread_index() { return 0; }
int thread_count() { return 1; }
const char* openmp_runtime() { return nullptr; }
#endif

}  // namespace fastnn
