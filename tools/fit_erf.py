"""Fits the float erf of csrc/ops/fast_math.h and reports its error.

erf(x) = x * P(x^2) for |x| < SPLIT, and 1 - exp(-x^2) * Q(s) above, with
s = (|x| - MID) / HALF running over [-1, 1] (|x| clamped to 4, where erf is
1.0f; no division): least squares in relative error on
Chebyshev nodes, reweighted towards the largest errors (minimax-like), in
float64; then the coefficients are rounded to float32 and the approximation is
evaluated in float32 (Horner, as the C++ does) against math.erf.

    python tools/fit_erf.py
"""
import math

import numpy as np

SPLIT, SMALL_DEGREE, LARGE_DEGREE, CLAMP = 0.9, 5, 10, 4.0
MID, HALF = (CLAMP + SPLIT) / 2, (CLAMP - SPLIT) / 2


def chebyshev_nodes(lo, hi, n=4000):
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


def erf_float(x, small, large):
    a = np.abs(x)
    clamped = np.minimum(a, np.float32(CLAMP))
    below = a * horner(small, a * a)
    scaled = (clamped - np.float32(MID)) * np.float32(1 / HALF)
    above = np.float32(1) - np.exp(-(clamped * clamped)) * horner(large, scaled)
    return np.copysign(np.where(a < np.float32(SPLIT), below, above), x)


def main():
    erf, erfc = np.vectorize(math.erf), np.vectorize(math.erfc)
    x = chebyshev_nodes(1e-4, SPLIT)
    small = fit(x * x, erf(x) / x, SMALL_DEGREE)
    x = chebyshev_nodes(SPLIT, CLAMP)
    large = fit((x - MID) / HALF, erfc(x) * np.exp(x * x), LARGE_DEGREE)
    shift, scale = (np.format_float_scientific(np.float32(v), unique=True) for v in (MID, 1 / HALF))
    print(f"s = (|x| - {shift}f) * {scale}f")
    for name, coeffs in (("P (in x^2)", small), ("Q (in s)", large)):
        print(name, ", ".join(np.format_float_scientific(c, unique=True) + "f" for c in coeffs))
    xs = np.linspace(-6, 6, 2_000_001, dtype=np.float32)
    want = erf(xs.astype(np.float64))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        err = np.abs(erf_float(xs, small, large).astype(np.float64) - want)
    ulps = err / np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    print(f"max abs error {err.max():.3g}, max {ulps.max():.2f} ulp (x = {xs[ulps.argmax()]:.4f})")


if __name__ == "__main__":
    main()
