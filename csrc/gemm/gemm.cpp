// The packed GEMM driver (BLIS anatomy): for each NC-wide column block and
// KC-deep slice, B is packed once into NR-wide panels shared by all threads,
// then each thread packs an MC-tall block of A into MR-tall panels and runs
// the micro-kernel over it. K is never split across threads, so every element
// of C is summed in the same order whatever the thread count.
#include "gemm/gemm.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <type_traits>

#include "core/cpu.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "core/transpose.h"
#include "gemm/microkernel.h"

namespace fastnn {
namespace {

template <typename T>
GemmKernel<T> builtin_kernel(Isa isa) {
  return FASTNN_ISA_TABLE(T, isa, gemm_kernel);
}

// One table per dtype, indexed by ISA; block sizes can be retuned (bench sweep).
// Each slot is filled on first use, for an ISA the CPU runs: building another
// ISA's table would execute that ISA's instructions.
template <typename T>
GemmKernel<T>& kernel_slot(Isa isa) {
  static GemmKernel<T> table[3];
  static std::once_flag filled[3];
  const int slot = static_cast<int>(isa);
  std::call_once(filled[slot], [&] { table[slot] = builtin_kernel<T>(isa); });
  return table[slot];
}

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }

// Below this many multiply-adds a second thread costs more than it saves.
constexpr double kParallelMinWork = 48.0 * 48 * 48;
// Batched products smaller than this run one per thread instead of each threaded.
constexpr double kBatchParallelMaxWork = 160.0 * 160 * 160;
// x @ W^T with at most this many rows of x runs as dot products.
constexpr int64_t kDotMaxRows = 4;

template <typename T>
struct Operand {
  const T* data;
  int64_t ld;
  bool trans;
  // Strides between consecutive rows and columns of op(X).
  int64_t row_stride() const { return trans ? 1 : ld; }
  int64_t col_stride() const { return trans ? ld : 1; }
  const T* at(int64_t row, int64_t col) const { return data + row * row_stride() + col * col_stride(); }
};

// Packing reads short runs a matrix row apart, each often in another page,
// where the hardware prefetcher stops: the run this many rows ahead is asked
// for (a transposed 1024-row A: pack share 11% -> 6% of its product).
constexpr int64_t kPackAhead = 8;

template <typename T>
inline void prefetch_run(const T* run, int64_t count) {
  const char* bytes = reinterpret_cast<const char*>(run);
  for (int64_t byte = 0; byte < count * int64_t(sizeof(T)); byte += 64) __builtin_prefetch(bytes + byte);
}

// Asks for rows x cols of a matrix (rows ld apart) into L2. A panel of B read
// in place, or of C, is a column of short runs a row apart, which the
// hardware prefetcher does not follow: the direct path asks for the next
// panel's runs while it works on the current one when B and C are too large
// to be still in cache from before (1 x 1 conv2d forward, 16 x 64 -> 128
// channels at 28 x 28: 3.1-3.4 -> 2.6-2.8 ms). Panels over 32 KiB are left to
// demand: the LSTM's per-step product (B: 384 rows 4 KiB apart, 48 KiB a panel)
// ran 3-5% slower with them asked for. Those checks stay with the caller (GCC
// 12 dropped this loop altogether when it began with one).
constexpr int64_t kPrefetchPanelMinOperands = 256 * 1024, kPrefetchPanelMaxBytes = 32 * 1024;

template <typename T>
void prefetch_panel(const T* panel, int64_t ld, int64_t rows, int64_t cols) {
  for (int64_t p = 0; p < rows; ++p) {
    const char* run = reinterpret_cast<const char*>(panel + p * ld);
    for (int64_t byte = 0; byte < cols * int64_t(sizeof(T)); byte += 64) __builtin_prefetch(run + byte, 0, 2);
  }
}

// Copies the rows x cols block src (element (i, p) at src[i * rs + p * cs],
// one of the strides 1) into dst with dst[p * ld + i], where i runs along a
// panel's width: row by row when rs is 1, else as a transpose in registers.
template <typename T>
void pack_block(const T* src, int64_t rs, int64_t cs, int64_t rows, int64_t cols, T* dst, int64_t ld) {
  if (rs == 1) {  // each p is a contiguous run of rows values (a few dozen: a loop, not a memcpy call each)
    for (int64_t p = 0; p < cols; ++p) {
      if (p + kPackAhead < cols) prefetch_run(src + (p + kPackAhead) * cs, rows);
      const T* __restrict from = src + p * cs;
      T* __restrict to = dst + p * ld;
      for (int64_t i = 0; i < rows; ++i) to[i] = from[i];
    }
    return;
  }
  transpose(rows, cols, src, rs, dst, ld);
}

// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into MR-tall panels,
// each stored column by column (the last panel's unused rows are never read).
template <typename T>
void pack_a(const Operand<T>& A, int64_t i0, int64_t p0, int64_t mc, int64_t kc, int mr, T* dst) {
  if (A.row_stride() == 1) {  // a transposed A: p outside, so that each p's mc values are one contiguous run
    // (panel by panel, kc short runs far apart would thrash L1 once per panel)
    for (int64_t p = 0; p < kc; ++p) {
      const T* __restrict from = A.at(i0, p0 + p);
      if (p + kPackAhead < kc) prefetch_run(A.at(i0, p0 + p + kPackAhead), mc);
      for (int64_t ip = 0; ip < mc; ip += mr) {
        T* __restrict to = dst + ip * kc + p * mr;
        for (int64_t i = 0; i < std::min<int64_t>(mr, mc - ip); ++i) to[i] = from[ip + i];
      }
    }
    return;
  }
  for (int64_t ip = 0; ip < mc; ip += mr, dst += mr * kc)
    pack_block(A.at(i0 + ip, p0), A.row_stride(), A.col_stride(), std::min<int64_t>(mr, mc - ip), kc, dst, mr);
}

// Packs one NR-wide panel: rows [p0, p0+kc) x cols [j0, j0+cols) of op(B),
// zero-padded to NR columns.
template <typename T>
void pack_b_panel(const Operand<T>& B, int64_t p0, int64_t j0, int64_t kc, int64_t cols, int nr, T* dst) {
  // op(B)^T is a cols x kc block whose element (j, p) goes to dst[p * nr + j].
  pack_block(B.at(p0, j0), B.col_stride(), B.row_stride(), cols, kc, dst, nr);
  if (cols < nr)
    for (int64_t p = 0; p < kc; ++p) std::fill(dst + p * nr + cols, dst + (p + 1) * nr, T(0));
}

template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
}

// How one call is cut into blocks and tasks. The cut depends on the thread
// count, but every tile boundary stays on a multiple of MR / NR and K is
// never split, so each element of C is computed the same way for any count.
// Large products hand their tasks to whichever thread is free (dynamic
// schedules): which thread runs one changes no bits, and a core slowed by
// other work takes fewer. Small ones (dot, direct) split statically: there a
// thread still waking up would leave the first thread most of the tasks.
template <typename T>
struct Plan {
  const GemmKernel<T>& kernel;  // the active ISA's table (some 700 bytes: not copied per call)
  int threads;
  bool dot;             // x @ W^T with few rows: dot products, nothing packed
  bool direct;          // no packing of A; B packed per panel only when it must be
  bool copy_a;          // direct, A read from a copy with padded rows (see below)
  int64_t a_copy_ld;    // its rows' stride
  int64_t row_tiles;    // ceil(M / MR)
  int64_t m_blocks;     // row blocks of A, each a whole number of MR tiles
  int64_t n_splits;     // pieces the NR panels of a block are cut into when M is small
  int64_t kc;           // depth of each K slice
  int64_t b_size, a_size;    // packed B (shared), packed A (each thread's)
  int64_t a_copy_size = 0;   // the padded copy of A (shared)

  Plan(int64_t M, int64_t N, int64_t K, bool trans_a, int64_t lda, bool trans_b, int nthreads)
      : kernel(kernel_slot<T>(active_isa())), threads(std::max(1, nthreads)) {
    const GemmKernel<T>& k = kernel;
    row_tiles = ceil_div(M, k.mr);
    dot = trans_b && !trans_a && M <= kDotMaxRows;
    // While A fits in L2, reading A and B in place beats copying them.
    direct = M <= k.mr || N <= 2 * k.nr || double(M) * K * sizeof(T) <= double(k.direct_a_bytes);
    // But when A's rows are a multiple of 4 KiB apart, a register tile's rows
    // all fall into one L1 set, more than its ways hold, and evict each other
    // between k steps: such an A is read from a copy with padded rows (32 x
    // 1024 x 256: 74 -> 92-111 GFLOP/s, the copy included; 64 x 2048 x 256: 90 -> 108).
    copy_a = direct && !dot && !trans_a && M > k.wide_rows && K >= 64 && lda * sizeof(T) % 4096 == 0;
    a_copy_ld = copy_a ? padded_ld(K) : 0;
    if (direct) {
      m_blocks = n_splits = 1;
      kc = K;
      b_size = threads * K * std::max(k.nr, k.wide_nr);  // a panel per thread, packed when it must be
      a_size = 0;
      a_copy_size = M * a_copy_ld;
      return;
    }
    m_blocks = ceil_div(M, k.mc);
    n_splits = 1;
    if (m_blocks >= threads)  // enough rows: a multiple of the threads, as even as MR allows
      m_blocks = std::min(round_up(m_blocks, threads), row_tiles);
    else
      split_small_m(ceil_div(std::min<int64_t>(N, k.nc), k.nr));
    kc = ceil_div(K, ceil_div(K, k.kc));  // equal slices: no short last pass over C
    b_size = kc * round_up(std::min<int64_t>(k.nc, N), k.nr);
    a_size = ceil_div(row_tiles, m_blocks) * k.mr * kc;
  }
  int64_t workspace() const { return b_size + threads * a_size + a_copy_size; }
  T* a_copy(T* workspace) const { return workspace + b_size + threads * a_size; }
  // This thread's share of the workspace: on one thread the first, also when
  // called from inside another kernel's parallel region.
  int64_t share() const { return threads == 1 ? 0 : thread_index(); }

  // Rows [first, last) of block b: blocks differ by at most one MR tile.
  int64_t block_start(int64_t b, int64_t M) const {
    return std::min(M, row_tiles * b / m_blocks * kernel.mr);
  }

  // Few rows: cut both M (into m_blocks) and the NR panels (into n_splits),
  // choosing the cut whose busiest thread has the least work.
  void split_small_m(int64_t panels) {
    double best = -1;
    for (int64_t blocks = 1; blocks <= std::min<int64_t>(threads, row_tiles); ++blocks) {
      const int64_t splits = std::min(ceil_div(threads, blocks), panels);
      const double rounds = double(ceil_div(blocks * splits, threads));
      const double cost = rounds * double(ceil_div(row_tiles, blocks)) * double(ceil_div(panels, splits));
      if (best < 0 || cost < best) {
        best = cost;
        m_blocks = blocks;
        n_splits = splits;
      }
    }
  }
};

// x @ W^T for a few rows of x: dot products along k, so neither side is
// copied; threads split the rows of W at whole groups of dot_cols.
template <typename T>
void gemm_dot(const Plan<T>& plan, const Operand<T>& A, const Operand<T>& B, int64_t M, int64_t N, int64_t K,
              T alpha, T beta, T* C, int64_t ldc) {
  const GemmKernel<T>& k = plan.kernel;
  const int64_t groups = ceil_div(N, k.dot_cols);
  const int64_t parts = std::min<int64_t>(plan.threads, groups);
  parallel_for(parts, int(parts), [&](int64_t part) {
    const int64_t j = groups * part / parts * k.dot_cols;
    const int64_t cols = std::min(N, groups * (part + 1) / parts * k.dot_cols) - j;
    for (int64_t i = 0; i < M; i += k.dot_rows) {
      const int64_t rows = std::min<int64_t>(k.dot_rows, M - i);
      k.dot[rows]({K, A.at(i, 0), A.ld, 1, B.at(0, j), B.ld, C + i * ldc + j, ldc, cols, alpha, beta});
    }
  });
}

// One to three rows of C over columns [0, n) of b (rows b_stride apart, read in
// place): while those columns of B take at most half of direct_a_bytes (the L2
// share the direct path budgets), register panels of wide_nr columns; beyond,
// the streaming kernel. The columns short of a whole panel always stream.
// Either way each column is summed in k order, so the split changes no bits.
template <typename T>
void few_rows(const GemmKernel<T>& k, int64_t rows, const MicroTile<T>& whole) {
  const bool in_l2 = double(whole.kc) * whole.n * sizeof(T) <= double(k.direct_a_bytes) / 2;
  const int64_t panel_cols = in_l2 ? whole.n / k.wide_nr * k.wide_nr : 0;
  MicroTile<T> tile = whole;
  tile.n = k.wide_nr;
  for (int64_t j = 0; j < panel_cols; j += k.wide_nr, tile.b += k.wide_nr, tile.c += k.wide_nr) k.wide[rows](tile);
  tile.n = whole.n - panel_cols;
  if (tile.n > 0) k.stream[rows](tile);
}

// Small or short-M products: A is read in place; B too when its rows are
// contiguous, otherwise each thread packs the panel it works on. Up to
// wide_rows rows, each thread takes a contiguous run of columns (a panel when
// B must be packed); more rows run the register tiles over NR-wide panels.
template <typename T>
void gemm_direct(const Plan<T>& plan, const Operand<T>& A_given, const Operand<T>& B, int64_t M, int64_t N,
                 int64_t K, T alpha, T beta, T* C, int64_t ldc, T* workspace) {
  const GemmKernel<T>& k = plan.kernel;
  Operand<T> A = A_given;
  if (plan.copy_a) {
    T* copy = plan.a_copy(workspace);
    parallel_for(plan.threads, plan.threads, [&](int64_t part) {
      for (int64_t i = M * part / plan.threads; i < M * (part + 1) / plan.threads; ++i)
        std::copy(A_given.at(i, 0), A_given.at(i, 0) + K, copy + i * plan.a_copy_ld);
    });
    A = Operand<T>{copy, plan.a_copy_ld, false};
  }
  const bool wide = M <= k.wide_rows;
  const int64_t nr = !wide ? k.nr : B.trans ? k.wide_nr : round_up(ceil_div(N, plan.threads), k.nr);
  const int64_t panels = ceil_div(N, nr);
  // Fewer panels than threads: also cut M, at multiples of MR.
  const int64_t row_tiles = ceil_div(M, k.mr);
  const int64_t row_chunks = std::min(row_tiles, ceil_div(plan.threads, panels));
  const int64_t tasks = panels * row_chunks;
  const bool prefetch_next = !wide && double(K + M) * N * sizeof(T) > double(kPrefetchPanelMinOperands);
  parallel_for(tasks, plan.threads, [&](int64_t task) {
    const int64_t panel = task / row_chunks, chunk = task % row_chunks;
    const int64_t jr = panel * nr, n = std::min<int64_t>(nr, N - jr);
    const int64_t first = std::min(M, row_tiles * chunk / row_chunks * k.mr);
    const int64_t last = std::min(M, row_tiles * (chunk + 1) / row_chunks * k.mr);
    const T* b = B.at(0, jr);
    int64_t b_stride = B.ld;
    if (B.trans || (n < nr && !wide)) {
      T* own = workspace + plan.share() * K * nr;
      pack_b_panel(B, 0, jr, K, n, static_cast<int>(nr), own);
      b = own;
      b_stride = nr;
    }
    if (prefetch_next && chunk + 1 == row_chunks && panel + 1 < panels) {  // the panel this thread likely takes next
      const int64_t next = jr + nr, cols = std::min<int64_t>(nr, N - next);
      const int64_t row_bytes = cols * int64_t(sizeof(T));
      if (b == B.at(0, jr) && K * row_bytes <= kPrefetchPanelMaxBytes) prefetch_panel(B.at(0, next), B.ld, K, cols);
      if (M * row_bytes <= kPrefetchPanelMaxBytes) prefetch_panel(C + next, ldc, M, cols);
    }
    for (int64_t ir = first; ir < last; ir += k.mr) {
      const int64_t rows = std::min<int64_t>(k.mr, last - ir);
      const MicroTile<T> tile{K, A.at(ir, 0), A.row_stride(), A.col_stride(), b, b_stride,
                              C + ir * ldc + jr, ldc, n, alpha, beta};
      if (wide)
        few_rows(k, rows, tile);
      else
        k.strided_tile(n)[rows](tile);
    }
  });
}

template <typename T>
void gemm_packed(const Plan<T>& plan, const Operand<T>& A, const Operand<T>& B, int64_t M, int64_t N,
                 int64_t K, T alpha, T beta, T* C, int64_t ldc, T* workspace) {
  const GemmKernel<T>& k = plan.kernel;
  T* packed_b = workspace;
  T* packed_a_all = workspace + plan.b_size;
  const int64_t tasks = plan.m_blocks * plan.n_splits;

  // The region's body; its worksharing loops run alone on one thread.
  auto region = [&] {
    T* packed_a = packed_a_all + plan.share() * plan.a_size;
    for (int64_t jc = 0; jc < N; jc += k.nc) {
      const int64_t nc = std::min<int64_t>(k.nc, N - jc);
      const int64_t panels = ceil_div(nc, k.nr);
      for (int64_t pc = 0; pc < K; pc += plan.kc) {
        const int64_t kc = std::min<int64_t>(plan.kc, K - pc);
        const T beta_here = pc == 0 ? beta : T(1);

#pragma omp for schedule(dynamic)
        for (int64_t panel = 0; panel < panels; ++panel) {
          const int64_t j = panel * k.nr;
          pack_b_panel(B, pc, jc + j, kc, std::min<int64_t>(k.nr, nc - j), k.nr, packed_b + j * kc);
        }

#pragma omp for schedule(dynamic)
        for (int64_t task = 0; task < tasks; ++task) {
          const int64_t block = task / plan.n_splits, split = task % plan.n_splits;
          const int64_t ic = plan.block_start(block, M);
          const int64_t mc = plan.block_start(block + 1, M) - ic;
          const int64_t first = panels * split / plan.n_splits;
          const int64_t last = panels * (split + 1) / plan.n_splits;
          if (first == last) continue;
          pack_a(A, ic, pc, mc, kc, k.mr, packed_a);
          for (int64_t panel = first; panel < last; ++panel) {
            const int64_t jr = panel * k.nr;
            const int64_t n = std::min<int64_t>(k.nr, nc - jr);
            for (int64_t ir = 0; ir < mc; ir += k.mr) {
              const MicroTile<T> tile{kc, packed_a + ir * kc, 1, k.mr, packed_b + jr * kc, k.nr,
                                      C + (ic + ir) * ldc + jc + jr, ldc, n, alpha, beta_here};
              k.packed_tile(n)[std::min<int64_t>(k.mr, mc - ir)](tile);
            }
          }
        }
      }
    }
  };
  if (plan.threads == 1) {
    region();
  } else {
#pragma omp parallel num_threads(plan.threads)
    region();
  }
}

template <typename T>
void gemm_planned(const Plan<T>& plan, const Operand<T>& A, const Operand<T>& B, int64_t M, int64_t N,
                  int64_t K, T alpha, T beta, T* C, int64_t ldc, T* workspace) {
  if (plan.dot)
    gemm_dot(plan, A, B, M, N, K, alpha, beta, C, ldc);
  else if (plan.direct)
    gemm_direct(plan, A, B, M, N, K, alpha, beta, C, ldc, workspace);
  else
    gemm_packed(plan, A, B, M, N, K, alpha, beta, C, ldc, workspace);
}

inline bool trivial(int64_t M, int64_t N, int64_t K, double alpha) {
  return M == 0 || N == 0 || K == 0 || alpha == 0.0;
}

double fma_peak_probe(Isa isa, int64_t iterations, float* sink) {
  return FASTNN_CALL_FOR_ISA(isa, fma_peak_probe(iterations, sink));
}

}  // namespace

double measure_fma_peak_gflops(int threads) {
  const Isa isa = active_isa();
  // Best of many short runs: on a shared machine one of them finds the core
  // to itself (best of three 60 ms runs once reported 93 of 117 GFLOP/s).
  constexpr int64_t kIterations = 8'000'000;
  constexpr int kAttempts = 9;
  double best = 0.0;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
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
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, int threads) {
  if (trivial(M, N, K, alpha)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  const double work = double(M) * N * K;
  const int wanted = threads > 0 ? threads : max_threads();
  const Plan<T> plan(M, N, K, trans_a, lda, trans_b, work < kParallelMinWork ? 1 : wanted);
  T* workspace = thread_scratch(ScratchSlot::gemm).get<T>(plan.workspace());
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
  const Plan<T> plan(M, N, K, trans_a, lda, trans_b, 1);
  const int64_t each = plan.workspace();
  T* workspace = thread_scratch(ScratchSlot::gemm).get<T>(each * threads);
#pragma omp parallel for num_threads(threads) schedule(dynamic)
  for (int64_t b = 0; b < batch; ++b) {
    gemm_planned(plan, Operand<T>{A + b * stride_a, lda, trans_a}, Operand<T>{B + b * stride_b, ldb, trans_b},
                 M, N, K, alpha, beta, C + b * stride_c, ldc, workspace + thread_index() * each);
  }
}

template <typename T>
GemmBlocks gemm_blocks() {
  const GemmKernel<T>& k = kernel_slot<T>(active_isa());
  return {k.mr, k.nr, k.mc, k.kc, k.nc, k.direct_a_bytes};
}

template <typename T>
void set_gemm_blocks(int64_t mc, int64_t kc, int64_t nc, int64_t direct_a_bytes) {
  GemmKernel<T>& k = kernel_slot<T>(active_isa());
  const GemmKernel<T> builtin = builtin_kernel<T>(active_isa());
  k.mc = round_up(mc > 0 ? mc : builtin.mc, k.mr);
  k.kc = kc > 0 ? kc : builtin.kc;
  k.nc = round_up(nc > 0 ? nc : builtin.nc, k.nr);
  k.direct_a_bytes = direct_a_bytes >= 0 ? direct_a_bytes : builtin.direct_a_bytes;
}

#define FASTNN_INSTANTIATE_GEMM(T)                                                              \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*,  \
                        int64_t, T, T*, int64_t, int);                                          \
  template void gemm_batched<T>(int64_t, bool, bool, int64_t, int64_t, int64_t, T, const T*,    \
                                int64_t, int64_t, const T*, int64_t, int64_t, T, T*, int64_t,   \
                                int64_t);                                                       \
  template GemmBlocks gemm_blocks<T>();                                                         \
  template void set_gemm_blocks<T>(int64_t, int64_t, int64_t, int64_t);
FASTNN_INSTANTIATE_GEMM(float)
FASTNN_INSTANTIATE_GEMM(double)

}  // namespace fastnn
