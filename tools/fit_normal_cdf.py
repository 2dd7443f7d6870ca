"""Fits the float normal CDF of csrc/ops/fast_math.h (GELU's Phi) and reports its error.

Phi(-a) = erfc(a / sqrt(2)) / 2 = exp(-a^2 / 2) * t * Q(t) with
t = 1 / (1 + P * a), a = |x|, and Phi(x) = 1 - Phi(-x) for x >= 0: one formula over the
whole line, no cancellation in the lower tail, and exp(-x^2 / 2) is GELU's
derivative's Gaussian too. Q: least squares in relative error on Chebyshev
nodes of t, reweighted towards the largest errors (minimax-like), in float64;
then rounded to float32 and evaluated in float32 (Horner, as the C++ does)
against math.erfc.

    python tools/fit_normal_cdf.py
"""
import math

import numpy as np

DEGREE, FIT_UP_TO = 7, 14.0  # Phi(-14) is below float's smallest normal
P = np.float32(0.33 / math.sqrt(2))  # 0.33 in terms of a / sqrt(2): chosen by a scan of the fit's error


def chebyshev_nodes(lo, hi, n=6000):
    k = np.arange(n)
    return (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (k + 0.5) / n)


def fit(u, f, degree, rounds=40):
    """Polynomial coefficients (constant first) of f(u), relative error near minimax."""
    v = np.vander(u, degree + 1, increasing=True)
    weight = 1 / np.abs(f)
    for _ in range(rounds):
        coeffs = np.linalg.lstsq(v * weight[:, None], f * weight, rcond=None)[0]
        err = np.abs(v @ coeffs - f) / np.abs(f)
        weight = weight * (1 + 10 * err / err.max())
    return coeffs.astype(np.float32)


def horner(coeffs, u):
    r = coeffs[-1]
    for c in coeffs[-2::-1]:
        r = r * u + c
    return r


def normal_cdf_float(x, q):
    f32 = np.float32
    a = np.abs(x)
    t = f32(1) / (f32(1) + P * a)
    lower_tail = np.exp(f32(-0.5) * (a * a)) * t * horner(q, t)
    return np.where(x < 0, lower_tail, f32(1) - lower_tail)


def main():
    erfc = np.vectorize(math.erfc)
    t = chebyshev_nodes(1 / (1 + float(P) * FIT_UP_TO), 1.0)
    a = (1 / t - 1) / float(P)
    q = fit(t, 0.5 * erfc(a / math.sqrt(2)) * np.exp(a * a / 2) / t, DEGREE)
    print("P", np.format_float_scientific(P, unique=True) + "f")
    print("Q (in t)", ", ".join(np.format_float_scientific(c, unique=True) + "f" for c in q))
    xs = np.linspace(-13, 13, 2_600_001, dtype=np.float32)
    wide = xs.astype(np.float64)
    want = 0.5 * erfc(-wide / math.sqrt(2))
    got = normal_cdf_float(xs, q).astype(np.float64)
    ulps = np.abs(got - want) / np.spacing(want.astype(np.float32)).astype(np.float64)
    gelu = np.abs(wide * got - wide * want) / np.maximum(np.abs(wide), 1)
    print(f"Phi: max relative error {np.max(np.abs(got - want) / want):.3g}, {ulps.max():.1f} ulp "
          f"(x = {xs[ulps.argmax()]:.4f}; {ulps[np.abs(xs) < 3].max():.1f} ulp for |x| < 3); "
          f"GELU: max |error| / max(|x|, 1) {gelu.max():.3g}")


if __name__ == "__main__":
    main()
