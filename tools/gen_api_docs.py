"""Writes docs/api.md, the API reference, from the public objects' signatures and
docstrings. Run after changing a public docstring: python tools/gen_api_docs.py
(tests/test_docs.py fails while docs/api.md is out of date)."""
import inspect
import pathlib
import sys

API = pathlib.Path(__file__).resolve().parent.parent / "docs" / "api.md"


def sections():
    import fastnn
    from fastnn import data, datasets, nn, optim
    from fastnn.nn import functional, init, utils
    from fastnn.optim import lr_scheduler
    top = ["tensor", "zeros", "ones", "full", "empty", "arange", "rand", "randn", "randint", "zeros_like",
           "ones_like", "from_numpy", "from_dlpack", "cat", "stack", "matmul", "no_grad", "enable_grad",
           "is_grad_enabled", "manual_seed", "get_num_threads", "set_num_threads", "backend_info", "save", "load"]
    layers = sorted(n for n in dir(nn) if inspect.isclass(getattr(nn, n)))
    return [
        ("fastnn", fastnn, top),
        ("fastnn.Tensor", fastnn.Tensor, None),
        ("fastnn.nn", nn, layers),
        ("fastnn.nn.functional", functional, functional.__all__),
        ("fastnn.nn.init", init, [n for n in dir(init) if n.endswith("_") and not n.startswith("_")]),
        ("fastnn.nn.utils", utils, ["clip_grad_norm_", "clip_grad_value_"]),
        ("fastnn.optim", optim, ["SGD", "Adam", "AdamW"]),
        ("fastnn.optim.lr_scheduler", lr_scheduler, ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
                                                     "LambdaLR", "OneCycleLR", "ReduceLROnPlateau"]),
        ("fastnn.data", data, ["TensorDataset", "DataLoader"]),
        ("fastnn.datasets", datasets, ["load_digits", "make_shapes"]),
    ]


def _signature(obj):
    try:
        return str(inspect.signature(obj)).replace("(self, ", "(").replace("(self)", "()")
    except (TypeError, ValueError):
        return "(...)"


def entry(prefix, name, obj):
    doc = inspect.getdoc(obj) or ""
    own = obj.__doc__ if inspect.isclass(obj) else doc  # a class without its own docstring says nothing
    lines = [f"### `{prefix}.{name}{_signature(obj)}`", ""]
    if own:
        lines += ["```text", doc, "```", ""]
    return lines


def api_text():
    lines = ["# API reference", "",
             "Generated from the docstrings by `tools/gen_api_docs.py`; names, arguments and defaults",
             "follow PyTorch's. Shapes use N for the batch, C for channels, L/S for sequence lengths.", ""]
    for title, module, names in sections():
        lines += [f"## {title}", ""]
        if names is None:  # the Tensor class: its public methods
            names = sorted(n for n, v in vars(module).items() if not n.startswith("_") and callable(v)
                           and (v.__doc__ or ""))
            lines += (inspect.getdoc(module) or "").split("\n") + [""]
        for name in names:
            lines += entry(title, name, getattr(module, name))
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    text = api_text()
    if "--check" in sys.argv:
        sys.exit(0 if API.exists() and API.read_text() == text else 1)
    API.parent.mkdir(exist_ok=True)
    API.write_text(text)
    print(f"wrote {API}")
