#pragma once
// The convolution as an implicit GEMM, per ISA (each compiled with its own
// flags in its own namespace): a register tile of output channels x vectors
// of output pixels sums over (input channel, tap) straight from the padded
// sample, so no im2col matrix is written or read.
#include <cstdint>

#include "core/cpu.h"
#include "ops/conv2d.h"

namespace fastnn {

// The forward as an implicit GEMM (conv2d_implicit.cpp), when that pays for
// this shape; returns false, having done nothing, when it does not.
template <typename T>
bool implicit_forward(const Conv2dShape& s, const T* x, const T* w, const T* bias, T* y);
template <typename T>
bool implicit_forward_pays(const Conv2dShape& s);

// Where a vector's lanes go in the output plane: lanes [lane, lane + count)
// to pixels [out, out + count). A vector holds at most two runs (the end of an
// output row and the start of the next); lanes in neither are not stored.
struct PixelRun {
  int64_t lane, count, out;
};

// One tile: out[i][pixel] = bias[i] + sum over q < k of w[q * rows + i] *
// padded[tap_offset[q] + in_offset[v] + lane] for rows i < ROWS and each
// vector v < vectors of `width` lanes, stored by runs[2 v] and runs[2 v + 1]
// into an output plane (rows ldy apart). The weights are packed `rows` (the
// kernel's) to a step, so a step's broadcasts share one pointer; every
// vector must be readable in full.
template <typename T>
struct ImplicitTile {
  int64_t k;
  const T* w;
  const T* padded;
  const int64_t* tap_offset;
  const int64_t* in_offset;
  const PixelRun* runs;
  const T* bias;  // per row; null: none
  T* out;
  int64_t ldy;
};

constexpr int kMaxImplicitRows = 16;

// tile[r] computes r rows (1 <= r <= rows) against `vectors` vectors of
// `width` pixels.
template <typename T>
struct ImplicitConvKernel {
  void (*tile[kMaxImplicitRows + 1])(const ImplicitTile<T>& t);
  int rows, vectors, width;
};

// Tiles of many output channels (rows) x two vectors, and of at most
// kImplicitFewRows channels x more vectors: with few channels, a tile as
// wide loads as many pixels per FMA as rows of its own.
constexpr int kImplicitFewRows = 3;

template <typename T>
struct ImplicitConvKernels {
  ImplicitConvKernel<T> many_rows, few_rows;
  const ImplicitConvKernel<T>& for_rows(int64_t rows) const { return rows <= few_rows.rows ? few_rows : many_rows; }
};

FASTNN_DECLARE_ISA_TABLES(ImplicitConvKernels, implicit_conv)

}  // namespace fastnn
