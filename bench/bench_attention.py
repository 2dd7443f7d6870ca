"""Attention: F.scaled_dot_product_attention (B=8, H=8, E=64; L=256 and 1024;
causal and not; forward and forward+backward), fastnn vs the NumPy reference vs
PyTorch, and the peak memory of one forward at L=4096 (fresh process each).
Then the transformer block's row kernels, GELU (exact and tanh form) and
LayerNorm, on their own table, not in the attention rows run_all summarises."""
import harness  # noqa: I001  (sets the environment first)

import json
import sys

import numpy as np

import fastnn
import fastnn.nn.functional as F
from fastnn import reference

B, H, E = 8, 8, 64
MEMORY_L = 4096
COLUMNS = [("L", "L", "{}"), ("causal", "causal", "{}"), ("pass", "pass", "{}"), ("fastnn ms", "fastnn_ms", "{:.2f}"),
           ("numpy ms", "numpy_ms", "{:.1f}"), ("torch ms", "torch_ms", "{:.2f}"), ("vs numpy", "vs_numpy", "{:.1f}x"),
           ("vs torch", "vs_torch", "{:.2f}x"), ("max err", "max_err", "{:.1e}")]
# train_transformer.py's (64 x 16 tokens; MLP 128 wide, model 64 wide); a large one
ROW_OP_SHAPES = {"gelu": [(1024, 128), (4096, 1024)], "layer_norm": [(1024, 64), (4096, 1024)]}
ROW_OP_COLUMNS = [("shape", "shape", "{}"), ("op", "op", "{}"), ("pass", "pass", "{}"),
                ("fastnn ms", "fastnn_ms", "{:.3f}"), ("numpy ms", "numpy_ms", "{:.2f}"), ("torch ms", "torch_ms", "{:.3f}"),
                ("vs numpy", "vs_numpy", "{:.1f}x"), ("vs torch", "vs_torch", "{:.2f}x"), ("max err", "max_err", "{:.1e}")]
MEMORY_COLUMNS = [("system", "system", "{}"), ("peak growth MiB", "peak_mib", "{:.0f}"),
                  ("output MiB", "output_mib", "{:.0f}"), ("working MiB", "working_mib", "{:.0f}"),
                  ("L x L scores MiB", "scores_mib", "{:.0f}")]


def inputs(length, seed=0):
    g = np.random.default_rng(seed)
    return [g.standard_normal((B, H, length, E)).astype(np.float32) for _ in range(3)]


def fastnn_fn(arrays, causal, backward):
    q, k, v = [fastnn.tensor(a, requires_grad=backward) for a in arrays]
    if not backward:
        return lambda: F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    def step():
        for t in (q, k, v):
            t.grad = None
        F.scaled_dot_product_attention(q, k, v, is_causal=causal).sum().backward()
    return step


def numpy_fn(arrays, causal, backward):
    q, k, v = arrays
    if not backward:
        return lambda: reference.attention(q, k, v, is_causal=causal)
    ones = np.ones_like(q)

    def step():
        reference.attention(q, k, v, is_causal=causal)
        return reference.attention_backward(q, k, v, ones, is_causal=causal)
    return step


def torch_fn(torch, arrays, causal, backward):
    q, k, v = [torch.tensor(a, requires_grad=backward) for a in arrays]
    sdpa = torch.nn.functional.scaled_dot_product_attention
    if not backward:
        def forward():
            with torch.no_grad():
                return sdpa(q, k, v, is_causal=causal)
        return forward

    def step():
        for t in (q, k, v):
            t.grad = None
        sdpa(q, k, v, is_causal=causal).sum().backward()
    return step


def bench_case(length, causal, backward, args, torch):
    arrays = inputs(length)
    fns = {"fastnn": fastnn_fn(arrays, causal, backward), "numpy": numpy_fn(arrays, causal, backward)}
    if torch is not None:
        fns["torch"] = torch_fn(torch, arrays, causal, backward)
    # Seconds-long reference calls at L=1024: fewer rounds (each runs every system at least twice).
    repeats, warmup = (args.repeats, args.warmup) if length < 1024 else (min(args.repeats, 3), 1)
    times = harness.median_times(fns, repeats, warmup, block=0.2)
    row = harness.timing_row(times, L=length, causal=causal, **{"pass": "fwd+bwd" if backward else "fwd"})
    if not backward:
        wide = [a.astype(np.float64) for a in arrays]
        row["max_err"] = harness.max_error(fns["fastnn"](), reference.attention(*wide, is_causal=causal))
    return row


def row_op_functions(op, n, torch):
    """(fastnn op on a Tensor, NumPy forward, NumPy backward(x, grad), torch op or None) of
    one of the row ops; LayerNorm's ops are the modules themselves."""
    if op.startswith("gelu"):
        form = "tanh" if op.endswith("tanh") else "none"
        return (lambda t: F.gelu(t, approximate=form), lambda a: reference.gelu(a, form),
                lambda a, g: reference.gelu_backward(a, g, form),
                torch and (lambda t: torch.nn.functional.gelu(t, approximate=form)))
    fastnn.manual_seed(0)
    ours = fastnn.nn.LayerNorm(n)
    w, b = ours.weight.detach().numpy(), ours.bias.detach().numpy()
    return (ours, lambda a: reference.layer_norm(a, w, b), lambda a, g: reference.layer_norm_backward(a, w, g),
            torch and torch.nn.LayerNorm(n))


def timed_step(op, x, grad, no_grad, backward):
    """One call of op on tensor x: under no_grad, or forward and backward(grad), the
    input's and (for a module) the parameters' gradients reset first."""
    def step():
        if not backward:
            with no_grad():
                return op(x)
        x.grad = None
        if hasattr(op, "zero_grad"):
            op.zero_grad()
        op(x).backward(grad)
    return step


def row_op_case(op, shape, backward, args, torch):
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    ones = np.ones_like(x)
    ours_op, numpy_forward, numpy_backward, torch_op = row_op_functions(op, shape[-1], torch)
    ours = timed_step(ours_op, fastnn.tensor(x, requires_grad=backward), fastnn.tensor(ones), fastnn.no_grad,
                      backward)
    fns = {"fastnn": ours, "numpy": (lambda: numpy_backward(x, ones)) if backward else (lambda: numpy_forward(x))}
    if torch is not None:
        fns["torch"] = timed_step(torch_op, torch.tensor(x, requires_grad=backward), torch.ones(shape),
                                  torch.no_grad, backward)
    times = harness.median_times(fns, args.repeats, args.warmup, block=0.1)
    row = harness.timing_row(times, shape=shape, op=op, **{"pass": "fwd+bwd" if backward else "fwd"})
    if not backward:
        row["max_err"] = harness.max_error(ours(), numpy_forward(x.astype(np.float64)))
    return row


def memory_worker(system, threads):
    q, k, v = inputs(MEMORY_L)
    if system == "torch":
        import torch
        torch.set_num_threads(threads)
        tq, tk, tv = [torch.from_numpy(a) for a in (q, k, v)]
        with torch.no_grad():
            peak = harness.peak_rss_growth_mib(lambda: torch.nn.functional.scaled_dot_product_attention(tq, tk, tv))
    else:
        fastnn.set_num_threads(threads)
        tq, tk, tv = [fastnn.tensor(a) for a in (q, k, v)]
        peak = harness.peak_rss_growth_mib(lambda: F.scaled_dot_product_attention(tq, tk, tv))
    print(json.dumps(peak))


def memory_rows(args, torch):
    output_mib = B * H * MEMORY_L * E * 4 / 2**20
    rows = []
    for system in ["fastnn"] + (["torch"] if torch is not None else []):
        peak = harness.memory_worker_result(__file__, system, "--threads", args.threads)
        rows.append({"system": system, "peak_mib": peak, "output_mib": output_mib,
                     "working_mib": None if peak is None else peak - output_mib,
                     "scores_mib": B * H * MEMORY_L * MEMORY_L * 4 / 2**20})
    return rows


def run(args, torch):
    rows = [bench_case(length, causal, backward, args, torch)
            for length in ((256,) if args.quick else (256, 1024)) for causal in (False, True)
            for backward in (False, True)]
    harness.print_table(f"scaled_dot_product_attention, B={B} H={H} E={E}, float32, {args.threads} thread(s); "
                        "ratios > 1 mean fastnn is faster", rows, COLUMNS)
    row_ops = [row_op_case(op, shape, backward, args, torch) for op in ("gelu", "gelu tanh", "layer_norm")
               for shape in ROW_OP_SHAPES[op.split()[0]][:1 if args.quick else 2] for backward in (False, True)]
    harness.print_table(f"the transformer block's row ops, float32, {args.threads} thread(s) (NumPy's exact GELU takes "
                        "math.erf element by element); ratios > 1 mean fastnn is faster", row_ops, ROW_OP_COLUMNS)
    if not args.quick:
        memory = memory_rows(args, torch)
        harness.print_table(f"one forward at L={MEMORY_L}: peak resident-set growth (fresh process); working = "
                            "peak - the output", memory, MEMORY_COLUMNS)
    return rows


if __name__ == "__main__":
    if "--memory-worker" in sys.argv:
        at = sys.argv.index("--memory-worker")
        memory_worker(sys.argv[at + 1], int(sys.argv[sys.argv.index("--threads") + 1]))
    else:
        harness.main(run, __doc__)
