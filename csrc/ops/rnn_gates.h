#pragma once
// The per-row gate math of the recurrent layers, one table per ISA (each
// compiled with its own flags in its own namespace) and dtype, indexed by
// RnnMode. Pointers are offset to one batch row; H is the hidden size.
#include <cstdint>

#include "core/cpu.h"

#include "ops/rnn.h"

namespace fastnn {

template <typename T>
struct RnnGateKernels {
  // Units [0, n) of one row, gate k of unit j at offset k * H + j. ax: the
  // pre-activations, for RNN and LSTM both sides (and both biases, unless
  // `bias`, their sum, is given to add here); for the GRU only the input
  // side, ah (null otherwise) the hidden side. Writes h, the LSTM cell (GRU:
  // W_hn h + b_hn) and the gates.
  void (*forward[4])(int64_t n, int64_t H, const T* ax, const T* bias, const T* ah, const T* h_prev, const T* c_prev,
                     T* h, T* c_or_hn, T* gates);
  // Units [0, n), laid out as forward's: from dh (and the LSTM's running dc,
  // updated in place) to the input-side and hidden-side pre-activation
  // gradients and the GRU's direct dh_prev.
  void (*backward[4])(int64_t n, int64_t H, const T* dh, const T* h, const T* h_prev, const T* c, const T* c_prev,
                      const T* gates, T* dc, T* gx, T* gh, T* dh_direct);
};

FASTNN_DECLARE_ISA_TABLES(RnnGateKernels, rnn_gates)

}  // namespace fastnn
