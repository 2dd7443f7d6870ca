"""The documentation stays true: every docstring example runs, every public layer
and function documents its shapes, the _C stub matches the extension, and
docs/api.md matches the docstrings it is generated from."""
import doctest
import importlib
import inspect
import pathlib
import sys

import pytest

import fastnn
import fastnn.nn.functional as F
from fastnn import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

DOCUMENTED_MODULES = ["fastnn.nn.layers", "fastnn.nn.conv", "fastnn.nn.loss", "fastnn.nn.rnn", "fastnn.nn.module",
                      "fastnn.nn.normalization", "fastnn.nn.attention", "fastnn.ops.activation", "fastnn.ops.conv",
                      "fastnn.ops.loss", "fastnn.ops.linalg", "fastnn.ops.normalization", "fastnn.ops.attention",
                      "fastnn.optim.sgd", "fastnn.optim.adam", "fastnn.tensor"]


@pytest.mark.parametrize("module", DOCUMENTED_MODULES)
def test_docstring_examples_run(module):
    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    globs = {"fastnn": fastnn, "nn": nn, "F": F}
    mod = importlib.import_module(module)
    for test in finder.find(mod, globs=globs):
        runner.run(test)
    assert runner.failures == 0, f"{runner.failures} docstring example(s) failed in {module}"


def _public_layers():
    return [getattr(nn, n) for n in dir(nn) if inspect.isclass(getattr(nn, n)) and n not in ("Module",)]


@pytest.mark.parametrize("obj", _public_layers() + [getattr(F, n) for n in F.__all__], ids=lambda o: o.__name__)
def test_every_public_layer_and_function_documents_shape_and_example(obj):
    doc = obj.__doc__ or ""  # its own, not one inherited
    assert "Example" in doc and (">>>" in doc), f"{obj.__name__} has no example"
    if obj not in (nn.Parameter, nn.Sequential, nn.ModuleList):
        assert "Shape" in doc, f"{obj.__name__} does not document its shapes"


def test_c_stub_matches_the_extension():
    import gen_stubs
    assert gen_stubs.STUB.read_text() == gen_stubs.stub_text(fastnn._C), "run python tools/gen_stubs.py"


def test_api_reference_matches_the_docstrings():
    import gen_api_docs
    assert gen_api_docs.API.read_text() == gen_api_docs.api_text(), "run python tools/gen_api_docs.py"
