#pragma once
// C = alpha * op(A) * op(B) + beta * C, row-major, op(X) = X or X^T.
// op(A) is M x K, op(B) is K x N, C is M x N with leading dimension ldc.
// When beta == 0, C is not read (NaN in C does not propagate), as in BLAS.
#include <cstdint>

namespace fastnn {

// threads: 0 uses every thread; kernels that call gemm from inside their own
// parallel region pass 1.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha,
          const T* A, int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc, int threads = 0);

// `batch` independent products; each operand advances by its batch stride
// (a stride of 0 broadcasts one matrix over the batch).
template <typename T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K,
                  T alpha, const T* A, int64_t lda, int64_t stride_a, const T* B, int64_t ldb,
                  int64_t stride_b, T beta, T* C, int64_t ldc, int64_t stride_c);

// Register tile and cache blocks of the active ISA's kernel for T.
struct GemmBlocks {
  int mr, nr;
  int64_t mc, kc, nc;
  int64_t direct_a_bytes;
};
template <typename T>
GemmBlocks gemm_blocks();
// Retunes the active ISA's cache blocks for T (mc rounded up to MR, nc to NR)
// and the size of A below which A and B are read in place; a size <= 0 (or
// direct_a_bytes < 0) restores the built-in one. For sweeps and tests: not to
// be called while a GEMM runs.
template <typename T>
void set_gemm_blocks(int64_t mc, int64_t kc, int64_t nc, int64_t direct_a_bytes);

}  // namespace fastnn
