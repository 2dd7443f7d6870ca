"""The examples a newcomer runs first still reach their stated results."""
import pathlib
import re
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def final_accuracy(example, *args):
    """Runs examples/<example> and returns the accuracy it reports last."""
    result = subprocess.run([sys.executable, str(ROOT / "examples" / example), *args], capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return float(re.search(r"final test accuracy ([0-9.]+)", result.stdout).group(1))


def test_train_mlp_reaches_97_percent_on_digits():
    pytest.importorskip("sklearn")
    assert final_accuracy("train_mlp.py") >= 0.97


def test_train_cnn_reaches_95_percent_on_shapes():
    """A shortened run (the full one: 8 epochs of 10,000 images)."""
    assert final_accuracy("train_cnn.py", "--epochs", "3", "--train-size", "4000") >= 0.95


def test_train_lstm_reads_digits_row_by_row():
    pytest.importorskip("sklearn")
    assert final_accuracy("train_lstm.py") >= 0.97


def test_train_transformer_sorts_digit_sequences():
    """A shortened run (the full one: 8 epochs of 20,000 sequences)."""
    assert final_accuracy("train_transformer.py", "--epochs", "2", "--train-size", "8000") >= 0.98
