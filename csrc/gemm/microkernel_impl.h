// The register-blocked micro-kernel, written once with GCC vector extensions
// and instantiated by each ISA file in its own namespace with its own compile
// flags. Include only after defining FASTNN_ISA_NAMESPACE and
// FASTNN_VECTOR_BYTES; never from code compiled for another ISA.
#include <cstdint>
#include <cstring>
#include <utility>

#include "gemm/microkernel.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

template <typename T>
struct Vec {
  typedef T type __attribute__((vector_size(FASTNN_VECTOR_BYTES)));
  static constexpr int width = FASTNN_VECTOR_BYTES / sizeof(T);
};

template <typename T>
inline typename Vec<T>::type load(const T* p) {
  typename Vec<T>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename T>
inline void store(T* p, typename Vec<T>::type v) {
  std::memcpy(p, &v, sizeof v);
}

// Written as an initializer of *p in every lane, which GCC folds into the FMA's
// memory operand ({1to16} on AVX-512) instead of a load plus a shuffle.
template <typename T, std::size_t... Lane>
inline typename Vec<T>::type broadcast(const T* p, std::index_sequence<Lane...>) {
  return typename Vec<T>::type{((void)Lane, *p)...};
}

template <typename T>
inline typename Vec<T>::type broadcast(const T* p) {
  return broadcast(p, std::make_index_sequence<Vec<T>::width>{});
}

// ROWS x NV vectors of accumulators live in registers for the whole kc loop.
// PACKED fixes A's strides at compile time (1, MR_STRIDE) for the hot path.
// Tiles with too few accumulators to hide the FMA latency (few rows) keep KU
// interleaved sets over k, added together at the end.
template <typename T, int ROWS, int NV, bool PACKED, int MR_STRIDE>
void microkernel(const MicroTile<T>& t) {
  using V = typename Vec<T>::type;
  constexpr int W = Vec<T>::width;
  constexpr int NR = NV * W;
  constexpr int kMinChains = 8;
  constexpr int KU = ROWS * NV >= kMinChains ? 1 : (kMinChains + ROWS * NV - 1) / (ROWS * NV);
  const int64_t a_rs = PACKED ? 1 : t.a_row_stride;
  const int64_t a_cs = PACKED ? MR_STRIDE : t.a_col_stride;
  const int64_t b_rs = t.b_row_stride;
  const T* __restrict a = t.a;
  const T* __restrict b = t.b;
  V acc[KU][ROWS][NV];
  for (int u = 0; u < KU; ++u)
    for (int i = 0; i < ROWS; ++i)
      for (int j = 0; j < NV; ++j) acc[u][i][j] = V{};

  auto step = [&](V(&sum)[ROWS][NV], const T* ap, const T* bp) {
    V bv[NV];
    for (int j = 0; j < NV; ++j) bv[j] = load(bp + j * W);
    for (int i = 0; i < ROWS; ++i) {
      const V av = broadcast(ap + i * a_rs);
      for (int j = 0; j < NV; ++j) sum[i][j] += av * bv[j];
    }
  };
  int64_t p = 0;
  for (; p + KU <= t.kc; p += KU, a += KU * a_cs, b += KU * b_rs)
    for (int u = 0; u < KU; ++u) step(acc[u], a + u * a_cs, b + u * b_rs);
  for (; p < t.kc; ++p, a += a_cs, b += b_rs) step(acc[0], a, b);
  for (int u = 1; u < KU; ++u)
    for (int i = 0; i < ROWS; ++i)
      for (int j = 0; j < NV; ++j) acc[0][i][j] += acc[u][i][j];

  const T alpha = t.alpha, beta = t.beta;
  if (t.n == NR) {
    for (int i = 0; i < ROWS; ++i)
      for (int j = 0; j < NV; ++j) {
        T* dst = t.c + i * t.ldc + j * W;
        const V scaled = alpha * acc[0][i][j];
        store(dst, beta == T(0) ? scaled : scaled + beta * load(dst));
      }
    return;
  }
  // Edge tile: spill the accumulators, write back only the valid columns.
  alignas(64) T tile[ROWS * NR];
  for (int i = 0; i < ROWS; ++i)
    for (int j = 0; j < NV; ++j) store(tile + i * NR + j * W, acc[0][i][j]);
  for (int64_t i = 0; i < ROWS; ++i)
    for (int64_t j = 0; j < t.n; ++j) {
      T& dst = t.c[i * t.ldc + j];
      const T scaled = alpha * tile[i * NR + j];
      dst = beta == T(0) ? scaled : scaled + beta * dst;
    }
}

template <typename T, int MR, int NV, int... Rows>
void fill_kernels(GemmKernel<T>& k, std::integer_sequence<int, Rows...>) {
  ((k.packed[Rows + 1] = &microkernel<T, Rows + 1, NV, true, MR>), ...);
  ((k.strided[Rows + 1] = &microkernel<T, Rows + 1, NV, false, MR>), ...);
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

template <typename T, int MR, int NV>
GemmKernel<T> make_kernel(int64_t mc, int64_t kc, int64_t nc) {
  static_assert(MR <= kMaxMR, "MR too large");
  GemmKernel<T> k{};
  fill_kernels<T, MR, NV>(k, std::make_integer_sequence<int, MR>{});
  k.mr = MR;
  k.nr = NV * Vec<T>::width;
  k.mc = mc;
  k.kc = kc;
  k.nc = nc;
  return k;
}

}  // namespace
}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
