#pragma once
// Branch-free exp, erf, sigmoid and tanh for float that the compiler can
// vectorise (libm's expf/erff/tanhf are scalar calls): Cody-Waite range reduction and the
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

// erf(x), within 2.4 ulp (1.3e-7): x * P(x^2) below 0.9, else
// 1 - exp(-x^2) * Q(s) with s = (|x| - 2.45) / 1.55 over [-1, 1] (|x| clamped
// to 4: erf is 1.0f from 3.92 on), both computed and one selected, with no
// division, so loops over it vectorise. The coefficients are fitted by
// tools/fit_erf.py.
inline float erf_fast(float x) {
  const float a = std::fabs(x);
  const float t = a * a;
  const float below =
      a * (((((-6.090465e-04f * t + 5.0119865e-03f) * t - 2.6778929e-02f) * t + 1.12821415e-01f) * t - 3.7612525e-01f) *
               t + 1.1283791e+00f);
  const float c = a > 4.0f ? 4.0f : a;  // a NaN fails the test and stays NaN
  const float u = (c - 2.45f) * 0.6451613f;
  const float q =
      (((((((((1.4741565e-04f * u - 3.8770627e-04f) * u + 5.5638346e-04f) * u - 1.2611272e-03f) * u + 3.2413849e-03f) *
               u - 7.2252913e-03f) * u + 1.5345269e-02f) * u - 3.169257e-02f) * u + 6.288796e-02f) * u - 1.1919933e-01f) *
          u + 2.145871e-01f;
  const float above = 1.0f - exp_nonpositive(-(c * c)) * q;
  return std::copysign(a < 0.9f ? below : above, x);
}

inline float sigmoid_fast(float a) { return 1.0f / (1.0f + exp_fast(-a)); }
inline double sigmoid_fast(double a) { return 1.0 / (1.0 + std::exp(-a)); }

// tanh(a) = 1 - 2 / (1 + exp(2a)): exact at +-inf, absolute error ~1e-7 near 0.
inline float tanh_fast(float a) { return 1.0f - 2.0f / (1.0f + exp_fast(2.0f * a)); }
inline double tanh_fast(double a) { return std::tanh(a); }

}  // namespace
}  // namespace fastnn
