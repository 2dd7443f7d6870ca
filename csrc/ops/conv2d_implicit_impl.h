// The implicit-GEMM convolution tiles, written once with GCC vector extensions
// and compiled per ISA: included only by ops/conv2d_implicit_<isa>.cpp after
// they define FASTNN_ISA_NAMESPACE, FASTNN_VECTOR_BYTES, FASTNN_IMPLICIT_ROWS
// (the register tile's rows, with two vectors of pixels) and
// FASTNN_IMPLICIT_FEW_ROWS_VECTORS (the vectors of pixels beside
// kImplicitFewRows rows, for convolutions with that few output channels).
#include <cstdint>
#include <utility>

#include "core/simd_impl.h"
#include "ops/conv2d_implicit.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// ROWS of a kernel's kRows (the weights' packing) against kVectors vectors.
template <typename T, int ROWS, int kRows, int kVectors>
void implicit_tile(const ImplicitTile<T>& t) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  V acc[ROWS][kVectors];  // from the bias: no pass of adds after the sums
  FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
    FASTNN_UNROLL for (int v = 0; v < kVectors; ++v) acc[i][v] = V{} + (t.bias != nullptr ? t.bias[i] : T(0));
  const T* in[kVectors];
  FASTNN_UNROLL for (int v = 0; v < kVectors; ++v) in[v] = t.padded + t.in_offset[v];
  const T* __restrict w = t.w;
  for (int64_t q = 0; q < t.k; ++q, w += kRows) {
    const int64_t at = t.tap_offset[q];
    V pixels[kVectors];
    FASTNN_UNROLL for (int v = 0; v < kVectors; ++v) pixels[v] = load(in[v] + at);
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i) {
      const V weight = broadcast(w + i);
      FASTNN_UNROLL for (int v = 0; v < kVectors; ++v) acc[i][v] += weight * pixels[v];
    }
  }
  bool whole = true;
  for (int v = 0; v < kVectors; ++v) whole = whole && t.runs[2 * v].count == W;
  if (whole) {
    // Destinations in locals: each store may alias the tile's fields, which
    // GCC would otherwise read again after every one.
    T* out[kVectors];
    const int64_t ldy = t.ldy;
    FASTNN_UNROLL for (int v = 0; v < kVectors; ++v) out[v] = t.out + t.runs[2 * v].out;
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
      FASTNN_UNROLL for (int v = 0; v < kVectors; ++v) store(out[v] + i * ldy, acc[i][v]);
    return;
  }
  // Lanes across the end of an output row, or a vector that only pads the
  // tile: spill the tile, store its runs.
  alignas(64) T tile[ROWS][kVectors][W];
  FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
    FASTNN_UNROLL for (int v = 0; v < kVectors; ++v) store(tile[i][v], acc[i][v]);
  for (int i = 0; i < ROWS; ++i)
    for (int v = 0; v < kVectors; ++v)
      for (const PixelRun* run = t.runs + 2 * v; run < t.runs + 2 * v + 2; ++run)
        for (int64_t j = 0; j < run->count; ++j) t.out[i * t.ldy + run->out + j] = tile[i][v][run->lane + j];
}

template <typename T, int kVectors, int... Rows>
ImplicitConvKernel<T> implicit_kernel(std::integer_sequence<int, Rows...>) {
  ImplicitConvKernel<T> kernel{};
  ((kernel.tile[Rows + 1] = &implicit_tile<T, Rows + 1, sizeof...(Rows), kVectors>), ...);
  kernel.rows = sizeof...(Rows);
  kernel.vectors = kVectors;
  kernel.width = Vec<T>::width;
  return kernel;
}

template <typename T>
ImplicitConvKernels<T> implicit_kernels() {
  return {implicit_kernel<T, 2>(std::make_integer_sequence<int, FASTNN_IMPLICIT_ROWS>{}),
          implicit_kernel<T, FASTNN_IMPLICIT_FEW_ROWS_VECTORS>(std::make_integer_sequence<int, kImplicitFewRows>{})};
}

}  // namespace

ImplicitConvKernels<float> implicit_conv_f32() { return implicit_kernels<float>(); }
ImplicitConvKernels<double> implicit_conv_f64() { return implicit_kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
