#pragma once
// Branch-free exp, normal CDF, sigmoid and tanh for float that the compiler can
// vectorise (libm's expf/erfcf/tanhf are scalar calls): Cody-Waite range reduction and the
// Cephes polynomial, within ~2 ulp of expf. Double keeps libm: it is the
// gradcheck dtype, where accuracy matters more than speed.
#include <cmath>
#include <cstdint>
#include <cstring>

namespace fastnn {
// Internal linkage: each translation unit (each ISA's file) keeps its own copy,
// compiled with its own flags; the linker never merges them across ISAs.
namespace {

inline float exp_fast(float x) {
  x = x > 88.3762626647949f ? 88.3762626647949f : x;  // a NaN fails both tests and stays
  x = x < -87.3365447504f ? -87.3365447504f : x;
  // Round x / ln2 to the nearest integer by adding and removing 1.5 * 2^23:
  // no floor() call, which baseline x86-64 cannot vectorise.
  const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - k * 0.693359375f) - k * -2.12194440e-4f;  // NaN for NaN: the result's NaN
  const float p = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
                     1.6666665459e-1f) * r + 5.0000001201e-1f) * r * r + r) + 1.0f;
  const float k_finite = k == k ? k : 0.0f;  // float-to-int of NaN is undefined
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(k_finite) + 127) << 23;  // 2^k
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// exp(x) for x <= 0 (a row minus its maximum, in a softmax): the same
// polynomial without the upper clamp, and 0 below exp's smallest normal
// result (-inf included) instead of a clamp.
inline float exp_nonpositive(float x) {
  const float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - k * 0.693359375f) - k * -2.12194440e-4f;
  const float p = ((((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r + 4.1665795894e-2f) * r +
                     1.6666665459e-1f) * r + 5.0000001201e-1f) * r * r + r) + 1.0f;
  const float k_finite = x >= -87.3365447504f ? k : 0.0f;  // float-to-int of NaN or huge values is undefined
  const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(k_finite) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return x < -87.3365447504f ? 0.0f : p * scale;  // a NaN fails the test and stays NaN through p
}

// The standard normal CDF Phi(x) and exp(-x^2 / 2) (GELU's value and
// derivative). Phi(-a) = erfc(a / sqrt(2)) / 2 = exp(-a^2 / 2) t Q(t) with
// t = 1 / (1 + P a), a = |x|, and Phi(x) = 1 - Phi(-x) for x >= 0: one
// formula over the whole line (no branch computed twice when the loop is
// vectorised), exact 0 and 1 at -inf and inf, and the lower tail keeps its
// relative precision (4e-6; 9 ulp for |x| < 3). P and Q are fitted by
// tools/fit_normal_cdf.py.
template <typename T>
struct NormalCdf {
  T cdf, gaussian;
};
inline NormalCdf<float> normal_cdf_fast(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f / (1.0f + 2.3334524e-01f * a);  // 0 at inf; NaN stays NaN
  const float q = ((((((-6.7763336e-02f * t + 2.3049892e-01f) * t - 1.7624027e-01f) * t + 2.0487657e-01f) * t +
                     2.3268083e-02f) * t + 1.0072017e-01f) * t + 9.1459654e-02f) * t + 9.318018e-02f;
  const float gaussian = exp_nonpositive(-0.5f * (a * a));
  const float lower_tail = gaussian * t * q;
  return {x < 0.0f ? lower_tail : 1.0f - lower_tail, gaussian};
}
inline NormalCdf<double> normal_cdf_fast(double x) {
  return {0.5 * std::erfc(-x * 0.70710678118654752440), std::exp(-0.5 * x * x)};
}

inline float sigmoid_fast(float a) { return 1.0f / (1.0f + exp_fast(-a)); }
inline double sigmoid_fast(double a) { return 1.0 / (1.0 + std::exp(-a)); }

// tanh(a) = 1 - 2 / (1 + exp(2a)): exact at +-inf, absolute error ~1e-7 near 0.
inline float tanh_fast(float a) { return 1.0f - 2.0f / (1.0f + exp_fast(2.0f * a)); }
inline double tanh_fast(double a) { return std::tanh(a); }

}  // namespace
}  // namespace fastnn
