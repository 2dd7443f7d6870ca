"""backend_info, threads and the ISA switch."""
import os
import subprocess
import sys

import pytest

import fastnn
from fastnn import _C


def test_backend_info_names_isa_threads_openmp():
    info = fastnn.backend_info()
    assert info["isa"] in ("avx512", "avx2", "generic")
    assert info["isa"] in info["supported_isas"]
    assert info["threads"] == fastnn.get_num_threads() >= 1
    assert "openmp" in info and info["compiler"] and "flags" in info


def test_set_num_threads(threads):
    threads(1)
    assert fastnn.get_num_threads() == 1 and fastnn.backend_info()["threads"] == 1
    threads(3)
    assert fastnn.get_num_threads() == 3


def test_set_isa_rejects_unknown():
    with pytest.raises(ValueError, match="unknown ISA"):
        _C.set_isa("sse9")


def _import_with_isa(isa, cwd):
    # cwd away from the source tree, so the installed package is the one imported
    env = dict(os.environ, FASTNN_ISA=isa)
    return subprocess.run([sys.executable, "-c", "import fastnn; print(fastnn.backend_info()['isa'])"],
                          env=env, capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("isa", fastnn.backend_info()["supported_isas"])
def test_fastnn_isa_environment_variable_forces_one(isa, tmp_path):
    result = _import_with_isa(isa, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == isa


def test_bad_fastnn_isa_fails_import_loudly(tmp_path):
    result = _import_with_isa("sse9", tmp_path)
    assert result.returncode != 0 and "unknown ISA" in result.stderr


def test_version_comes_from_the_package_metadata():
    from importlib.metadata import version
    import re
    assert fastnn.__version__ == version("fastnn")
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", fastnn.__version__)
