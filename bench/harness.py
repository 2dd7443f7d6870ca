"""The shared bench harness: interleaved timing with medians, one thread count for
every system, GFLOP/s and percent of peak, error vs the reference, tables, JSON."""
import bench_env  # noqa: F401  (must run before NumPy loads)

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import fastnn

_peak_cache = {}
_time_scale = 1.0  # block times; halved by --quick (settle times never: the spinning lasts as long)


def parse_args(description, extra=None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads for every system (fastnn, NumPy's BLAS, torch)")
    parser.add_argument("--repeats", type=int, help="timed rounds per system, median reported (default 5; 3 quick)")
    parser.add_argument("--warmup", type=int, help="untimed calls first (default 2; 1 quick)")
    parser.add_argument("--quick", action="store_true", help="fewer, smaller shapes, fewer rounds")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch even if installed")
    parser.add_argument("--json", metavar="PATH", help="save the rows as JSON")
    if extra:
        extra(parser)
    args = parser.parse_args()
    args.repeats = args.repeats or (3 if args.quick else 5)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    global _time_scale
    _time_scale = 0.5 if args.quick else 1.0
    return args


def load_torch(args):
    if args.no_torch:
        return None
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(args.threads)
    return torch


def setup(args):
    fastnn.set_num_threads(args.threads)
    torch = load_torch(args)
    unset = os.environ.get("FASTNN_BENCH_UNSET")
    print(f"threads={args.threads} for every system; fastnn isa={fastnn.backend_info()['isa']}; "
          f"numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}")
    if unset:
        print(f"(unset {unset} for this bench process so NumPy's OpenBLAS runs its best kernel)")
    print(f"measured float32 FMA peak: {peak_gflops(args.threads):.0f} GFLOP/s on {args.threads} thread(s)")
    return torch


def peak_gflops(threads):
    """The float32 FMA peak of fastnn's active ISA on `threads` threads, measured
    once per run with independent FMA chains (best of three)."""
    if threads not in _peak_cache:
        _peak_cache[threads] = fastnn._C.measure_fma_peak_gflops(threads)
    return _peak_cache[threads]


def median_times(fns, repeats, warmup, settle=0.15, block=0.05):
    """Median seconds per call of each callable, measured in rounds: every round
    runs each system once (rotating the order) as a block of calls lasting
    `block` seconds, after `settle` seconds of untimed calls. Blocks, not single
    alternating calls: a BLAS or OpenMP runtime's worker threads keep spinning
    for a while after a call, and would steal the cores of the next system's
    call; the settle time lets them go to sleep. Noise then hits every system
    alike, and the median drops what it hits hardest. (OpenBLAS keeps its threads
    spinning for ~0.1 s after a call: a 2-thread LSTM forward took 25-30 ms
    instead of 12-14 for the first 100-110 ms after a NumPy matmul, so every
    bench settles 0.15 s, --quick too.)"""
    block *= _time_scale
    inner = {}
    for name, fn in fns.items():
        for _ in range(warmup):
            fn()
        start = time.perf_counter()
        fn()
        inner[name] = max(1, int(20e-6 / max(time.perf_counter() - start, 1e-9)))  # loops of >= 20 us
    samples = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats):
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn, n = fns[name], inner[name]
            settle_end = time.perf_counter() + settle
            fn()
            while time.perf_counter() < settle_end:
                fn()
            times, block_end = [], time.perf_counter() + block
            while not times or time.perf_counter() < block_end:
                start = time.perf_counter()
                for _ in range(n):
                    fn()
                times.append((time.perf_counter() - start) / n)
            samples[name].append(statistics.median(times))
    return {name: statistics.median(s) for name, s in samples.items()}


def timing_row(times, **fields):
    """A table row: the given fields, each system's milliseconds, and fastnn's
    speed ratio to NumPy and to PyTorch (> 1 = fastnn faster)."""
    row = dict(fields)
    row.update({f"{name}_ms": t * 1e3 for name, t in times.items()})
    row["vs_numpy"] = times["numpy"] / times["fastnn"] if "numpy" in times else None
    row["vs_torch"] = times["torch"] / times["fastnn"] if "torch" in times else None
    return row


def main(run, description):
    """The whole of a bench script's main: arguments, set-up, run, JSON."""
    args = parse_args(description)
    torch = setup(args)
    save_json(args.json, run(args, torch), meta(args))


def max_error(got, want):
    got = np.asarray(got.detach().numpy() if hasattr(got, "detach") else got, dtype=np.float64)
    return float(np.max(np.abs(got - want))) if got.size else 0.0


def print_table(title, rows, columns):
    """columns: (header, key, format)."""
    print(f"\n{title}")
    cells = [[fmt.format(row[key]) if row.get(key) is not None else "-" for _, key, fmt in columns] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, (h, _, _) in enumerate(columns)]
    print("  ".join(h.rjust(w) for (h, _, _), w in zip(columns, widths)))
    for c in cells:
        print("  ".join(v.rjust(w) for v, w in zip(c, widths)))


def save_json(path, rows, meta):
    if path:
        with open(path, "w") as f:
            json.dump({"meta": meta, "rows": rows}, f, indent=1)
        print(f"saved {path}")


def meta(args):
    return {"threads": args.threads, "backend": fastnn.backend_info(), "numpy": np.__version__,
            "peak_gflops": peak_gflops(args.threads),
            "unset_env": os.environ.get("FASTNN_BENCH_UNSET", "")}


# -- peak memory, each measurement in a fresh process ------------------------------
def peak_rss_growth_mib(step, calls=1):
    """Peak resident-set growth (MiB) while step() runs `calls` times: VmHWM, first
    reset to the current resident set through /proc/self/clear_refs."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    base = _status_kib("VmRSS")
    for _ in range(calls):
        step()
    return (_status_kib("VmHWM") - base) / 1024


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def memory_worker_result(script, *argv):
    """Runs `python script --memory-worker *argv` and returns the number it prints
    last, or None if it failed."""
    result = subprocess.run([sys.executable, script, "--memory-worker", *map(str, argv)], capture_output=True,
                            text=True, cwd=os.path.dirname(os.path.abspath(script)))
    if result.returncode != 0:
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])
