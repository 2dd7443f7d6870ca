#include "ops/rnn.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <type_traits>
#include <vector>

#include "core/cpu.h"
#include "core/parallel.h"
#include "core/scratch.h"
#include "gemm/gemm.h"
#include "ops/reduce.h"
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

// One step's gate math over the batch rows.
template <typename T>
void step_forward(const RnnShape& s, const T* xg, const T* bias, const T* hg, const T* h_prev, const T* c_prev, T* h,
                  T* c_or_hn, T* gates) {
  const auto row = gates_for<T>(active_isa()).forward[static_cast<int>(s.mode)];
  const int64_t B = s.B, H = s.H, G = s.G();
  parallel_ranges(B, G, kParallelMinElements, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      row(H, xg + b * G, bias, hg ? hg + b * G : nullptr, h_prev + b * H, c_prev ? c_prev + b * H : nullptr,
          h + b * H, c_or_hn + b * H, gates + b * G);
  });
}

// One step backward over the batch rows. For RNN and LSTM the hidden-side
// gradients equal the input-side ones (gh is gx); GRU writes both.
template <typename T>
void step_backward(const RnnShape& s, const T* dh, const T* h, const T* h_prev, const T* c, const T* c_prev,
                   const T* gates, T* dc, T* dgx, T* dgh, T* dh_direct) {
  const auto row = gates_for<T>(active_isa()).backward[static_cast<int>(s.mode)];
  const int64_t B = s.B, H = s.H, G = s.G();
  const bool gru = s.mode == RnnMode::gru;
  parallel_ranges(B, G, kParallelMinElements, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      row(H, dh + b * H, h + b * H, h_prev + b * H, c + b * H, c_prev ? c_prev + b * H : nullptr, gates + b * G,
          dc + b * H, dgx + b * G, gru ? dgh + b * G : nullptr, dh_direct + b * H);
  });
}

}  // namespace

template <typename T>
void rnn_forward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih, const T* w_hh,
                 const T* b_ih, const T* b_hh, T* y, T* h_n, T* c_n, T* gates, T* extra) {
  const int64_t B = s.B, H = s.H, G = s.G();
  const bool lstm = s.mode == RnnMode::lstm, gru = s.mode == RnnMode::gru;
  // Over several steps [W_hh^T; W_ih^T] ((H + I) x G) is laid out once, rows
  // padded so that they do not all fall into the same cache sets when G is a
  // power of two; a single step (a cell) multiplies by the weights as they are.
  // RNN and LSTM then run each step as one GEMM, [h_prev x_t] times that
  // matrix, a sum over H + I (measured ~7% faster than projecting the inputs
  // of a chunk of steps apart), the biases added by the gate math. The GRU
  // keeps W_hn h apart (r scales it): its input side is projected a chunk of
  // steps at a time, as one GEMM just before the steps use it (a chunk fits in
  // L2), and each step's GEMM fills the hidden side.
  constexpr int64_t kChunkBytes = 512 * 1024;
  const bool several = s.T > 1, fused = several && !gru;
  const int64_t chunk = fused ? 1
                              : std::clamp<int64_t>(kChunkBytes / std::max<int64_t>(B * G * int64_t(sizeof(T)), 1), 1,
                                                    std::max<int64_t>(s.T, 1));
  const int64_t ld = padded_ld(G), K = H + s.I;
  T* xg = thread_scratch(ScratchSlot::op_columns).get<T>(std::max<int64_t>(chunk * B * G, 1));
  T* side = thread_scratch(ScratchSlot::op_partials).get<T>(std::max<int64_t>(fused ? B * K : gru ? B * G : 1, 1));
  T* w_t = nullptr;  // [W_hh^T; W_ih^T]
  std::vector<T> bias_sum;  // fused steps: b_ih + b_hh, added by the gate math (no per-step fill)
  if (fused && (b_ih || b_hh)) {
    bias_sum.resize(G);
    fill_rows(1, G, b_ih, b_hh, bias_sum.data());
  }
  if (several) {
    w_t = thread_scratch(ScratchSlot::op_weights).get<T>(ld * K);
    transpose(G, H, w_hh, H, w_t, ld);
    transpose(G, s.I, w_ih, s.I, w_t + ld * H, ld);
  }
  int64_t first_t = 0;  // the GRU chunk's lowest step; xg row block k holds step first_t + k
  for (int64_t i = 0; i < s.T; ++i) {
    const int64_t t = step_at(s, i), prev = step_at(s, i - 1);
    const T* h_prev = i == 0 ? h0 : y + prev * B * H;
    const T* c_prev = !lstm ? nullptr : i == 0 ? c0 : extra + prev * B * H;
    const T* x_t = x + t * B * s.I;
    T* pre = xg;  // this step's pre-activations (the GRU's input side)
    if (fused) {
      stack_rows(B, H, s.I, h_prev, x_t, side, K);
      gemm<T>(false, false, B, G, K, T(1), side, K, w_t, ld, T(0), pre, G);
    } else {
      if (i % chunk == 0) {  // the next chunk's steps, in time order whatever the direction
        const int64_t steps = std::min(chunk, s.T - i);
        first_t = s.reverse ? t - steps + 1 : t;
        fill_rows(steps * B, G, b_ih, gru ? nullptr : b_hh, xg);
        if (several)
          gemm<T>(false, false, steps * B, G, s.I, T(1), x + first_t * B * s.I, s.I, w_t + ld * H, ld, T(1), xg, G);
        else
          gemm<T>(false, true, steps * B, G, s.I, T(1), x + first_t * B * s.I, s.I, w_ih, s.I, T(1), xg, G);
      }
      pre = xg + (t - first_t) * B * G;
      T* hidden_side = gru ? side : pre;
      if (gru) fill_rows(B, G, b_hh, static_cast<const T*>(nullptr), side);
      if (several)
        gemm<T>(false, false, B, G, H, T(1), h_prev, H, w_t, ld, T(1), hidden_side, G);
      else
        gemm<T>(false, true, B, G, H, T(1), h_prev, H, w_hh, H, T(1), hidden_side, G);
    }
    step_forward(s, pre, bias_sum.empty() ? nullptr : bias_sum.data(), gru ? side : nullptr, h_prev, c_prev,
                 y + t * B * H, extra + t * B * H, gates + t * B * G);
  }
  const int64_t last = step_at(s, s.T - 1);
  std::copy(s.T ? y + last * B * H : h0, (s.T ? y + last * B * H : h0) + B * H, h_n);
  if (lstm) std::copy(s.T ? extra + last * B * H : c0, (s.T ? extra + last * B * H : c0) + B * H, c_n);
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
  const int64_t ld_s = gru ? H : H + s.I;
  T* dgx = thread_scratch(ScratchSlot::op_columns).get<T>(std::max<int64_t>(TB * G, 1));
  T* saved = thread_scratch(ScratchSlot::op_weights).get<T>((gru ? TB * G : G * ld_s) + TB * ld_s + 1);
  T* dgh_all = gru ? saved : dgx;
  T* dw_both = saved;  // RNN and LSTM: dgx^T [h_prev x]
  T* states = saved + (gru ? TB * G : G * ld_s);
  T* work = thread_scratch(ScratchSlot::op_partials).get<T>(4 * BH + 1);
  T *dh = work, *dc = dh + BH, *dh_total = dc + BH, *dh_direct = dh_total + BH;
  if (dh_n) std::copy(dh_n, dh_n + BH, dh); else std::fill(dh, dh + BH, T(0));
  if (lstm) {
    if (dc_n) std::copy(dc_n, dc_n + BH, dc); else std::fill(dc, dc + BH, T(0));
  }
  for (int64_t i = s.T - 1; i >= 0; --i) {
    const int64_t t = step_at(s, i), prev = step_at(s, i - 1);
    const T* h_prev = i == 0 ? h0 : y + prev * BH;
    const T* c_prev = !lstm ? nullptr : i == 0 ? c0 : extra + prev * BH;
    stack_rows(B, H, s.I, h_prev, gru ? nullptr : x + t * B * s.I, states + t * B * ld_s, ld_s);
    for (int64_t k = 0; k < BH; ++k) dh_total[k] = dy[t * BH + k] + dh[k];
    T* gx = dgx + t * B * G;
    T* gh = dgh_all + t * B * G;
    step_backward(s, dh_total, y + t * BH, h_prev, extra + t * BH, c_prev, gates + t * B * G, dc, gx, gh,
                  dh_direct);
    gemm<T>(false, false, B, H, G, T(1), gh, G, w_hh, H, T(0), dh, H);  // dh_prev = gh W_hh
    if (gru)
      for (int64_t k = 0; k < BH; ++k) dh[k] += dh_direct[k];
  }
  if (gru) {
    gemm<T>(true, false, G, H, TB, T(1), dgh_all, G, states, H, T(0), dw_hh, H);  // dW_hh = gh^T h_prev
    gemm<T>(true, false, G, s.I, TB, T(1), dgx, G, x, s.I, T(0), dw_ih, s.I);      // dW_ih = dgx^T x
  } else {
    gemm<T>(true, false, G, ld_s, TB, T(1), dgx, G, states, ld_s, T(0), dw_both, ld_s);
    for (int64_t g = 0; g < G; ++g) {
      std::copy(dw_both + g * ld_s, dw_both + g * ld_s + H, dw_hh + g * H);
      std::copy(dw_both + g * ld_s + H, dw_both + (g + 1) * ld_s, dw_ih + g * s.I);
    }
  }
  std::copy(dh, dh + BH, dh0);
  if (lstm) std::copy(dc, dc + BH, dc0);
  gemm<T>(false, false, TB, s.I, G, T(1), dgx, G, w_ih, s.I, T(0), dx, s.I);  // dx = dgx W_ih
  if (db_ih) column_sums(TB, G, db_ih, [&](int64_t r, int64_t c) { return dgx[r * G + c]; });
  if (db_hh && gru)
    column_sums(TB, G, db_hh, [&](int64_t r, int64_t c) { return dgh_all[r * G + c]; });
  else if (db_hh)  // both biases enter as one sum: the same gradient
    std::copy(db_ih, db_ih + G, db_hh);
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
