#pragma once
// Scaled dot-product attention, flash style: each tile of queries meets the
// keys tile by tile with an online softmax (running maximum and sum), so the
// Lq x Lk score matrix never exists. Forward keeps each query row's
// log-sum-exp; backward recomputes each tile's probabilities from it.
//
// `heads` independent slices (batch x heads flattened): q (lq, e), k (lk, e),
// v (lk, ev), out (lq, ev), lse (lq). A query row with no allowed key gets a
// zero output (as PyTorch) and lse = +inf, which gives it zero gradients.
#include <cstdint>

namespace fastnn {

struct AttentionDims {
  int64_t heads, lq, lk, e, ev;
};

// An additive mask (-inf where attention is not allowed), broadcast over
// heads by plane_offsets (head h reads the plane starting at
// values + plane_offsets[h]) and over query rows by row_stride = 0.
template <typename T>
struct AttentionMask {
  const T* values = nullptr;  // null: no mask
  const int64_t* plane_offsets = nullptr;
  int64_t row_stride = 0;
};

// causal: query i sees keys j <= i (top-left aligned when lq != lk).
template <typename T>
void attention_forward(const AttentionDims& d, const T* q, const T* k, const T* v, const AttentionMask<T>& mask,
                       bool causal, T scale, T* out, T* lse);

// dq, dk, dv are overwritten. Each head is one thread's work, summed in one
// order, so any thread count gives bitwise-equal gradients.
template <typename T>
void attention_backward(const AttentionDims& d, const T* q, const T* k, const T* v, const AttentionMask<T>& mask,
                        bool causal, T scale, const T* out, const T* lse, const T* dout, T* dq, T* dk, T* dv);

}  // namespace fastnn
