"""Runs every bench and prints one summary: fastnn's speed ratio against NumPy and
PyTorch per kernel family (geometric mean over shapes) beside the worst row.
(The training step has no NumPy baseline: its row compares with PyTorch only.)"""
import harness  # noqa: I001  (sets the environment first)

import math

import bench_attention
import bench_conv
import bench_matmul
import bench_pool
import bench_rnn
import bench_train

BENCHES = {"matmul": bench_matmul, "conv2d": bench_conv, "pool2d": bench_pool, "train_cnn": bench_train,
           "rnn": bench_rnn, "attention": bench_attention}


def geomean(values):
    values = [v for v in values if v]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def main():
    args = harness.parse_args(__doc__)
    torch = harness.setup(args)
    summary, everything = [], {}
    for name, module in BENCHES.items():
        rows = module.run(args, torch)
        everything[name] = rows
        to_numpy = [r["vs_numpy"] for r in rows if r.get("vs_numpy")]
        summary.append({"bench": name, "rows": len(rows),
                        "vs_numpy": geomean(to_numpy), "worst_vs_numpy": min(to_numpy, default=None),
                        "vs_torch": geomean([r.get("vs_torch") for r in rows]),
                        "worst_vs_torch": min((r["vs_torch"] for r in rows if r.get("vs_torch")), default=None)})
    harness.print_table(f"summary, {args.threads} thread(s): fastnn speed ratio (> 1 = fastnn faster)", summary, [
        ("bench", "bench", "{}"), ("shapes", "rows", "{}"), ("vs numpy (geomean)", "vs_numpy", "{:.2f}x"),
        ("worst vs numpy", "worst_vs_numpy", "{:.2f}x"), ("vs torch (geomean)", "vs_torch", "{:.2f}x"),
        ("worst vs torch", "worst_vs_torch", "{:.2f}x")])
    harness.save_json(args.json, everything, harness.meta(args))


if __name__ == "__main__":
    main()
