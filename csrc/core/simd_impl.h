// Vectors of FASTNN_VECTOR_BYTES as GCC vector extensions, with unaligned loads
// and stores and a broadcast that folds into an FMA's memory operand. For the
// per-ISA files only: include after defining FASTNN_ISA_NAMESPACE and
// FASTNN_VECTOR_BYTES, never from code compiled for another ISA.
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

// Put before a loop over a register tile's rows or vectors (a constant count):
// GCC then unrolls it before scalar replacement, so the tile's array of
// accumulators becomes registers. Left to itself it keeps the array in memory,
// zeroed, stored and reloaded around the k loop (~100 cycles a 12 x 32 tile).
#define FASTNN_UNROLL _Pragma("GCC unroll 64")

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

// A load kept in a register for every use: GCC otherwise folds a loaded
// vector into each FMA that reads it, one load per use (most straddling two
// cache lines when unaligned), and load-bound loops wait on them.
template <typename T>
inline typename Vec<T>::type load_once(const T* p) {
  typename Vec<T>::type v = load(p);
  __asm__("" : "+v"(v));
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

// Integer lanes as wide as T's: as many lanes, for masks, shuffles and
// integers that ride beside the values.
template <typename T>
using IntLanes = typename Vec<std::conditional_t<sizeof(T) == 4, int32_t, int64_t>>::type;

// N lanes of Lane: as wide as the ISA's vectors, or narrower (for the last
// few values of a row).
template <typename Lane, int N>
struct Lanes {
  typedef Lane type __attribute__((vector_size(N * sizeof(Lane))));
};

template <typename T, int N>
using Values = typename Lanes<T, N>::type;
template <typename T, int N>  // integers as wide as T's lanes: masks, shuffles, positions beside the values
using Ints = typename Lanes<std::conditional_t<sizeof(T) == 4, int32_t, int64_t>, N>::type;

template <int N, typename Lane>
inline typename Lanes<Lane, N>::type load_lanes(const Lane* p) {
  typename Lanes<Lane, N>::type v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <typename Lane, typename V>
inline void store_lanes(Lane* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

// Lanes First, First + 2, ... of the pair (a, b): the even or odd columns.
template <int First, typename T, int N, std::size_t... Lane>
inline Values<T, N> every_other(Values<T, N> a, Values<T, N> b, std::index_sequence<Lane...>) {
  return __builtin_shuffle(a, b, Ints<T, N>{First + 2 * int(Lane)...});
}

// Half (0 or 1) of a and b alternating, a_0 b_0 a_1 b_1 ...: its lane i is
// lane Half * N + i of that sequence.
template <int Half, typename T, int N, std::size_t... Lane>
inline Values<T, N> interleave(Values<T, N> a, Values<T, N> b, std::index_sequence<Lane...>) {
  return __builtin_shuffle(a, b, Ints<T, N>{((Half * N + int(Lane)) % 2 * N + (Half * N + int(Lane)) / 2)...});
}

// v + v with lanes rotated down by Half: lane i gets lanes i and i + Half.
template <int Half, typename T, std::size_t... Lane>
inline typename Vec<T>::type fold_lanes(typename Vec<T>::type v, std::index_sequence<Lane...>) {
  return v + __builtin_shuffle(v, IntLanes<T>{(Lane + Half) % Vec<T>::width...});
}

// Sum of a vector's lanes as a fixed pairwise tree (lane i + lane i + W/2,
// then halves again), in registers: a few dependent adds instead of one per lane.
template <typename T>
inline T reduce_lanes(typename Vec<T>::type v) {
  constexpr int W = Vec<T>::width;
  const auto lanes = std::make_index_sequence<W>{};
  if constexpr (W >= 16) v = fold_lanes<8, T>(v, lanes);
  if constexpr (W >= 8) v = fold_lanes<4, T>(v, lanes);
  if constexpr (W >= 4) v = fold_lanes<2, T>(v, lanes);
  if constexpr (W >= 2) v = fold_lanes<1, T>(v, lanes);
  return v[0];
}

// Adds a and b with shuffles so that groups of 2S lanes fold to S: the W / 2S
// groups of a, then those of b, each the sum of its two halves.
template <typename T, int S, std::size_t... L>
inline typename Vec<T>::type fold_pair(typename Vec<T>::type a, typename Vec<T>::type b, std::index_sequence<L...>) {
  constexpr int W = Vec<T>::width, G = W / (2 * S);
  return __builtin_shuffle(a, b, IntLanes<T>{int((L / S) / G * W + (L / S) % G * 2 * S + L % S)...}) +
         __builtin_shuffle(a, b, IntLanes<T>{int((L / S) / G * W + (L / S) % G * 2 * S + L % S + S)...});
}

// v: COUNT vectors of W / S groups of S lanes. Folds pairs of vectors (or the
// last one with itself) until each group is one lane, then stores them: lane
// sum c lands at sums[c].
template <typename T, int S, int COUNT>
inline void fold_groups(typename Vec<T>::type (&v)[COUNT], T* sums) {
  constexpr int W = Vec<T>::width;
  const auto lanes = std::make_index_sequence<W>{};
  if constexpr (S == 1) {
    for (int c = 0; c < COUNT; ++c) store(sums + c * W, v[c]);
  } else {
    constexpr int NEXT = COUNT > 1 ? COUNT / 2 : 1;
    typename Vec<T>::type u[NEXT];
    for (int c = 0; c < NEXT; ++c) u[c] = fold_pair<T, S / 2>(v[2 * c % COUNT], v[(2 * c + 1) % COUNT], lanes);
    fold_groups<T, S / 2, NEXT>(u, sums);
  }
}

// The lane sums of COUNT vectors (a power of two), each in a fixed pairwise
// tree: sums[c] for vector c. Shuffling pairs of vectors together takes one
// add per pair and level, where folding each vector alone takes one per level.
template <typename T, int COUNT>
inline void lane_sums(typename Vec<T>::type (&v)[COUNT], T* sums) {
  fold_groups<T, Vec<T>::width, COUNT>(v, sums);
}

// to[k] = from[k] for k < n, in whole vectors: a run that does not end on one
// ends with a vector overlapping the one before (the same values written
// twice), not a scalar loop. Runs here are short (a row of a feature map),
// so the loop's start-up and tail would otherwise cost more than the copy.
template <typename T>
inline void copy_run(T* __restrict to, const T* __restrict from, int64_t n) {
  constexpr int W = Vec<T>::width;
  if (n < W) {
    for (int64_t k = 0; k < n; ++k) to[k] = from[k];
    return;
  }
  for (int64_t k = 0; k + W <= n; k += W) store(to + k, load(from + k));
  if (n % W != 0) store(to + n - W, load(from + n - W));
}

}  // namespace
}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
