"""Pooling forward+backward: fastnn vs the NumPy reference vs PyTorch, against the
memory floor (one plain copy of the input)."""
import harness  # noqa: I001  (sets the environment first)

import numpy as np

import fastnn
from fastnn import reference
from fastnn.nn import functional as F

CASES = [("max k2 s2", "max", 64, 32, 32, 32), ("avg k2 s2", "avg", 64, 32, 32, 32),
         ("max k3 s2 p1", "max3", 64, 32, 32, 32), ("adaptive 1x1", "adaptive", 64, 64, 8, 8)]
COLUMNS = [("pool", "name", "{}"), ("pass", "pass", "{}"), ("fastnn ms", "fastnn_ms", "{:.3f}"),
           ("numpy ms", "numpy_ms", "{:.2f}"), ("torch ms", "torch_ms", "{:.3f}"), ("copy ms", "copy_ms", "{:.3f}"),
           ("x copy", "vs_copy", "{:.2f}"), ("vs numpy", "vs_numpy", "{:.1f}x"), ("vs torch", "vs_torch", "{:.2f}x"),
           ("max err", "max_err", "{:.1e}")]


def _fns(kind):
    """fastnn, reference and torch callables of one pooling kind."""
    if kind == "max":
        return (lambda t: F.max_pool2d(t, 2), lambda a: reference.max_pool2d(a, (2, 2), (2, 2))[0],
                lambda tt, x: tt.nn.functional.max_pool2d(x, 2))
    if kind == "max3":
        return (lambda t: F.max_pool2d(t, 3, 2, 1), lambda a: reference.max_pool2d(a, (3, 3), (2, 2), (1, 1))[0],
                lambda tt, x: tt.nn.functional.max_pool2d(x, 3, 2, 1))
    if kind == "avg":
        return (lambda t: F.avg_pool2d(t, 2), lambda a: reference.avg_pool2d(a, (2, 2), (2, 2)),
                lambda tt, x: tt.nn.functional.avg_pool2d(x, 2))
    return (lambda t: F.adaptive_avg_pool2d(t, 1), lambda a: reference.adaptive_avg_pool2d(a, (1, 1)),
            lambda tt, x: tt.nn.functional.adaptive_avg_pool2d(x, 1))


def bench_case(case, args, torch):
    name, kind, n, c, h, w = case
    x = np.random.default_rng(0).standard_normal((n, c, h, w)).astype(np.float32)
    ours, ref, theirs = _fns(kind)
    tx = fastnn.tensor(x, requires_grad=True)
    out = ref(x)
    dy = fastnn.tensor(np.ones(out.shape, np.float32))
    rows = []
    for label in ("fwd", "fwd+bwd"):
        if label == "fwd":
            def fastnn_fn():
                with fastnn.no_grad():
                    return ours(tx)
            fns = {"fastnn": fastnn_fn, "numpy": lambda: ref(x)}
        else:
            def fastnn_fn():
                tx.grad = None
                ours(tx).backward(dy)
            fns = {"fastnn": fastnn_fn, "numpy": lambda: ref(x)}
        fns["copy"] = lambda: x.copy()
        if torch is not None:
            xx = torch.tensor(x, requires_grad=True)
            dd = torch.ones(out.shape)
            if label == "fwd":
                def torch_fn():
                    with torch.no_grad():
                        return theirs(torch, xx)
            else:
                def torch_fn():
                    xx.grad = None
                    theirs(torch, xx).backward(dd)
            fns["torch"] = torch_fn
        times = harness.median_times(fns, args.repeats, args.warmup, block=0.1)
        row = harness.timing_row(times, name=name, **{"pass": label}, vs_copy=times["fastnn"] / times["copy"])
        if label != "fwd":
            row["vs_numpy"] = None  # the reference has no backward here
        row["max_err"] = harness.max_error(ours(fastnn.tensor(x)), out) if label == "fwd" else None
        rows.append(row)
    return rows


def run(args, torch):
    cases = CASES[:2] if args.quick else CASES
    rows = [row for case in cases for row in bench_case(case, args, torch)]
    harness.print_table(f"pooling float32, {args.threads} thread(s); 'x copy' = time / one copy of the input "
                        "(the memory floor); ratios > 1 mean fastnn is faster", rows, COLUMNS)
    return rows


if __name__ == "__main__":
    harness.main(run, __doc__)
