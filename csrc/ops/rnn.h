#pragma once
// Recurrent layers (Elman RNN with tanh or ReLU, LSTM, GRU): one layer in one
// direction over a whole time-major sequence, forward and backward through
// time, with PyTorch's gate order (LSTM i, f, g, o; GRU r, z, n) and its GRU
// form n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
//
// RNN and LSTM run each step as one GEMM [h_prev x_t] @ [W_hh^T; W_ih^T] and
// the gate math; the GRU projects its inputs a chunk of steps at a time and
// runs h @ W_hh^T per step. Over a sequence the threads split the hidden
// units, in one parallel region. Backward runs dh_prev = dgates W_hh step by
// step (the same split), then the weight gradients and the input gradient as
// GEMMs over all steps. Every sum has a fixed order: the same bits for any
// thread count.
#include <cstdint>

namespace fastnn {

enum class RnnMode { tanh = 0, relu = 1, lstm = 2, gru = 3 };

inline int rnn_gates(RnnMode mode) { return mode == RnnMode::lstm ? 4 : mode == RnnMode::gru ? 3 : 1; }

struct RnnShape {
  int64_t T, B, I, H;  // steps, batch, input features, hidden features
  RnnMode mode;
  bool reverse;        // run from the last step to the first
  int64_t G() const { return rnn_gates(mode) * H; }  // rows of W_ih / W_hh
};

// What forward keeps for backward.
//   gates (T, B, G): activated gates (LSTM i f g o, GRU r z n; RNN: unused),
//     or null when no backward follows
//   extra (T, B, H): LSTM cell states c_t; GRU W_hn h_{t-1} + b_hn; RNN: unused
// x (T, B, I); h0, c0 (B, H) (c0 only for LSTM); w_ih (G, I); w_hh (G, H);
// biases (G) or null. Writes y (T, B, H), h_n (B, H) and, for LSTM, c_n.
template <typename T>
void rnn_forward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih, const T* w_hh,
                 const T* b_ih, const T* b_hh, T* y, T* h_n, T* c_n, T* gates, T* extra);

// Gradients given dy (T, B, H) and, optionally (null = zero), dh_n and dc_n.
// Writes dx, dh0, dc0 (LSTM), dw_ih, dw_hh and, when not null, db_ih and db_hh (both or neither).
template <typename T>
void rnn_backward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih, const T* w_hh,
                  const T* y, const T* gates, const T* extra, const T* dy, const T* dh_n, const T* dc_n, T* dx,
                  T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh);

}  // namespace fastnn
