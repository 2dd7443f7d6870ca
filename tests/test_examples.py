"""The examples a newcomer runs first still reach their stated results."""
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_train_mlp_reaches_97_percent_on_digits():
    pytest.importorskip("sklearn")
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "train_mlp.py")], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"final test accuracy ([0-9.]+)", result.stdout).group(1))
    assert accuracy >= 0.97


def test_train_cnn_reaches_95_percent_on_shapes():
    """A shortened run of examples/train_cnn.py (the full run: 8 epochs of 10,000 images)."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "train_cnn.py"), "--epochs", "3",
                             "--train-size", "4000"], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"final test accuracy ([0-9.]+)", result.stdout).group(1))
    assert accuracy >= 0.95


def test_train_lstm_reads_digits_row_by_row():
    pytest.importorskip("sklearn")
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "train_lstm.py")], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    accuracy = float(re.search(r"final test accuracy ([0-9.]+)", result.stdout).group(1))
    assert accuracy >= 0.97
