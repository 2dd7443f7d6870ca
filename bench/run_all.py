"""Runs every bench at 1 and 2 threads and prints one table: per kernel and shape,
fastnn's, NumPy's and PyTorch's milliseconds, fastnn's speed ratios (> 1 = fastnn
faster), GFLOP/s, percent of the measured FMA peak and the max error against the
float64 reference; then the geometric-mean ratio per bench. Each thread count runs
in its own process, so every system's runtime starts with that many threads.
--json saves every row; with matplotlib installed, --chart PATH draws the
per-bench ratios (default docs/bench_summary.png). --quick: fewer, smaller shapes."""
import harness  # noqa: I001  (sets the environment first)

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import bench_attention
import bench_conv
import bench_matmul
import bench_pool
import bench_rnn
import bench_train

BENCHES = {"matmul": bench_matmul, "conv2d": bench_conv, "pool2d": bench_pool, "train_cnn": bench_train,
           "rnn": bench_rnn, "attention": bench_attention}
METRICS = {"fastnn_ms", "numpy_ms", "torch_ms", "copy_ms", "vs_numpy", "vs_torch", "vs_copy", "fastnn_gflops",
           "numpy_gflops", "torch_gflops", "pct_peak", "max_err", "peak_mib"}
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = [("bench", "bench", "{}"), ("case", "case", "{}"), ("threads", "threads", "{}"),
           ("fastnn ms", "fastnn_ms", "{:.3f}"), ("numpy ms", "numpy_ms", "{:.3f}"), ("torch ms", "torch_ms", "{:.3f}"),
           ("vs numpy", "vs_numpy", "{:.2f}x"), ("vs torch", "vs_torch", "{:.2f}x"), ("GF/s", "gflops", "{:.1f}"),
           ("% peak", "pct_peak", "{:.0f}%"), ("max err", "max_err", "{:.1e}")]


def summary_row(bench, row, threads):
    """A bench's row in the shared columns; the case is its descriptive fields."""
    case = row.get("case") or ", ".join(str(v) for k, v in row.items() if k not in METRICS and v is not None)
    return {"bench": bench, "case": case, "threads": threads, "fastnn_ms": row.get("fastnn_ms"),
            "numpy_ms": row.get("numpy_ms"), "torch_ms": row.get("torch_ms"), "vs_numpy": row.get("vs_numpy"),
            "vs_torch": row.get("vs_torch"), "gflops": row.get("fastnn_gflops"), "pct_peak": row.get("pct_peak"),
            "max_err": row.get("max_err")}


def worker(args, torch):
    """Every bench at this process's thread count; the rows go to --json."""
    rows = [summary_row(name, row, args.threads) for name, module in BENCHES.items()
            for row in module.run(args, torch)]
    harness.save_json(args.json, rows, harness.meta(args))


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def per_bench(rows):
    out = []
    for bench in BENCHES:
        for threads in sorted({r["threads"] for r in rows}):
            mine = [r for r in rows if r["bench"] == bench and r["threads"] == threads]
            if mine:
                out.append({"bench": bench, "threads": threads, "rows": len(mine),
                            "vs_numpy": geomean([r["vs_numpy"] for r in mine]),
                            "vs_torch": geomean([r["vs_torch"] for r in mine]),
                            "worst_vs_torch": min((r["vs_torch"] for r in mine if r["vs_torch"]), default=None)})
    return out


def chart(summary, path, machine):
    """Bars of the geometric-mean ratios per bench: vs NumPy and vs PyTorch, 1 and 2 threads."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib is not installed: no chart)")
        return
    benches = list(dict.fromkeys(s["bench"] for s in summary))
    series = [(f"vs {who}, {t} thread{'s' if t > 1 else ''}", who, t) for who in ("numpy", "torch")
              for t in sorted({s["threads"] for s in summary})]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(series)
    for i, (label, who, threads) in enumerate(series):
        values = [next((s[f"vs_{who}"] or 0 for s in summary if s["bench"] == b and s["threads"] == threads), 0)
                  for b in benches]
        ax.bar([j + i * width for j in range(len(benches))], values, width, label=label)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(benches))], benches)
    ax.set_yscale("log")
    ax.set_ylabel("fastnn speed ratio (geomean, > 1 = faster)")
    ax.set_title(f"fastnn vs NumPy and PyTorch — {machine}", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"saved {path}")


def main():
    def extra(parser):
        parser.add_argument("--thread-counts", default="1,2", help="comma-separated thread counts to run")
        parser.add_argument("--chart", default=os.path.join(ROOT, "docs", "bench_summary.png"))
        parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = harness.parse_args(__doc__, extra)
    if args.worker:
        worker(args, harness.setup(args))
        return
    rows, meta = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for threads in [int(t) for t in args.thread_counts.split(",")]:
            path = os.path.join(tmp, f"{threads}.json")
            flags = [f for f in ("--quick", "--no-torch") if getattr(args, f[2:].replace("-", "_"))]
            subprocess.run([sys.executable, __file__, "--worker", "--threads", str(threads), "--json", path,
                            "--repeats", str(args.repeats), "--warmup", str(args.warmup), *flags], check=True)
            with open(path) as f:
                result = json.load(f)
            rows += result["rows"]
            meta[threads] = result["meta"]
    harness.print_table("all benches; ratios > 1 mean fastnn is faster", rows, COLUMNS)
    summary = per_bench(rows)
    harness.print_table("summary: geometric-mean speed ratio per bench", summary, [
        ("bench", "bench", "{}"), ("threads", "threads", "{}"), ("shapes", "rows", "{}"),
        ("vs numpy", "vs_numpy", "{:.2f}x"), ("vs torch", "vs_torch", "{:.2f}x"),
        ("worst vs torch", "worst_vs_torch", "{:.2f}x")])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "rows": rows, "summary": summary}, f, indent=1)
    backend = next(iter(meta.values()))["backend"] if meta else {}
    chart(summary, args.chart, f"{cpu_model()}, {os.cpu_count()} cores, {backend.get('isa', '?')}, "
                               f"{time.strftime('%Y-%m-%d')}")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown CPU"


if __name__ == "__main__":
    main()
