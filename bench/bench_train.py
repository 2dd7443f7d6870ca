"""One full CNN training step (forward, loss, backward, SGD update) at batch 64:
images/s of fastnn vs PyTorch (same model, same thread count), and the peak
memory each needs: in a fresh subprocess, the peak resident set (VmHWM, reset
through /proc/self/clear_refs) over 20 steps minus the resident set before them."""
import harness  # noqa: I001  (sets the environment first)

import json
import sys

import numpy as np

import fastnn
from fastnn import nn, optim
from fastnn.nn import functional as F

BATCH = 64
COLUMNS = [("system", "system", "{}"), ("step ms", "step_ms", "{:.2f}"), ("images/s", "images_per_s", "{:.0f}"),
           ("vs torch", "vs_torch", "{:.2f}x"), ("peak MiB", "peak_mib", "{:.1f}")]


def fastnn_model():
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10))


def torch_model(torch):
    tnn = torch.nn
    return tnn.Sequential(tnn.Conv2d(3, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Flatten(), tnn.Linear(64 * 8 * 8, 128), tnn.ReLU(), tnn.Linear(128, 10))


def batch():
    g = np.random.default_rng(0)
    return g.standard_normal((BATCH, 3, 32, 32)).astype(np.float32), g.integers(0, 10, BATCH)


def fastnn_step_fn():
    model = fastnn_model()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = (fastnn.tensor(a) for a in batch())

    def step():
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def torch_step_fn(torch):
    model = torch_model(torch)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = (torch.from_numpy(a) for a in batch())

    def step():
        loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step


def peak_memory(system, threads):
    """Peak RSS growth of 20 steps in a fresh process, in MiB."""
    return harness.memory_worker_result(__file__, system, "--threads", threads)


def memory_worker(system, threads):
    if system == "torch":
        import torch
        torch.set_num_threads(threads)
        step = torch_step_fn(torch)
    else:
        fastnn.set_num_threads(threads)
        step = fastnn_step_fn()
    print(json.dumps(harness.peak_rss_growth_mib(step, calls=20)))


def run(args, torch):
    fns = {"fastnn": fastnn_step_fn()}
    if torch is not None:
        fns["torch"] = torch_step_fn(torch)
    times = harness.median_times(fns, args.repeats, args.warmup, block=0.5)
    rows = []
    for name, t in times.items():
        rows.append({"system": name, "step_ms": t * 1e3, "images_per_s": BATCH / t,
                     "vs_torch": times["torch"] / t if name != "torch" and "torch" in times else None,
                     "peak_mib": None if args.quick else peak_memory(name, args.threads)})
    harness.print_table(f"CNN training step, batch {BATCH}, {args.threads} thread(s)", rows, COLUMNS)
    # One row for the summary: no NumPy baseline, PyTorch's time beside fastnn's.
    ours = rows[0]
    return [{"case": f"train step, batch {BATCH}", "fastnn_ms": ours["step_ms"],
             "torch_ms": times["torch"] * 1e3 if "torch" in times else None, "vs_torch": ours["vs_torch"],
             "peak_mib": ours["peak_mib"]}]


def main():
    if "--memory-worker" in sys.argv:
        at = sys.argv.index("--memory-worker")
        memory_worker(sys.argv[at + 1], int(sys.argv[sys.argv.index("--threads") + 1]))
        return
    args = harness.parse_args(__doc__)
    torch = harness.setup(args)
    harness.save_json(args.json, run(args, torch), harness.meta(args))


if __name__ == "__main__":
    main()
