// The gate math of one batch row, written once and compiled per ISA (like the
// GEMM micro-kernels): included only by ops/rnn_gates_<isa>.cpp after they
// define FASTNN_ISA_NAMESPACE, so each ISA's copy lives in its own namespace
// and is compiled with its own flags.
#include <cstdint>

#include "ops/fast_math.h"
#include "ops/rnn_gates.h"

namespace fastnn {
namespace FASTNN_ISA_NAMESPACE {
namespace {

// One batch row of gate math, on pointers already offset to that row. The
// mode is a template parameter and every pointer __restrict, so that the loop
// over j is one straight body the compiler vectorises.
template <typename T, RnnMode Mode, bool kBias>
void gate_row_with(int64_t n, int64_t H, const T* __restrict ax, const T* __restrict bias, const T* __restrict ah,
                   const T* __restrict h_prev, const T* __restrict c_prev, T* __restrict h, T* __restrict c_or_hn,
                   T* __restrict g) {
  auto pre = [&](int64_t k) { return kBias ? ax[k] + bias[k] : ax[k]; };
  for (int64_t j = 0; j < n; ++j) {
    if (Mode == RnnMode::tanh) {
      h[j] = tanh_fast(pre(j));
    } else if (Mode == RnnMode::relu) {
      const T a = pre(j);
      h[j] = (a > T(0)) | (a != a) ? a : T(0);
    } else if (Mode == RnnMode::lstm) {
      const T i = sigmoid_fast(pre(j)), f = sigmoid_fast(pre(H + j));
      const T gg = tanh_fast(pre(2 * H + j)), o = sigmoid_fast(pre(3 * H + j));
      const T c = f * c_prev[j] + i * gg;
      g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
      c_or_hn[j] = c;
      h[j] = o * tanh_fast(c);
    } else {  // GRU
      const T r = sigmoid_fast(ax[j] + ah[j]), z = sigmoid_fast(ax[H + j] + ah[H + j]);
      const T hn = ah[2 * H + j];  // W_hn h + b_hn
      const T n = tanh_fast(ax[2 * H + j] + r * hn);
      g[j] = r, g[H + j] = z, g[2 * H + j] = n;
      c_or_hn[j] = hn;
      h[j] = (T(1) - z) * n + z * h_prev[j];
    }
  }
}

template <typename T, RnnMode Mode>
void gate_row(int64_t n, int64_t H, const T* ax, const T* bias, const T* ah, const T* h_prev, const T* c_prev, T* h,
              T* c_or_hn, T* g) {
  if (bias)
    gate_row_with<T, Mode, true>(n, H, ax, bias, ah, h_prev, c_prev, h, c_or_hn, g);
  else
    gate_row_with<T, Mode, false>(n, H, ax, bias, ah, h_prev, c_prev, h, c_or_hn, g);
}

// One step backward: from dh (gradient of this step's output state, both from
// the output and from the next step) and, for LSTM, dc, to the pre-activation
// gradients of the input side (dgx) and the hidden side (dgh), the direct
// gradient to h_prev (GRU: z * dh) and, for LSTM, dc for the previous step.
template <typename T, RnnMode Mode>
void gate_row_backward(int64_t n, int64_t H, const T* __restrict dh, const T* __restrict h, const T* __restrict h_prev,
                       const T* __restrict c, const T* __restrict c_prev, const T* __restrict g, T* __restrict dc,
                       T* __restrict gx, T* __restrict gh, T* __restrict dh_direct) {
  for (int64_t j = 0; j < n; ++j) {
    if (Mode == RnnMode::tanh) {
      gx[j] = dh[j] * (T(1) - h[j] * h[j]);
    } else if (Mode == RnnMode::relu) {
      const T grad = dh[j];
      gx[j] = h[j] > T(0) ? grad : T(0);
    } else if (Mode == RnnMode::lstm) {
      const T i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
      const T tc = tanh_fast(c[j]);
      const T dct = dc[j] + dh[j] * o * (T(1) - tc * tc);
      const T di = dct * gg, df = dct * c_prev[j], dg = dct * i, d_o = dh[j] * tc;
      gx[j] = di * i * (T(1) - i);
      gx[H + j] = df * f * (T(1) - f);
      gx[2 * H + j] = dg * (T(1) - gg * gg);
      gx[3 * H + j] = d_o * o * (T(1) - o);
      dc[j] = dct * f;
    } else {  // GRU: the hidden side of n is scaled by r
      const T r = g[j], z = g[H + j], n = g[2 * H + j], hn = c[j];
      const T dn = dh[j] * (T(1) - z), dz = dh[j] * (h_prev[j] - n);
      const T dan = dn * (T(1) - n * n);
      const T dar = dan * hn * r * (T(1) - r), daz = dz * z * (T(1) - z);
      gx[j] = gh[j] = dar;
      gx[H + j] = gh[H + j] = daz;
      gx[2 * H + j] = dan;
      gh[2 * H + j] = dan * r;
      dh_direct[j] = dh[j] * z;
    }
  }
}

template <typename T, RnnMode... Modes>
RnnGateKernels<T> make_gate_kernels() {
  RnnGateKernels<T> k{};
  ((k.forward[static_cast<int>(Modes)] = &gate_row<T, Modes>), ...);
  ((k.backward[static_cast<int>(Modes)] = &gate_row_backward<T, Modes>), ...);
  return k;
}

template <typename T>
RnnGateKernels<T> gate_kernels() {
  return make_gate_kernels<T, RnnMode::tanh, RnnMode::relu, RnnMode::lstm, RnnMode::gru>();
}

}  // namespace

RnnGateKernels<float> rnn_gates_f32() { return gate_kernels<float>(); }
RnnGateKernels<double> rnn_gates_f64() { return gate_kernels<double>(); }

}  // namespace FASTNN_ISA_NAMESPACE
}  // namespace fastnn
