"""matmul: fastnn vs NumPy (OpenBLAS) vs PyTorch, float32 and float64, user-facing
calls (Python overhead included), GFLOP/s, percent of peak, error vs float64."""
import harness  # noqa: I001  (sets the environment first)

import numpy as np

import fastnn

SQUARE = [64, 128, 256, 512, 1024, 2048]
NN_SHAPES = [(64, 784, 128), (4096, 27, 32), (256, 1152, 64), (32, 256, 1024), (1, 512, 512)]
COLUMNS = [("shape (M,K,N)", "shape", "{}"), ("dtype", "dtype", "{}"), ("fastnn ms", "fastnn_ms", "{:.3f}"),
           ("numpy ms", "numpy_ms", "{:.3f}"), ("torch ms", "torch_ms", "{:.3f}"),
           ("fastnn GF/s", "fastnn_gflops", "{:.1f}"), ("numpy GF/s", "numpy_gflops", "{:.1f}"),
           ("torch GF/s", "torch_gflops", "{:.1f}"), ("% peak", "pct_peak", "{:.0f}%"),
           ("vs numpy", "vs_numpy", "{:.2f}x"), ("vs torch", "vs_torch", "{:.2f}x"), ("max err", "max_err", "{:.1e}")]


def shapes(args):
    square = [n for n in SQUARE if n <= 512] if args.quick else SQUARE
    cases = [((n, n, n), np.float32) for n in square] + [(s, np.float32) for s in NN_SHAPES]
    return cases + [((1024, 1024, 1024), np.float64)] if not args.quick else cases


def bench_one(shape, dtype, args, torch):
    M, K, N = shape
    g = np.random.default_rng(0)
    a, b = g.standard_normal((M, K)).astype(dtype), g.standard_normal((K, N)).astype(dtype)
    ta, tb = fastnn.tensor(a), fastnn.tensor(b)
    fns = {"fastnn": lambda: ta @ tb, "numpy": lambda: a @ b}
    if torch is not None:
        xa, xb = torch.from_numpy(a), torch.from_numpy(b)
        fns["torch"] = lambda: xa @ xb
    times = harness.median_times(fns, args.repeats, args.warmup)
    flops = 2.0 * M * N * K
    row = {"shape": f"({M},{K},{N})", "dtype": np.dtype(dtype).name,
           "max_err": harness.max_error(ta @ tb, a.astype(np.float64) @ b.astype(np.float64))}
    for name, t in times.items():
        row[f"{name}_ms"] = t * 1e3
        row[f"{name}_gflops"] = flops / t / 1e9
    row["pct_peak"] = 100 * row["fastnn_gflops"] / harness.peak_gflops(args.threads)
    row["vs_numpy"] = times["numpy"] / times["fastnn"]
    row["vs_torch"] = times["torch"] / times["fastnn"] if "torch" in times else None
    return row


def run(args, torch):
    rows = [bench_one(shape, dtype, args, torch) for shape, dtype in shapes(args)]
    harness.print_table(f"matmul, {args.threads} thread(s); ratios > 1 mean fastnn is faster; "
                        f"% of the measured {harness.peak_gflops(args.threads):.0f} GFLOP/s FMA peak", rows, COLUMNS)
    return rows


def main():
    args = harness.parse_args(__doc__)
    torch = harness.setup(args)
    rows = run(args, torch)
    harness.save_json(args.json, rows, harness.meta(args))


if __name__ == "__main__":
    main()
