#include "ops/rnn.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/cpu.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "gemm/gemm.h"
#include "ops/rnn_gates.h"
#include "core/transpose.h"

namespace fastnn {
namespace {

constexpr int64_t kParallelMinElements = 1 << 14;

// Step t of processing step i, and the step before it (whose state feeds t).
inline int64_t step_at(const RnnShape& s, int64_t i) { return s.reverse ? s.T - 1 - i : i; }

// rows x cols matrix whose every row is bias + other_bias (a null one is zero).
template <typename T>
void fill_rows(int64_t rows, int64_t cols, const T* bias, const T* other_bias, T* out) {
  for (int64_t c = 0; c < cols; ++c) out[c] = (bias ? bias[c] : T(0)) + (other_bias ? other_bias[c] : T(0));
  for (int64_t r = 1; r < rows; ++r) std::copy(out, out + cols, out + r * cols);
}

// out row b (ld apart) = [h row b, x row b]; only h when x is null.
template <typename T>
void stack_rows(int64_t B, int64_t H, int64_t I, const T* h, const T* x, T* out, int64_t ld) {
  for (int64_t b = 0; b < B; ++b) {
    std::copy(h + b * H, h + (b + 1) * H, out + b * ld);
    if (x) std::copy(x + b * I, x + (b + 1) * I, out + b * ld + H);
  }
}

template <typename T>
RnnGateKernels<T> gates_for(Isa isa) {
  return FASTNN_ISA_TABLE(T, isa, rnn_gates);
}

// One step's gate math over the batch rows; gates null: each thread writes
// its rows' gates over one row of `unkept`.
template <typename T>
void step_forward(const RnnShape& s, const T* xg, const T* hg, const T* h_prev, const T* c_prev, T* h, T* c_or_hn,
                  T* gates, T* unkept) {
  const auto row = gates_for<T>(active_isa()).forward[static_cast<int>(s.mode)];
  const int64_t B = s.B, H = s.H, G = s.G();
  parallel_ranges(B, G, kParallelMinElements, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      row(H, H, xg + b * G, nullptr, hg ? hg + b * G : nullptr, h_prev + b * H, c_prev ? c_prev + b * H : nullptr,
          h + b * H, c_or_hn + b * H, gates ? gates + b * G : unkept + thread_index() * G);
  });
}

// Hidden units [first, last) of `threads` nearly equal ranges, cut at
// multiples of 16 units (whole vectors of each gate's columns).
inline std::pair<int64_t, int64_t> units_of(int64_t H, int threads, int thread) {
  const int64_t blocks = (H + 15) / 16;
  return {std::min(H, blocks * thread / threads * 16), std::min(H, blocks * (thread + 1) / threads * 16)};
}

// Threads for a step of `work` multiply-adds over H hidden units.
inline int step_threads(double work, int64_t H) {
  constexpr double kParallelMinWork = 64.0 * 64 * 64;
  return work < kParallelMinWork ? 1 : int(std::min<int64_t>(max_threads(), (H + 15) / 16));
}

// RNN and LSTM over several steps, in one parallel region for the sequence.
// Step t is one product [h_prev x_t] @ [W_hh^T; W_ih^T] ((H + I) x G, laid
// out once) and the gate math. Each thread owns a range of hidden units: it
// computes those units' columns of every gate, their gate math over the
// batch, and its share of the next step's [h x] rows, then meets the others
// at one barrier. So no step reads what another core wrote in that step, and
// as a column's sum does not depend on the cut, the bits on any thread count
// are the same.
template <typename T>
void fused_forward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih, const T* w_hh,
                   const T* b_ih, const T* b_hh, T* y, T* extra, T* gates) {
  const int64_t B = s.B, H = s.H, I = s.I, G = s.G(), K = H + I, gate_count = rnn_gates(s.mode);
  const bool lstm = s.mode == RnnMode::lstm;
  const int64_t ld = padded_ld(G);  // rows padded so that they do not share cache sets when G is a power of two
  T* w_t = thread_scratch(ScratchSlot::op_weights).get<T>(ld * K);
  T* pre = thread_scratch(ScratchSlot::op_columns).get<T>(B * G);
  T* sides = thread_scratch(ScratchSlot::op_partials).get<T>(2 * B * K);  // [h x] of this step and the next
  std::vector<T> bias_sum;
  if (b_ih || b_hh) {
    bias_sum.resize(G);
    fill_rows(1, G, b_ih, b_hh, bias_sum.data());
  }
  const T* bias = bias_sum.empty() ? nullptr : bias_sum.data();
  const auto row = gates_for<T>(active_isa()).forward[static_cast<int>(s.mode)];
  PhasedTeam team(step_threads(double(B) * G * K, H));
  std::vector<T> unkept(gates ? 0 : team.threads() * G);  // a thread's row of gates when backward does not need them
  team.run([&](int thread) {
    const auto [u0, u1] = units_of(H, team.threads(), thread);
    const int64_t b0 = B * thread / team.threads(), b1 = B * (thread + 1) / team.threads();
    team.phase([&] {  // each thread lays out the weights it multiplies by, and its rows of the first [h x]
      for (int64_t g = 0; g < gate_count; ++g) {
        transpose(u1 - u0, H, w_hh + (g * H + u0) * H, H, w_t + g * H + u0, ld);
        transpose(u1 - u0, I, w_ih + (g * H + u0) * I, I, w_t + ld * H + g * H + u0, ld);
      }
      stack_rows(b1 - b0, H, I, h0 + b0 * H, x + step_at(s, 0) * B * I + b0 * I, sides + b0 * K, K);
    });
    for (int64_t i = 0; i < s.T; ++i) {
      const int64_t t = step_at(s, i), prev = step_at(s, i - 1);
      const T* side = sides + (i % 2) * B * K;
      T* next_side = sides + ((i + 1) % 2) * B * K;
      team.phase([&] {
        if (u1 > u0) {
          for (int64_t g = 0; g < gate_count; ++g)
            gemm<T>(false, false, B, u1 - u0, K, T(1), side, K, w_t + g * H + u0, ld, T(0), pre + g * H + u0, G, 1);
          const T* h_prev = i == 0 ? h0 : y + prev * B * H;
          const T* c_prev = !lstm ? nullptr : i == 0 ? c0 : extra + prev * B * H;
          for (int64_t b = 0; b < B; ++b) {
            T* h = y + (t * B + b) * H;
            T* kept = gates ? gates + (t * B + b) * G : unkept.data() + thread * G;
            row(u1 - u0, H, pre + b * G + u0, bias ? bias + u0 : nullptr, nullptr, h_prev + b * H + u0,
                c_prev ? c_prev + b * H + u0 : nullptr, h + u0, extra + (t * B + b) * H + u0, kept + u0);
            if (i + 1 < s.T) std::copy(h + u0, h + u1, next_side + b * K + u0);
          }
        }
        if (i + 1 < s.T)
          for (int64_t b = b0; b < b1; ++b) {
            const T* x_next = x + (step_at(s, i + 1) * B + b) * I;
            std::copy(x_next, x_next + I, next_side + b * K + H);
          }
      });
    }
  });
}

// The GRU, and any single step (a cell, whose weights are multiplied as they
// are). The GRU keeps W_hn h apart (r scales it): its input side is projected
// a chunk of steps at a time, as one GEMM just before the steps use it (a
// chunk fits in L2), and each step's GEMM fills the hidden side.
template <typename T>
void projected_forward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih, const T* w_hh,
                       const T* b_ih, const T* b_hh, T* y, T* extra, T* gates) {
  const int64_t B = s.B, H = s.H, G = s.G();
  const bool lstm = s.mode == RnnMode::lstm, gru = s.mode == RnnMode::gru;
  constexpr int64_t kChunkBytes = 512 * 1024;
  const bool several = s.T > 1;
  const int64_t chunk =
      std::clamp<int64_t>(kChunkBytes / std::max<int64_t>(B * G * int64_t(sizeof(T)), 1), 1, std::max<int64_t>(s.T, 1));
  const int64_t ld = padded_ld(G);
  T* xg = thread_scratch(ScratchSlot::op_columns).get<T>(std::max<int64_t>(chunk * B * G, 1));
  T* side = thread_scratch(ScratchSlot::op_partials).get<T>(std::max<int64_t>(gru ? B * G : 1, 1));
  T* w_t = nullptr;  // [W_hh^T; W_ih^T]
  if (several) {
    w_t = thread_scratch(ScratchSlot::op_weights).get<T>(ld * (H + s.I));
    transpose(G, H, w_hh, H, w_t, ld);
    transpose(G, s.I, w_ih, s.I, w_t + ld * H, ld);
  }
  std::vector<T> unkept(gates ? 0 : max_threads() * G);
  int64_t first_t = 0;  // the chunk's lowest step; xg row block k holds step first_t + k
  for (int64_t i = 0; i < s.T; ++i) {
    const int64_t t = step_at(s, i), prev = step_at(s, i - 1);
    const T* h_prev = i == 0 ? h0 : y + prev * B * H;
    const T* c_prev = !lstm ? nullptr : i == 0 ? c0 : extra + prev * B * H;
    if (i % chunk == 0) {  // the next chunk's steps, in time order whatever the direction
      const int64_t steps = std::min(chunk, s.T - i);
      first_t = s.reverse ? t - steps + 1 : t;
      fill_rows(steps * B, G, b_ih, gru ? nullptr : b_hh, xg);
      if (several)
        gemm<T>(false, false, steps * B, G, s.I, T(1), x + first_t * B * s.I, s.I, w_t + ld * H, ld, T(1), xg, G);
      else
        gemm<T>(false, true, steps * B, G, s.I, T(1), x + first_t * B * s.I, s.I, w_ih, s.I, T(1), xg, G);
    }
    T* pre = xg + (t - first_t) * B * G;
    T* hidden_side = gru ? side : pre;
    if (gru) fill_rows(B, G, b_hh, static_cast<const T*>(nullptr), side);
    if (several)
      gemm<T>(false, false, B, G, H, T(1), h_prev, H, w_t, ld, T(1), hidden_side, G);
    else
      gemm<T>(false, true, B, G, H, T(1), h_prev, H, w_hh, H, T(1), hidden_side, G);
    step_forward(s, pre, gru ? side : nullptr, h_prev, c_prev, y + t * B * H, extra + t * B * H,
                 gates ? gates + t * B * G : nullptr, unkept.data());
  }
}

}  // namespace

template <typename T>
void rnn_forward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih, const T* w_hh,
                 const T* b_ih, const T* b_hh, T* y, T* h_n, T* c_n, T* gates, T* extra) {
  const int64_t BH = s.B * s.H;
  if (s.T > 1 && s.mode != RnnMode::gru)
    fused_forward(s, x, h0, c0, w_ih, w_hh, b_ih, b_hh, y, extra, gates);
  else
    projected_forward(s, x, h0, c0, w_ih, w_hh, b_ih, b_hh, y, extra, gates);
  const T* h_last = s.T ? y + step_at(s, s.T - 1) * BH : h0;
  std::copy(h_last, h_last + BH, h_n);
  if (s.mode == RnnMode::lstm) {
    const T* c_last = s.T ? extra + step_at(s, s.T - 1) * BH : c0;
    std::copy(c_last, c_last + BH, c_n);
  }
}

template <typename T>
void rnn_backward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih, const T* w_hh,
                  const T* y, const T* gates, const T* extra, const T* dy, const T* dh_n, const T* dc_n, T* dx,
                  T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh) {
  const int64_t B = s.B, H = s.H, G = s.G(), TB = s.T * s.B, BH = B * H;
  const bool lstm = s.mode == RnnMode::lstm, gru = s.mode == RnnMode::gru;
  // dgx (T, B, G): input-side gate gradients of every step; for GRU also
  // dgh_all, the hidden side (for RNN and LSTM it is dgx); states (T, B, ld_s):
  // the state each step started from, for RNN and LSTM beside the step's input.
  // The weight gradients are then GEMMs over all T * B rows, instead of a thin
  // update per step: for RNN and LSTM one, dgx^T [h_prev x] ((G, H + I), split
  // into dW_hh and dW_ih after), so dgx is packed once.
  // Rows of dgx and dgh_all are padded: the per-step dh_prev product reads a
  // register tile's rows of gh at once, which at G a multiple of 1024 floats
  // would share one L1 set (the GEMM would copy them to padded rows each step).
  const int64_t ld_s = gru ? H : H + s.I, ld_g = padded_ld(G);
  T* dgx = thread_scratch(ScratchSlot::op_columns).get<T>(std::max<int64_t>(TB * ld_g, 1));
  T* saved = thread_scratch(ScratchSlot::op_weights).get<T>((gru ? TB * ld_g : G * ld_s) + TB * ld_s + 1);
  T* dgh_all = gru ? saved : dgx;
  T* dw_both = saved;  // RNN and LSTM: dgx^T [h_prev x]
  T* states = saved + (gru ? TB * ld_g : G * ld_s);
  T* work = thread_scratch(ScratchSlot::op_partials).get<T>(4 * BH + 1);
  T *dh = work, *dc = dh + BH, *dh_total = dc + BH, *dh_direct = dh_total + BH;
  // Steps back in one parallel region, each thread owning a range of hidden
  // units (as forward): their gate gradients over the batch, a barrier (the
  // next product needs every unit's), then their columns of dh_prev = gh W_hh,
  // which only that thread reads next. The same bits on any thread count.
  // The bias gradients are the gate gradients summed over every (t, b): each
  // thread adds its units' as it writes them, while they are in L1.
  const auto row = gates_for<T>(active_isa()).backward[static_cast<int>(s.mode)];
  const int64_t gate_count = rnn_gates(s.mode);
  PhasedTeam team(step_threads(double(B) * G * H, H));
  team.run([&](int thread) {
    const auto [u0, u1] = units_of(H, team.threads(), thread);
    auto add_units = [&, u0 = u0, u1 = u1](const T* gate_row, T* sums) {
      for (int64_t g = 0; g < gate_count; ++g)
        for (int64_t u = u0; u < u1; ++u) sums[g * H + u] += gate_row[g * H + u];
    };
    const int64_t r0 = TB * thread / team.threads(), r1 = TB * (thread + 1) / team.threads();
    team.work([&] {
      for (int64_t r = r0; r < r1; ++r) {  // row (t, b) of the states, in step t's [h_prev x_t]
        const int64_t t = r / B, b = r % B, i = step_at(s, t);
        const T* h_prev = i == 0 ? h0 + b * H : y + step_at(s, i - 1) * BH + b * H;
        stack_rows(1, H, s.I, h_prev, gru ? nullptr : x + r * s.I, states + r * ld_s, ld_s);
      }
      auto start = [&](const T* given, T* state) {  // this thread's units of the final state's gradient, or 0
        for (int64_t b = 0; b < B; ++b) {
          T* units = state + b * H + u0;
          if (given)
            std::copy(given + b * H + u0, given + b * H + u1, units);
          else
            std::fill(units, units + (u1 - u0), T(0));
        }
      };
      start(dh_n, dh);
      if (lstm) start(dc_n, dc);
      for (T* sums : {db_ih, gru ? db_hh : nullptr})
        if (sums)
          for (int64_t g = 0; g < gate_count; ++g) std::fill(sums + g * H + u0, sums + g * H + u1, T(0));
    });
    for (int64_t i = s.T - 1; i >= 0; --i) {
      const int64_t t = step_at(s, i), prev = step_at(s, i - 1);
      const T* h_prev = i == 0 ? h0 : y + prev * BH;
      const T* c_prev = !lstm ? nullptr : i == 0 ? c0 : extra + prev * BH;
      T* gx = dgx + t * B * ld_g;
      T* gh = dgh_all + t * B * ld_g;
      team.phase([&] {
        for (int64_t b = 0; b < B; ++b) {
          const int64_t at = t * BH + b * H;
          for (int64_t u = u0; u < u1; ++u) dh_total[b * H + u] = dy[at + u] + dh[b * H + u];
          row(u1 - u0, H, dh_total + b * H + u0, y + at + u0, h_prev + b * H + u0, extra + at + u0,
              c_prev ? c_prev + b * H + u0 : nullptr, gates + (t * B + b) * G + u0, dc + b * H + u0,
              gx + b * ld_g + u0, gru ? gh + b * ld_g + u0 : nullptr, dh_direct + b * H + u0);
          if (db_ih) add_units(gx + b * ld_g, db_ih);
          if (db_hh && gru) add_units(gh + b * ld_g, db_hh);
        }
      });
      team.work([&] {
        if (u1 == u0) return;
        gemm<T>(false, false, B, u1 - u0, G, T(1), gh, ld_g, w_hh + u0, H, T(0), dh + u0, H, 1);  // dh_prev = gh W_hh
        if (gru)
          for (int64_t b = 0; b < B; ++b)
            for (int64_t u = u0; u < u1; ++u) dh[b * H + u] += dh_direct[b * H + u];
      });
    }
  });
  if (gru) {
    gemm<T>(true, false, G, H, TB, T(1), dgh_all, ld_g, states, H, T(0), dw_hh, H);  // dW_hh = gh^T h_prev
    gemm<T>(true, false, G, s.I, TB, T(1), dgx, ld_g, x, s.I, T(0), dw_ih, s.I);      // dW_ih = dgx^T x
  } else {
    gemm<T>(true, false, G, ld_s, TB, T(1), dgx, ld_g, states, ld_s, T(0), dw_both, ld_s);
    for (int64_t g = 0; g < G; ++g) {
      std::copy(dw_both + g * ld_s, dw_both + g * ld_s + H, dw_hh + g * H);
      std::copy(dw_both + g * ld_s + H, dw_both + (g + 1) * ld_s, dw_ih + g * s.I);
    }
  }
  std::copy(dh, dh + BH, dh0);
  if (lstm) std::copy(dc, dc + BH, dc0);
  gemm<T>(false, false, TB, s.I, G, T(1), dgx, ld_g, w_ih, s.I, T(0), dx, s.I);  // dx = dgx W_ih
  if (db_hh && !gru) std::copy(db_ih, db_ih + G, db_hh);  // both biases enter as one sum: the same gradient
}

#define FASTNN_INSTANTIATE_RNN(T)                                                                         \
  template void rnn_forward<T>(const RnnShape&, const T*, const T*, const T*, const T*, const T*, const T*, \
                               const T*, T*, T*, T*, T*, T*);                                             \
  template void rnn_backward<T>(const RnnShape&, const T*, const T*, const T*, const T*, const T*,         \
                                const T*, const T*, const T*, const T*, const T*, const T*, T*, T*, T*,   \
                                T*, T*, T*, T*);
FASTNN_INSTANTIATE_RNN(float)
FASTNN_INSTANTIATE_RNN(double)

}  // namespace fastnn
