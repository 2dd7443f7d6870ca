"""Recurrent layers: nn.LSTM / nn.GRU forward and forward+backward over a
sequence, and one LSTMCell step; fastnn vs the NumPy reference vs PyTorch."""
import harness  # noqa: I001  (sets the environment first)

import numpy as np

import fastnn
from fastnn import nn, reference

T, B, I, H = 64, 32, 128, 256
COLUMNS = [("case", "name", "{}"), ("pass", "pass", "{}"), ("fastnn ms", "fastnn_ms", "{:.3f}"),
           ("numpy ms", "numpy_ms", "{:.2f}"), ("torch ms", "torch_ms", "{:.3f}"), ("vs numpy", "vs_numpy", "{:.1f}x"),
           ("vs torch", "vs_torch", "{:.2f}x"), ("max err", "max_err", "{:.1e}")]


def _numpy_layers(mode, layer, x, backward):
    """The reference over the layer's stack (unidirectional), with BPTT when asked."""
    out, inputs = x, []
    for l in range(layer.num_layers):
        w = [getattr(layer, f"{n}_l{l}").detach().numpy() for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        h0 = np.zeros((x.shape[1], layer.hidden_size), x.dtype)
        inputs.append((out, w))
        out, _, _ = reference.rnn_layer(mode, out, h0, h0 if mode == "LSTM" else None, *w)
    if backward:
        grad = np.ones_like(out)
        for inp, w in reversed(inputs):
            h0 = np.zeros((x.shape[1], layer.hidden_size), x.dtype)
            grad = reference.rnn_layer_backward(mode, inp, h0, h0 if mode == "LSTM" else None, *w, grad)[0]
    return out


def bench_layer(name, layers, args, torch):
    fastnn.manual_seed(0)
    ours = getattr(nn, name)(I, H, num_layers=layers)
    x = np.random.default_rng(0).standard_normal((T, B, I)).astype(np.float32)
    tx = fastnn.tensor(x, requires_grad=True)
    rows = []
    for label in ("fwd", "fwd+bwd"):
        if label == "fwd":
            def fastnn_fn():
                with fastnn.no_grad():
                    return ours(tx)
        else:
            def fastnn_fn():
                tx.grad = None
                ours.zero_grad()
                ours(tx)[0].sum().backward()
        fns = {"fastnn": fastnn_fn, "numpy": lambda lb=label: _numpy_layers(name, ours, x, lb != "fwd")}
        if torch is not None:
            theirs = getattr(torch.nn, name)(I, H, num_layers=layers)
            theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()})
            xx = torch.tensor(x, requires_grad=True)
            if label == "fwd":
                def torch_fn():
                    with torch.no_grad():
                        return theirs(xx)
            else:
                def torch_fn():
                    xx.grad = None
                    theirs.zero_grad()
                    theirs(xx)[0].sum().backward()
            fns["torch"] = torch_fn
        times = harness.median_times(fns, args.repeats, args.warmup, block=0.2)
        row = harness.timing_row(times, name=f"{name} {layers} layer(s)", **{"pass": label})
        if label == "fwd":
            with fastnn.no_grad():
                row["max_err"] = harness.max_error(ours(tx)[0], _numpy_layers(name, ours, x.astype(np.float64), False))
        rows.append(row)
    return rows


def bench_cell(batch, args, torch):
    fastnn.manual_seed(0)
    cell = nn.LSTMCell(I, H)
    x = np.random.default_rng(1).standard_normal((batch, I)).astype(np.float32)
    h = np.zeros((batch, H), np.float32)
    tx, th, tc = fastnn.tensor(x), fastnn.tensor(h), fastnn.tensor(h)
    w = [p.detach().numpy() for p in cell.parameters()]

    def fastnn_fn():
        with fastnn.no_grad():
            return cell(tx, (th, tc))
    fns = {"fastnn": fastnn_fn, "numpy": lambda: reference.rnn_cell("LSTM", x, h, h, *w)}
    if torch is not None:
        theirs = torch.nn.LSTMCell(I, H)
        theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in cell.state_dict().items()})
        xx, hh = torch.from_numpy(x), torch.from_numpy(h)

        def torch_fn():
            with torch.no_grad():
                return theirs(xx, (hh, hh))
        fns["torch"] = torch_fn
    times = harness.median_times(fns, args.repeats, args.warmup, block=0.1)
    row = harness.timing_row(times, name=f"LSTMCell batch {batch}", **{"pass": "fwd"})
    with fastnn.no_grad():
        row["max_err"] = harness.max_error(cell(tx, (th, tc))[0], reference.rnn_cell("LSTM", x, h, h, *w)[0])
    return [row]


def run(args, torch):
    rows = []
    for name in ("LSTM", "GRU"):
        for layers in ((1,) if args.quick else (1, 2)):
            rows += bench_layer(name, layers, args, torch)
    for batch in (1, 32):
        rows += bench_cell(batch, args, torch)
    harness.print_table(f"recurrent layers, T={T} B={B} I={I} H={H}, float32, {args.threads} thread(s); "
                        "ratios > 1 mean fastnn is faster", rows, COLUMNS)
    return rows


if __name__ == "__main__":
    harness.main(run, __doc__)
