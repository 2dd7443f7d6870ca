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
    row = harness.timing_row(times, **row)
    row.update({f"{name}_gflops": flops / t / 1e9 for name, t in times.items()})
    row["pct_peak"] = 100 * row["fastnn_gflops"] / harness.peak_gflops(args.threads)
    return row


SWEEP_SHAPES = [(512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048)]
SWEEP_KC = [128, 256, 384, 512, 768, 1024]
SWEEP_MC_ROWS = [96, 192, 480, 960]


def sweep(args):
    """Times the packed path (in-place path off) over KC x MC for each dtype and
    prints GFLOP/s per shape; the built-in blocks are restored afterwards."""
    dtypes = [np.float32, np.float64]
    shapes_ = SWEEP_SHAPES[:1] if args.quick else SWEEP_SHAPES
    rows = []
    for dtype in dtypes:
        mats = {s: (np.random.default_rng(0).standard_normal(s[:2]).astype(dtype),
                    np.random.default_rng(1).standard_normal(s[1:]).astype(dtype)) for s in shapes_}
        for kc in SWEEP_KC:
            for mc in SWEEP_MC_ROWS:
                fastnn._C.set_gemm_blocks(dtype, mc=mc, kc=kc, direct_a_bytes=0)
                blocks = fastnn._C.gemm_blocks(dtype)
                row = {"dtype": np.dtype(dtype).name, "mc": blocks["mc"], "kc": kc}
                for (M, K, N), (a, b) in mats.items():
                    t = harness.median_times({"gemm": lambda: fastnn._C.gemm(a, b)}, 3, 1)["gemm"]
                    row[f"{M}"] = 2.0 * M * N * K / t / 1e9
                rows.append(row)
        fastnn._C.set_gemm_blocks(dtype)
    columns = [("dtype", "dtype", "{}"), ("MC", "mc", "{}"), ("KC", "kc", "{}")] + [
        (f"n={M} GF/s", f"{M}", "{:.1f}") for M, _, _ in shapes_]
    harness.print_table(f"block-size sweep (packed path, {args.threads} thread(s), NC = built-in)", rows, columns)
    for dtype in dtypes:
        name = np.dtype(dtype).name
        best = max((r for r in rows if r["dtype"] == name), key=lambda r: sum(r[f"{M}"] for M, _, _ in shapes_))
        print(f"best for {name}: MC={best['mc']} KC={best['kc']} "
              f"(built-in: {fastnn._C.gemm_blocks(dtype)})")
    return rows


def run(args, torch):
    rows = [bench_one(shape, dtype, args, torch) for shape, dtype in shapes(args)]
    harness.print_table(f"matmul, {args.threads} thread(s); ratios > 1 mean fastnn is faster; "
                        f"% of the measured {harness.peak_gflops(args.threads):.0f} GFLOP/s FMA peak", rows, COLUMNS)
    return rows


def main():
    args = harness.parse_args(__doc__, lambda p: p.add_argument(
        "--sweep", action="store_true", help="sweep the GEMM cache blocks (MC, KC) instead"))
    torch = harness.setup(args)
    rows = sweep(args) if args.sweep else run(args, torch)
    harness.save_json(args.json, rows, harness.meta(args))


if __name__ == "__main__":
    main()
