"""bench/run_all.py's summary: rows of every bench in the shared columns, the
per-bench geometric means, and the chart (when matplotlib is installed)."""
import math
import os
import pathlib
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture
def run_all(monkeypatch):
    # The harness re-executes a bench process whose thread variables differ from
    # --threads; here they already match, so importing it changes nothing.
    threads = str(os.cpu_count() or 1)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, threads)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.syspath_prepend(str(BENCH))
    import run_all
    return run_all


def test_rows_summary_and_chart(run_all, tmp_path):
    matmul = {"shape": (64, 64, 64), "dtype": "float32", "fastnn_ms": 1.0, "numpy_ms": 2.0, "torch_ms": 4.0,
              "vs_numpy": 2.0, "vs_torch": 4.0, "fastnn_gflops": 50.0, "pct_peak": 40.0, "max_err": 1e-6}
    train = {"case": "train step, batch 64", "fastnn_ms": 10.0, "torch_ms": 5.0, "vs_torch": 0.5, "peak_mib": 70}
    rows = [run_all.summary_row("matmul", matmul, 1), run_all.summary_row("matmul", dict(matmul, vs_numpy=8.0), 1),
            run_all.summary_row("train_cnn", train, 2)]
    assert rows[0]["case"] == "(64, 64, 64), float32" and rows[0]["gflops"] == 50.0
    assert rows[2]["case"] == "train step, batch 64" and rows[2]["vs_numpy"] is None
    summary = run_all.per_bench(rows)
    assert [(s["bench"], s["threads"]) for s in summary] == [("matmul", 1), ("train_cnn", 2)]
    assert math.isclose(summary[0]["vs_numpy"], 4.0) and summary[1]["vs_numpy"] is None
    path = tmp_path / "chart.png"
    run_all.chart(summary, str(path), "test machine")
    if "matplotlib" in sys.modules:
        assert path.stat().st_size > 1000
