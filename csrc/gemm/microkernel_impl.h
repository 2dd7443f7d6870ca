// The register-blocked micro-kernel, written once with GCC vector extensions
// and instantiated by each ISA file in its own namespace with its own compile
// flags. Include only after defining FASTNN_ISA_NAMESPACE and
// FASTNN_VECTOR_BYTES; never from code compiled for another ISA.
#include <cstdint>
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <utility>

#include "core/simd_impl.h"
#include "gemm/microkernel.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// ROWS x NV vectors of accumulators live in registers for the whole kc loop.
// PACKED fixes A's strides at compile time (1, MR_STRIDE) for the hot path.
// Tiles with too few accumulators to hide the FMA latency (few rows) keep KU
// interleaved sets over k, added together at the end; KU is chosen for
// CHAIN_NV vectors a row, so that a one-vector tile (NV = 1) of a two-vector
// kernel sums each column in the same order, bit for bit.
template <typename T, int ROWS, int NV, bool PACKED, int MR_STRIDE, int CHAIN_NV = NV>
void microkernel(const MicroTile<T>& t) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  constexpr int NR = NV * W;
  constexpr int kMinChains = 8;
  constexpr int KU = ROWS * CHAIN_NV >= kMinChains ? 1 : (kMinChains + ROWS * CHAIN_NV - 1) / (ROWS * CHAIN_NV);
  const int64_t a_rs = PACKED ? 1 : t.a_row_stride;
  const int64_t a_cs = PACKED ? MR_STRIDE : t.a_col_stride;
  const int64_t b_rs = t.b_row_stride;
  const T* __restrict a = t.a;
  const T* __restrict b = t.b;
  // C's tile is touched only after the k loop: when that loop is short enough
  // for the lines to stay in L1 meanwhile, ask for them now, so that a tile far
  // out in cache (an output being accumulated into) arrives in the shadow.
  // Not for C's rows under 1 KiB apart: a C that small is likely still cached
  // (64^3: 96 -> 98 GFLOP/s without the requests; conv outputs unchanged).
  constexpr int64_t kPrefetchMaxK = 256, kPrefetchMinRowBytes = 1024;
  if (t.kc <= kPrefetchMaxK && t.ldc * int64_t(sizeof(T)) >= kPrefetchMinRowBytes)
    for (int i = 0; i < ROWS; ++i)
      for (int64_t byte = 0; byte < int64_t(NR * sizeof(T)); byte += 64)
        __builtin_prefetch(reinterpret_cast<const char*>(t.c + i * t.ldc) + byte, 1);
  V acc[KU][ROWS][NV];
  FASTNN_UNROLL for (int u = 0; u < KU; ++u)
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
      FASTNN_UNROLL for (int j = 0; j < NV; ++j) acc[u][i][j] = V{};

  auto step = [&](V(&sum)[ROWS][NV], const T* ap, const T* bp) {
    V bv[NV];
    FASTNN_UNROLL for (int j = 0; j < NV; ++j) bv[j] = load(bp + j * W);
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i) {
      const V av = broadcast(ap + i * a_rs);
      FASTNN_UNROLL for (int j = 0; j < NV; ++j) sum[i][j] += av * bv[j];
    }
  };
  int64_t p = 0;
  for (; p + KU <= t.kc; p += KU, a += KU * a_cs, b += KU * b_rs)
    FASTNN_UNROLL for (int u = 0; u < KU; ++u) step(acc[u], a + u * a_cs, b + u * b_rs);
  for (; p < t.kc; ++p, a += a_cs, b += b_rs) step(acc[0], a, b);
  FASTNN_UNROLL for (int u = 1; u < KU; ++u)
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
      FASTNN_UNROLL for (int j = 0; j < NV; ++j) acc[0][i][j] += acc[u][i][j];

  const T alpha = t.alpha, beta = t.beta;
  if (t.n == NR) {
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
      FASTNN_UNROLL for (int j = 0; j < NV; ++j) {
        T* dst = t.c + i * t.ldc + j * W;
        const V scaled = alpha * acc[0][i][j];
        store(dst, beta == T(0) ? scaled : scaled + beta * load(dst));
      }
    return;
  }
  // Edge tile: spill the accumulators, write back only the valid columns.
  alignas(64) T tile[ROWS * NR];
  FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
    FASTNN_UNROLL for (int j = 0; j < NV; ++j) store(tile + i * NR + j * W, acc[0][i][j]);
  for (int64_t i = 0; i < ROWS; ++i)
    for (int64_t j = 0; j < t.n; ++j) {
      T& dst = t.c[i * t.ldc + j];
      const T scaled = alpha * tile[i * NR + j];
      dst = beta == T(0) ? scaled : scaled + beta * dst;
    }
}

// ROWS rows of A (one to three) against n columns of B streamed row by row:
// each pass reads a few whole rows of B contiguously (what the prefetchers follow
// best; a product of so few rows is bound by reading B once) and adds them
// into per-row sums held in L1, the broadcasts of A kept in registers. Every
// column is summed in k order, by vector lanes up to the last whole vector
// and scalar after it, whatever n is, so column splits at multiples of the
// vector width give the same bits.
template <typename T, int ROWS>
void stream_kernel(const MicroTile<T>& t) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  constexpr int64_t kChunk = 4096 / sizeof(T);  // columns whose sums stay in L1 beside B's rows
  const int64_t a_rs = t.a_row_stride, a_cs = t.a_col_stride, b_rs = t.b_row_stride;
  alignas(64) T sums[ROWS][kChunk];
  for (int64_t j0 = 0; j0 < t.n; j0 += kChunk) {
    const int64_t cols = std::min<int64_t>(kChunk, t.n - j0), vector_cols = cols / W * W;
    for (int i = 0; i < ROWS; ++i) std::fill(sums[i], sums[i] + cols, T(0));
    auto add_rows = [&](int64_t p, auto rows_here) {
      constexpr int R = decltype(rows_here)::value;
      V av[ROWS][R];
      for (int i = 0; i < ROWS; ++i)
        for (int u = 0; u < R; ++u) av[i][u] = broadcast(t.a + i * a_rs + (p + u) * a_cs);
      const T* b = t.b + p * b_rs + j0;
      for (int64_t j = 0; j < vector_cols; j += W) {
        V s[ROWS];
        for (int i = 0; i < ROWS; ++i) s[i] = load(sums[i] + j);
        for (int u = 0; u < R; ++u) {
          const V bv = load(b + u * b_rs + j);
          for (int i = 0; i < ROWS; ++i) s[i] += av[i][u] * bv;
        }
        for (int i = 0; i < ROWS; ++i) store(sums[i] + j, s[i]);
      }
      for (int64_t j = vector_cols; j < cols; ++j)
        for (int u = 0; u < R; ++u)
          for (int i = 0; i < ROWS; ++i) sums[i][j] += t.a[i * a_rs + (p + u) * a_cs] * b[u * b_rs + j];
    };
    // Eight rows of B per pass, or four when B's rows are a multiple of 4 KiB
    // apart: all of them then share one L1 set, and eight plus the sums would
    // overflow its ways.
    int64_t p = 0;
    if (b_rs * int64_t(sizeof(T)) % 4096 != 0)
      for (; p + 8 <= t.kc; p += 8) add_rows(p, std::integral_constant<int, 8>{});
    for (; p + 4 <= t.kc; p += 4) add_rows(p, std::integral_constant<int, 4>{});
    for (; p < t.kc; ++p) add_rows(p, std::integral_constant<int, 1>{});
    for (int i = 0; i < ROWS; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        T& dst = t.c[i * t.ldc + j0 + j];
        const T scaled = t.alpha * sums[i][j];  // as the register tiles write theirs
        dst = t.beta == T(0) ? scaled : scaled + t.beta * dst;
      }
  }
}

// ROWS rows of A against COLS rows of B from row j0 (the first COLS of a
// GROUP-wide group of them), each a dot product along k: vector partial sums
// (KU interleaved sets when there are too few to hide the FMA latency), then
// the k tail apart, then each sum's lanes in a fixed tree. A column's bits
// depend on its place in its group only, so groups are cut the same way
// whatever the threads' split.
template <typename T, int ROWS, int COLS, int GROUP>
__attribute__((always_inline)) inline void dot_group(const MicroTile<T>& t, int64_t j0) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  constexpr int kMinChains = 8;
  constexpr int KU = ROWS * COLS >= kMinChains ? 1 : (kMinChains + ROWS * COLS - 1) / (ROWS * COLS);
  const T* __restrict a = t.a;
  const T* __restrict b = t.b + j0 * t.b_row_stride;
  const int64_t a_rs = t.a_row_stride, b_rs = t.b_row_stride;
  V acc[KU][ROWS][GROUP];
  FASTNN_UNROLL for (int u = 0; u < KU; ++u)
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
      FASTNN_UNROLL for (int j = 0; j < GROUP; ++j) acc[u][i][j] = V{};
  auto step = [&](V(&sum)[ROWS][GROUP], int64_t p) {
    V av[ROWS];
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i) av[i] = load(a + i * a_rs + p);
    FASTNN_UNROLL for (int j = 0; j < COLS; ++j) {
      const V bv = load(b + j * b_rs + p);
      FASTNN_UNROLL for (int i = 0; i < ROWS; ++i) sum[i][j] += av[i] * bv;
    }
  };
  int64_t p = 0;
  for (; p + KU * W <= t.kc; p += KU * W)
    FASTNN_UNROLL for (int u = 0; u < KU; ++u) step(acc[u], p + u * W);
  for (; p + W <= t.kc; p += W) step(acc[0], p);
  FASTNN_UNROLL for (int u = 1; u < KU; ++u)
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
      FASTNN_UNROLL for (int j = 0; j < COLS; ++j) acc[0][i][j] += acc[u][i][j];
  T tail[ROWS][COLS] = {};
  for (int64_t q = p; q < t.kc; ++q)
    FASTNN_UNROLL for (int i = 0; i < ROWS; ++i)
      FASTNN_UNROLL for (int j = 0; j < COLS; ++j) tail[i][j] += a[i * a_rs + q] * b[j * b_rs + q];
  FASTNN_UNROLL for (int i = 0; i < ROWS; ++i) {
    alignas(64) T sums[GROUP + W];
    lane_sums<T, GROUP>(acc[0][i], sums);
    T* c = t.c + i * t.ldc + j0;
    FASTNN_UNROLL for (int j = 0; j < COLS; ++j) {
      const T sum = sums[j] + tail[i][j];
      c[j] = t.beta == T(0) ? t.alpha * sum : t.alpha * sum + t.beta * c[j];
    }
  }
}

// ROWS rows of A against the t.n rows of B from t.b: whole groups of GROUP,
// then the rest as the first columns of one more.
template <typename T, int ROWS, int GROUP, std::size_t... Rest>
void dot_kernel(const MicroTile<T>& t, std::index_sequence<Rest...>) {
  int64_t j = 0;
  for (; j + GROUP <= t.n; j += GROUP) dot_group<T, ROWS, GROUP, GROUP>(t, j);
  const int64_t rest = t.n - j;
  ((rest == int64_t(Rest) + 1 ? dot_group<T, ROWS, int(Rest) + 1, GROUP>(t, j) : void()), ...);
}

template <typename T, int ROWS, int GROUP>
void dot_kernel(const MicroTile<T>& t) {
  dot_kernel<T, ROWS, GROUP>(t, std::make_index_sequence<GROUP - 1>{});
}

template <typename T, int GROUP, int... Rows>
void fill_dot_kernels(GemmKernel<T>& k, std::integer_sequence<int, Rows...>) {
  ((k.dot[Rows + 1] = &dot_kernel<T, Rows + 1, GROUP>), ...);
}

template <typename T, int MR, int NV, int... Rows>
void fill_kernels(GemmKernel<T>& k, std::integer_sequence<int, Rows...>) {
  ((k.packed[Rows + 1] = &microkernel<T, Rows + 1, NV, true, MR>), ...);
  ((k.strided[Rows + 1] = &microkernel<T, Rows + 1, NV, false, MR>), ...);
  ((k.packed_one_vector[Rows + 1] = &microkernel<T, Rows + 1, 1, true, MR, NV>), ...);
  ((k.strided_one_vector[Rows + 1] = &microkernel<T, Rows + 1, 1, false, MR, NV>), ...);
}

template <typename T, int WIDE_NV, int... Rows>
void fill_wide_kernels(GemmKernel<T>& k, std::integer_sequence<int, Rows...>) {
  ((k.wide[Rows + 1] = &microkernel<T, Rows + 1, WIDE_NV, false, 1>), ...);
  ((k.stream[Rows + 1] = &stream_kernel<T, Rows + 1>), ...);
}

// Independent FMA chains, more than FMA latency x throughput needs, so the loop
// runs at this ISA's FMA peak: the figure the GEMM is judged against, measured.
constexpr int kChains = 12;  // fits AVX2's 16 registers beside the two constants

template <typename T>
T fma_chains(int64_t iterations) {
  using V = typename Vec<T>::type;
  V acc[kChains];
  for (int i = 0; i < kChains; ++i) acc[i] = V{} + T(i) * T(1e-3);
  const V scale = V{} + T(0.999999), shift = V{} + T(1e-6);
  for (int64_t it = 0; it < iterations; ++it)
    for (int i = 0; i < kChains; ++i) acc[i] = acc[i] * scale + shift;
  T sum = 0;
  for (int i = 0; i < kChains; ++i)
    for (int j = 0; j < Vec<T>::width; ++j) sum += acc[i][j];
  return sum;  // consumed by the caller so the loop is not optimised away
}

constexpr int64_t fma_chains_flops_per_iteration() { return kChains * 2 * Vec<float>::width; }

// MR x NV vectors is the main tile; WIDE_ROWS x WIDE_NV vectors the one for
// products of one to three rows (which also stream B); DOT_ROWS x DOT_COLS dot
// products for x @ W^T.
template <typename T, int MR, int NV, int WIDE_ROWS, int WIDE_NV, int DOT_ROWS, int DOT_COLS>
GemmKernel<T> make_kernel(int64_t mc, int64_t kc, int64_t nc) {
  static_assert(MR <= kMaxMR && WIDE_ROWS <= MR && DOT_ROWS <= kMaxDot, "tile too large");
  static_assert((DOT_COLS & (DOT_COLS - 1)) == 0, "dot groups are a power of two wide");
  GemmKernel<T> k{};
  fill_kernels<T, MR, NV>(k, std::make_integer_sequence<int, MR>{});
  fill_wide_kernels<T, WIDE_NV>(k, std::make_integer_sequence<int, WIDE_ROWS>{});
  fill_dot_kernels<T, DOT_COLS>(k, std::make_integer_sequence<int, DOT_ROWS>{});
  k.dot_rows = DOT_ROWS;
  k.dot_cols = DOT_COLS;
  k.mr = MR;
  k.nr = NV * Vec<T>::width;
  k.vector_width = Vec<T>::width;
  k.wide_rows = WIDE_ROWS;
  k.wide_nr = WIDE_NV * Vec<T>::width;
  k.mc = mc;
  k.kc = kc;
  k.nc = nc;
  k.direct_a_bytes = int64_t(1) << 20;  // half of a core's L2 on the machines measured
  return k;
}

}  // namespace
}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
