"""conv2d forward and forward+backward: fastnn vs the NumPy reference vs PyTorch."""
import harness  # noqa: I001  (sets the environment first)

import numpy as np

import fastnn
from fastnn import reference
from fastnn.nn import functional as F

# (name, N, C, H, W, O, k, stride, padding, groups)
CASES = [("conv1 3->32 32x32", 64, 3, 32, 32, 32, 3, 1, 1, 1),
         ("conv2 32->64 16x16", 64, 32, 16, 16, 64, 3, 1, 1, 1),
         ("N=1 64->64 56x56", 1, 64, 56, 56, 64, 3, 1, 1, 1),
         ("1x1 64->128 28x28", 16, 64, 28, 28, 128, 1, 1, 0, 1),
         ("stride-2 32->64 32x32", 32, 32, 32, 32, 64, 3, 2, 1, 1),
         ("depthwise 64 28x28", 16, 64, 28, 28, 64, 3, 1, 1, 64)]
COLUMNS = [("conv", "name", "{}"), ("pass", "pass", "{}"), ("fastnn ms", "fastnn_ms", "{:.3f}"),
           ("numpy ms", "numpy_ms", "{:.2f}"), ("torch ms", "torch_ms", "{:.3f}"),
           ("fastnn GF/s", "fastnn_gflops", "{:.1f}"), ("% peak", "pct_peak", "{:.0f}%"),
           ("vs numpy", "vs_numpy", "{:.1f}x"), ("vs torch", "vs_torch", "{:.2f}x"), ("max err", "max_err", "{:.1e}")]


def bench_case(case, args, torch):
    name, n, c, h, w, o, k, stride, pad, groups = case
    g = np.random.default_rng(0)
    x = g.standard_normal((n, c, h, w)).astype(np.float32)
    wt = (g.standard_normal((o, c // groups, k, k)) / np.sqrt(c // groups * k * k)).astype(np.float32)
    b = g.standard_normal(o).astype(np.float32)
    params = dict(stride=(stride, stride), padding=(pad, pad), dilation=(1, 1), groups=groups)
    out = reference.conv2d(x, wt, b, **params)
    dy = g.standard_normal(out.shape).astype(np.float32)
    flops = 2.0 * out.size * (c // groups) * k * k
    tx, tw, tb = (fastnn.tensor(a, requires_grad=True) for a in (x, wt, b))
    td = fastnn.tensor(dy)

    def fastnn_fwd():
        with fastnn.no_grad():
            return F.conv2d(tx, tw, tb, stride, pad, 1, groups)

    def fastnn_fwd_bwd():
        tx.grad = tw.grad = tb.grad = None
        F.conv2d(tx, tw, tb, stride, pad, 1, groups).backward(td)

    rows = []
    for label, fns, mult in [
        ("fwd", {"fastnn": fastnn_fwd, "numpy": lambda: reference.conv2d(x, wt, b, **params)}, 1),
        ("fwd+bwd", {"fastnn": fastnn_fwd_bwd,
                     "numpy": lambda: (reference.conv2d(x, wt, b, **params),
                                       reference.conv2d_backward(x, wt, dy, **params))}, 3)]:
        if torch is not None:
            xx, ww, bb = (torch.tensor(a, requires_grad=True) for a in (x, wt, b))
            dd = torch.tensor(dy)
            if label == "fwd":
                def torch_fn():
                    with torch.no_grad():
                        return torch.nn.functional.conv2d(xx, ww, bb, stride, pad, 1, groups)
            else:
                def torch_fn():
                    xx.grad = ww.grad = bb.grad = None
                    torch.nn.functional.conv2d(xx, ww, bb, stride, pad, 1, groups).backward(dd)
            fns["torch"] = torch_fn
        times = harness.median_times(fns, args.repeats, args.warmup, block=0.1)
        row = harness.timing_row(times, name=name, **{"pass": label},
                                 fastnn_gflops=mult * flops / times["fastnn"] / 1e9)
        row["pct_peak"] = 100 * row["fastnn_gflops"] / harness.peak_gflops(args.threads)
        if label == "fwd":
            row["max_err"] = harness.max_error(fastnn_fwd(), out)
        else:
            fastnn_fwd_bwd()
            want = reference.conv2d_backward(x.astype(np.float64), wt.astype(np.float64), dy.astype(np.float64),
                                             **params)
            row["max_err"] = max(harness.max_error(t.grad, r) for t, r in zip((tx, tw, tb), want))
        rows.append(row)
    return rows


def run(args, torch):
    cases = CASES[:2] if args.quick else CASES
    rows = [row for case in cases for row in bench_case(case, args, torch)]
    harness.print_table(f"conv2d float32, {args.threads} thread(s); ratios > 1 mean fastnn is faster; GF/s counts "
                        "a direct convolution's FLOPs (Winograd rows, 3x3 stride 1 from 16 -> 32 channels, need fewer "
                        "and may pass 100% of peak)", rows, COLUMNS)
    return rows


if __name__ == "__main__":
    harness.main(run, __doc__)
