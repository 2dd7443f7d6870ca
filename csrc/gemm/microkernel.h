#pragma once
// The contract between the GEMM driver and the per-ISA micro-kernels.
#include <cstdint>

namespace fastnn {

// One register tile: c[0:rows, 0:n] = alpha * a * b + beta * c over kc steps.
// Element (i, p) of a is a[i * a_row_stride + p * a_col_stride]: packed panels
// have strides (1, MR); an unpacked matrix its own. Row p of b starts at
// b + p * b_row_stride and has NR readable values (a packed, zero-padded panel,
// or a matrix row with NR columns to spare). When beta == 0, c is not read.
template <typename T>
struct MicroTile {
  int64_t kc;
  const T* a;
  int64_t a_row_stride, a_col_stride;
  const T* b;
  int64_t b_row_stride;
  T* c;
  int64_t ldc;
  int64_t n;
  T alpha, beta;
};

template <typename T>
using MicroKernelFn = void (*)(const MicroTile<T>& tile);

constexpr int kMaxMR = 16;

// The micro-kernels of one ISA and dtype, with the block sizes the driver uses
// around them: mc x kc of packed A stays in L2, kc x NR of packed B in L1,
// kc x nc in L3. packed[r] / strided[r] compute r rows (1 <= r <= mr), reading A
// from packed panels or straight from the matrix. Products of one to three
// rows (r <= wide_rows) are bound by reading B once: wide[r] keep r x wide_nr
// sums in registers over a panel of B (rows of wide_nr readable values), for
// B within L2; stream[r] read any n columns of B row by row, sums in L1, for
// B streamed from further out. Both sum each column in k order (same bits).
//
// dot[r] serve op(B) = B^T with A not transposed (a Linear layer's x @ W^T
// at batch 1 or 2): r rows of A against n rows of B, both read along k, as
// dot products, dot_cols rows of B at a time (a column's bits depend on its
// place in such a group: callers cut n at multiples of dot_cols). Here
// a_row_stride and b_row_stride are the rows' strides and both column strides
// are 1.
constexpr int kMaxDot = 8;
template <typename T>
struct GemmKernel {
  MicroKernelFn<T> packed[kMaxMR + 1];
  MicroKernelFn<T> strided[kMaxMR + 1];
  // The same tiles one vector wide: a tile of at most vector_width columns (a
  // small attention head, a last panel 16 wide) multiplies only the vector it keeps.
  MicroKernelFn<T> packed_one_vector[kMaxMR + 1];
  MicroKernelFn<T> strided_one_vector[kMaxMR + 1];
  MicroKernelFn<T> wide[kMaxMR + 1];
  MicroKernelFn<T> stream[kMaxMR + 1];
  MicroKernelFn<T> dot[kMaxDot + 1];
  int mr, nr, vector_width;
  int wide_rows, wide_nr;
  int dot_rows, dot_cols;
  int64_t mc, kc, nc;
  int64_t direct_a_bytes;  // while A is this small, A and B are read in place

  // The tiles (by rows) for n columns.
  const MicroKernelFn<T>* packed_tile(int64_t n) const { return n <= vector_width ? packed_one_vector : packed; }
  const MicroKernelFn<T>* strided_tile(int64_t n) const { return n <= vector_width ? strided_one_vector : strided; }
};

// Each ISA file defines these in its own namespace. fma_peak_probe runs
// `iterations` of float FMA chains on one thread and returns the FLOPs done
// (writing a checksum to *sink).
#define FASTNN_DECLARE_ISA(ns)                                  \
  namespace ns {                                                \
  GemmKernel<float> gemm_kernel_f32();                          \
  GemmKernel<double> gemm_kernel_f64();                         \
  double fma_peak_probe(int64_t iterations, float* sink);       \
  }
FASTNN_DECLARE_ISA(generic)
FASTNN_DECLARE_ISA(avx2)
FASTNN_DECLARE_ISA(avx512)
#undef FASTNN_DECLARE_ISA

// float32 FMA GFLOP/s of the active ISA on `threads` threads, measured.
double measure_fma_peak_gflops(int threads);

}  // namespace fastnn
