// The packed GEMM driver (BLIS anatomy): for each NC-wide column block and
// KC-deep slice, B is packed once into NR-wide panels shared by all threads,
// then each thread packs an MC-tall block of A into MR-tall panels and runs
// the micro-kernel over it. K is never split across threads, so every element
// of C is summed in the same order whatever the thread count.
#include "gemm/gemm.h"

#include <algorithm>
#include <chrono>

#include "core/cpu.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "gemm/microkernel.h"

namespace fastnn {
namespace {

template <typename T>
GemmKernel<T> kernel_for(Isa isa);

template <>
GemmKernel<float> kernel_for<float>(Isa isa) {
#if defined(FASTNN_X86)
  if (isa == Isa::avx512) return avx512::gemm_kernel_f32();
  if (isa == Isa::avx2) return avx2::gemm_kernel_f32();
#endif
  (void)isa;
  return generic::gemm_kernel_f32();
}

template <>
GemmKernel<double> kernel_for<double>(Isa isa) {
#if defined(FASTNN_X86)
  if (isa == Isa::avx512) return avx512::gemm_kernel_f64();
  if (isa == Isa::avx2) return avx2::gemm_kernel_f64();
#endif
  (void)isa;
  return generic::gemm_kernel_f64();
}

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Below this many multiply-adds a second thread costs more than it saves.
constexpr double kParallelMinWork = 48.0 * 48 * 48;
// Batched products smaller than this run one per thread instead of each threaded.
constexpr double kBatchParallelMaxWork = 160.0 * 160 * 160;

template <typename T>
struct Operand {
  const T* data;
  int64_t ld;
  bool trans;
  // Element (row, col) of op(X).
  T at(int64_t row, int64_t col) const { return trans ? data[col * ld + row] : data[row * ld + col]; }
};

// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into MR-tall panels,
// each stored column by column, zero-padding the last panel.
template <typename T>
void pack_a(const Operand<T>& A, int64_t i0, int64_t p0, int64_t mc, int64_t kc, int mr, T* dst) {
  for (int64_t ip = 0; ip < mc; ip += mr, dst += mr * kc) {
    const int64_t rows = std::min<int64_t>(mr, mc - ip);
    for (int64_t p = 0; p < kc; ++p) {
      T* col = dst + p * mr;
      for (int64_t i = 0; i < rows; ++i) col[i] = A.at(i0 + ip + i, p0 + p);
      for (int64_t i = rows; i < mr; ++i) col[i] = T(0);
    }
  }
}

// Packs one NR-wide panel: rows [p0, p0+kc) x cols [j0, j0+cols) of op(B).
template <typename T>
void pack_b_panel(const Operand<T>& B, int64_t p0, int64_t j0, int64_t kc, int64_t cols, int nr, T* dst) {
  for (int64_t p = 0; p < kc; ++p) {
    T* row = dst + p * nr;
    for (int64_t j = 0; j < cols; ++j) row[j] = B.at(p0 + p, j0 + j);
    for (int64_t j = cols; j < nr; ++j) row[j] = T(0);
  }
}

// How one call is cut into blocks and tasks for a given thread count.
template <typename T>
struct Plan {
  GemmKernel<T> kernel;
  int threads;
  int64_t mc;        // rows of A per task, a multiple of MR
  int64_t m_blocks;  // ceil(M / mc)
  int64_t n_splits;  // pieces the NR panels of a block are cut into when M is small
  int64_t b_size, a_size;

  Plan(int64_t M, int64_t N, int64_t K, int nthreads) : kernel(kernel_for<T>(active_isa())) {
    threads = std::max(1, nthreads);
    mc = std::min<int64_t>(kernel.mc, round_up(ceil_div(M, threads), kernel.mr));
    m_blocks = ceil_div(M, mc);
    n_splits = m_blocks >= threads ? 1 : ceil_div(threads, m_blocks);
    const int64_t kc = std::min<int64_t>(kernel.kc, K);
    b_size = kc * round_up(std::min<int64_t>(kernel.nc, N), kernel.nr);
    a_size = mc * kc;
  }
  int64_t workspace() const { return b_size + threads * a_size; }
};

template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
}

template <typename T>
void gemm_planned(const Plan<T>& plan, const Operand<T>& A, const Operand<T>& B, int64_t M, int64_t N,
                  int64_t K, T alpha, T beta, T* C, int64_t ldc, T* workspace) {
  const GemmKernel<T>& k = plan.kernel;
  T* packed_b = workspace;
  T* packed_a_all = workspace + plan.b_size;
  const int64_t tasks = plan.m_blocks * plan.n_splits;

#pragma omp parallel num_threads(plan.threads) if (plan.threads > 1)
  {
    T* packed_a = packed_a_all + thread_index() * plan.a_size;
    for (int64_t jc = 0; jc < N; jc += k.nc) {
      const int64_t nc = std::min<int64_t>(k.nc, N - jc);
      const int64_t panels = ceil_div(nc, k.nr);
      for (int64_t pc = 0; pc < K; pc += k.kc) {
        const int64_t kc = std::min<int64_t>(k.kc, K - pc);
        const T beta_here = pc == 0 ? beta : T(1);

#pragma omp for schedule(static)
        for (int64_t panel = 0; panel < panels; ++panel) {
          const int64_t j = panel * k.nr;
          pack_b_panel(B, pc, jc + j, kc, std::min<int64_t>(k.nr, nc - j), k.nr, packed_b + j * kc);
        }

#pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; ++task) {
          const int64_t ic = (task / plan.n_splits) * plan.mc;
          const int64_t split = task % plan.n_splits;
          const int64_t mc = std::min<int64_t>(plan.mc, M - ic);
          const int64_t first = panels * split / plan.n_splits;
          const int64_t last = panels * (split + 1) / plan.n_splits;
          if (first == last) continue;
          pack_a(A, ic, pc, mc, kc, k.mr, packed_a);
          for (int64_t panel = first; panel < last; ++panel) {
            const int64_t jr = panel * k.nr;
            const int64_t n = std::min<int64_t>(k.nr, nc - jr);
            for (int64_t ir = 0; ir < mc; ir += k.mr) {
              k.run(kc, packed_a + ir * kc, packed_b + jr * kc, C + (ic + ir) * ldc + jc + jr, ldc,
                    std::min<int64_t>(k.mr, mc - ir), n, alpha, beta_here);
            }
          }
        }
      }
    }
  }
}

inline bool trivial(int64_t M, int64_t N, int64_t K, double alpha) {
  return M == 0 || N == 0 || K == 0 || alpha == 0.0;
}

double fma_peak_probe(Isa isa, int64_t iterations, float* sink) {
#if defined(FASTNN_X86)
  if (isa == Isa::avx512) return avx512::fma_peak_probe(iterations, sink);
  if (isa == Isa::avx2) return avx2::fma_peak_probe(iterations, sink);
#endif
  return generic::fma_peak_probe(iterations, sink);
}

}  // namespace

double measure_fma_peak_gflops(int threads) {
  const Isa isa = active_isa();
  constexpr int64_t kIterations = 20'000'000;
  double best = 0.0;
  for (int attempt = 0; attempt < 3; ++attempt) {  // best of three: the machine is shared
    double flops = 0.0;
    float sink = 0.0f;
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops, sink)
    flops += fma_peak_probe(isa, kIterations, &sink);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, sink == -1.0f ? 0.0 : flops / seconds / 1e9);
  }
  return best;
}

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  if (trivial(M, N, K, alpha)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const double work = double(M) * N * K;
  const Plan<T> plan(M, N, K, work < kParallelMinWork ? 1 : max_threads());
  T* workspace = thread_scratch().get<T>(plan.workspace());
  gemm_planned(plan, Operand<T>{A, lda, trans_a}, Operand<T>{B, ldb, trans_b}, M, N, K, alpha, beta,
               C, ldc, workspace);
}

template <typename T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
                  const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb, int64_t stride_b,
                  T beta, T* C, int64_t ldc, int64_t stride_c) {
  const int threads = max_threads();
  const double work = double(M) * N * K;
  if (batch <= 1 || threads == 1 || work > kBatchParallelMaxWork || trivial(M, N, K, alpha)) {
    for (int64_t b = 0; b < batch; ++b)
      gemm(trans_a, trans_b, M, N, K, alpha, A + b * stride_a, lda, B + b * stride_b, ldb, beta,
           C + b * stride_c, ldc);
    return;
  }
  // Many small products: one per thread, each single-threaded.
  const Plan<T> plan(M, N, K, 1);
  const int64_t each = plan.workspace();
  T* workspace = thread_scratch().get<T>(each * threads);
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t b = 0; b < batch; ++b) {
    gemm_planned(plan, Operand<T>{A + b * stride_a, lda, trans_a}, Operand<T>{B + b * stride_b, ldb, trans_b},
                 M, N, K, alpha, beta, C + b * stride_c, ldc, workspace + thread_index() * each);
  }
}

#define FASTNN_INSTANTIATE_GEMM(T)                                                              \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*,  \
                        int64_t, T, T*, int64_t);                                               \
  template void gemm_batched<T>(int64_t, bool, bool, int64_t, int64_t, int64_t, T, const T*,    \
                                int64_t, int64_t, const T*, int64_t, int64_t, T, T*, int64_t,   \
                                int64_t);
FASTNN_INSTANTIATE_GEMM(float)
FASTNN_INSTANTIATE_GEMM(double)

}  // namespace fastnn
