#include "ops/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "core/cpu.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "core/threads.h"
#include "gemm/gemm.h"
#include "ops/attention_rows.h"
#include "ops/reduce.h"
#include "core/transpose.h"

namespace fastnn {
namespace {

// A query tile's scores against a key tile (96 x 256 floats, 96 KiB) stay in
// L2 between the two products around the softmax; 96 rows are whole AVX-512
// and AVX2 register tiles. Backward keeps two such tiles (p and ds), so its
// key tiles are half as long. Chosen by bench/bench_attention.py.
constexpr int64_t kQueryTile = 96;
constexpr int64_t kKeyTile = 256;
constexpr int64_t kBackwardKeyTile = 128;
// Below this many multiply-adds one thread does it all.
constexpr double kParallelMinWork = 64.0 * 64 * 64;

template <typename T>
AttentionRowKernels<T> rows_for(Isa isa) {
  return FASTNN_ISA_TABLE(T, isa, attention_rows);
}

// The pointers of one head.
template <typename T>
struct Head {
  const T *q, *k, *v;
  const T* mask;  // the head's mask plane, or null
};

template <typename T>
Head<T> head_at(const AttentionDims& d, const T* q, const T* k, const T* v, const AttentionMask<T>& mask, int64_t h) {
  return {q + h * d.lq * d.e, k + h * d.lk * d.e, v + h * d.lk * d.ev,
          mask.values ? mask.values + mask.plane_offsets[h] : nullptr};
}

// How many of the `cols` keys from j0 query row i may see.
inline int64_t visible_keys(bool causal, int64_t i, int64_t j0, int64_t cols) {
  return causal ? std::clamp<int64_t>(i + 1 - j0, 0, cols) : cols;
}

template <typename T>
int threads_for(const AttentionDims& d, int64_t tasks) {
  const double work = double(d.heads) * d.lq * d.lk * (d.e + d.ev);
  return work < kParallelMinWork ? 1 : int(std::min<int64_t>(max_threads(), tasks));
}

// One query tile of one head: scores tile by tile, online softmax, out += p v.
// The running row sums live in lse until the end.
// k_t is the head's K^T (e x lk, leading dimension ld_k), laid out once per
// head so that each tile's scores read it in place.
template <typename T>
void forward_tile(const AttentionDims& d, const Head<T>& hd, const T* k_t, int64_t ld_k, int64_t mask_row_stride,
                  bool causal, T scale, int64_t i0, T* out, T* lse, T* scores, const AttentionRowKernels<T>& rows) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  const int64_t n_rows = std::min(kQueryTile, d.lq - i0);
  T row_max[kQueryTile];
  std::fill(row_max, row_max + n_rows, kNegInf);
  std::fill(lse, lse + n_rows, T(0));
  std::fill(out, out + n_rows * d.ev, T(0));
  const T* q = hd.q + i0 * d.e;
  const int64_t key_end = causal ? std::min(d.lk, i0 + n_rows) : d.lk;
  for (int64_t j0 = 0; j0 < key_end; j0 += kKeyTile) {
    const int64_t cols = std::min(kKeyTile, key_end - j0);
    gemm<T>(false, false, n_rows, cols, d.e, scale, q, d.e, k_t + j0, ld_k, T(0), scores, kKeyTile, 1);
    for (int64_t r = 0; r < n_rows; ++r) {
      const T* mask = hd.mask ? hd.mask + (i0 + r) * mask_row_stride + j0 : nullptr;
      const T correction = rows.online_softmax(cols, visible_keys(causal, i0 + r, j0, cols), mask,
                                               scores + r * kKeyTile, row_max + r, lse + r);
      if (correction != T(1))
        for (T *o = out + r * d.ev, *end = o + d.ev; o < end; ++o) *o *= correction;
    }
    gemm<T>(false, false, n_rows, d.ev, cols, T(1), scores, kKeyTile, hd.v + j0 * d.ev, d.ev, T(1), out, d.ev, 1);
  }
  for (int64_t r = 0; r < n_rows; ++r) {
    const T sum = lse[r];
    if (sum == T(0)) {  // no key allowed: output stays 0, and no gradient flows
      lse[r] = std::numeric_limits<T>::infinity();
      continue;
    }
    const T inverse = T(1) / sum;
    for (T *o = out + r * d.ev, *end = o + d.ev; o < end; ++o) *o *= inverse;
    lse[r] = row_max[r] + std::log(sum);
  }
}

// A backward thread's memory: the p and ds tiles, each query row's
// delta = dout . out, and the head's K^T and V^T, laid out once per head so
// that every tile's scores and dp read them in place.
template <typename T>
struct BackwardWork {
  T *p, *ds, *delta, *k_t, *v_t;
  int64_t ld;  // of k_t and v_t

  static int64_t size(const AttentionDims& d) {
    return 2 * kQueryTile * kBackwardKeyTile + d.lq + (d.e + d.ev) * padded_ld(d.lk);
  }
  BackwardWork(const AttentionDims& d, T* base) : ld(padded_ld(d.lk)) {
    p = base;
    ds = p + kQueryTile * kBackwardKeyTile;
    delta = ds + kQueryTile * kBackwardKeyTile;
    k_t = delta + d.lq;
    v_t = k_t + d.e * ld;
  }
};

// One head's gradients, key tile by key tile, query tiles inside: dv and dk
// of a key tile are complete when its loop ends; dq accumulates across them.
template <typename T>
void backward_head(const AttentionDims& d, const Head<T>& hd, int64_t mask_row_stride, bool causal, T scale,
                   const T* out, const T* lse, const T* dout, T* dq, T* dk, T* dv, const BackwardWork<T>& w,
                   const AttentionRowKernels<T>& rows) {
  constexpr int64_t ldp = kBackwardKeyTile;
  for (int64_t i = 0; i < d.lq; ++i) w.delta[i] = dot_fixed_order(dout + i * d.ev, out + i * d.ev, 1, d.ev);
  transpose(d.lk, d.e, hd.k, d.e, w.k_t, w.ld);
  transpose(d.lk, d.ev, hd.v, d.ev, w.v_t, w.ld);
  std::fill(dq, dq + d.lq * d.e, T(0));
  std::fill(dk, dk + d.lk * d.e, T(0));
  std::fill(dv, dv + d.lk * d.ev, T(0));
  for (int64_t j0 = 0; j0 < d.lk; j0 += kBackwardKeyTile) {
    const int64_t cols = std::min(kBackwardKeyTile, d.lk - j0);
    // Causal: query tiles that end before key j0 see none of this tile.
    for (int64_t i0 = causal ? j0 / kQueryTile * kQueryTile : 0; i0 < d.lq; i0 += kQueryTile) {
      const int64_t n_rows = std::min(kQueryTile, d.lq - i0);
      const T* q = hd.q + i0 * d.e;
      const T* dout_tile = dout + i0 * d.ev;
      gemm<T>(false, false, n_rows, cols, d.e, scale, q, d.e, w.k_t + j0, w.ld, T(0), w.p, ldp, 1);
      gemm<T>(false, false, n_rows, cols, d.ev, T(1), dout_tile, d.ev, w.v_t + j0, w.ld, T(0), w.ds, ldp, 1);
      for (int64_t r = 0; r < n_rows; ++r) {
        const int64_t i = i0 + r;
        const T* mask = hd.mask ? hd.mask + i * mask_row_stride + j0 : nullptr;
        rows.softmax_backward(cols, visible_keys(causal, i, j0, cols), mask, lse[i], w.delta[i], w.p + r * ldp,
                              w.ds + r * ldp);
      }
      gemm<T>(true, false, cols, d.ev, n_rows, T(1), w.p, ldp, dout_tile, d.ev, T(1), dv + j0 * d.ev, d.ev, 1);
      gemm<T>(false, false, n_rows, d.e, cols, scale, w.ds, ldp, hd.k + j0 * d.e, d.e, T(1), dq + i0 * d.e, d.e, 1);
      gemm<T>(true, false, cols, d.e, n_rows, scale, w.ds, ldp, q, d.e, T(1), dk + j0 * d.e, d.e, 1);
    }
  }
}

}  // namespace

template <typename T>
void attention_forward(const AttentionDims& d, const T* q, const T* k, const T* v, const AttentionMask<T>& mask,
                       bool causal, T scale, T* out, T* lse) {
  const int64_t tiles = (d.lq + kQueryTile - 1) / kQueryTile;
  const int64_t tasks = d.heads * tiles;
  const int threads = threads_for<T>(d, tasks);
  // Per thread: a scores tile, then the K^T of the head it works on. Threads
  // take a head's tiles at a time, so each transposes each of its heads once.
  const int64_t ld_k = padded_ld(d.lk);
  const int64_t work_size = kQueryTile * kKeyTile + d.e * ld_k;
  T* work_all = thread_scratch(ScratchSlot::op_columns).get<T>(threads * work_size);
  std::vector<int64_t> transposed_head(threads, -1);
  const AttentionRowKernels<T> rows = rows_for<T>(active_isa());
  parallel_for(tasks, threads, [&](int64_t task) {
    const int64_t h = task / tiles, i0 = task % tiles * kQueryTile;
    const int thread = thread_index();
    T* scores = work_all + thread * work_size;
    T* k_t = scores + kQueryTile * kKeyTile;
    const Head<T> hd = head_at(d, q, k, v, mask, h);
    if (transposed_head[thread] != h) {
      transpose(d.lk, d.e, hd.k, d.e, k_t, ld_k);
      transposed_head[thread] = h;
    }
    forward_tile(d, hd, k_t, ld_k, mask.row_stride, causal, scale, i0, out + (h * d.lq + i0) * d.ev,
                 lse + h * d.lq + i0, scores, rows);
  }, tiles);
}

template <typename T>
void attention_backward(const AttentionDims& d, const T* q, const T* k, const T* v, const AttentionMask<T>& mask,
                        bool causal, T scale, const T* out, const T* lse, const T* dout, T* dq, T* dk, T* dv) {
  const int threads = threads_for<T>(d, d.heads);
  const int64_t work_size = BackwardWork<T>::size(d);
  T* work_all = thread_scratch(ScratchSlot::op_columns).get<T>(threads * work_size);
  const AttentionRowKernels<T> rows = rows_for<T>(active_isa());
  parallel_for(d.heads, threads, [&](int64_t h) {
    const BackwardWork<T> work(d, work_all + thread_index() * work_size);
    backward_head(d, head_at(d, q, k, v, mask, h), mask.row_stride, causal, scale, out + h * d.lq * d.ev,
                  lse + h * d.lq, dout + h * d.lq * d.ev, dq + h * d.lq * d.e, dk + h * d.lk * d.e,
                  dv + h * d.lk * d.ev, work, rows);
  }, 1);
}

#define FASTNN_INSTANTIATE_ATTENTION(T)                                                                            \
  template void attention_forward<T>(const AttentionDims&, const T*, const T*, const T*, const AttentionMask<T>&, \
                                     bool, T, T*, T*);                                                             \
  template void attention_backward<T>(const AttentionDims&, const T*, const T*, const T*,                         \
                                      const AttentionMask<T>&, bool, T, const T*, const T*, const T*, T*, T*, T*);
FASTNN_INSTANTIATE_ATTENTION(float)
FASTNN_INSTANTIATE_ATTENTION(double)

}  // namespace fastnn
