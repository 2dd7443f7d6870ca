"""save / load of state dicts (name -> Tensor or array) as .npz files, no pickle."""
import os
import zipfile

import numpy as np

from .tensor import Tensor


def save(obj, f):
    """Saves a flat mapping of names to Tensors or arrays (e.g. a state_dict)."""
    if not isinstance(obj, dict):
        raise TypeError(f"save expects a dict of name -> Tensor/array, got {type(obj).__name__}")
    arrays = {}
    for key, value in obj.items():
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be strings, got {key!r}")
        value = value.data if isinstance(value, Tensor) else np.asarray(value)
        if value.dtype == object:
            raise TypeError(f"save: entry {key!r} is not a numeric tensor or array")
        arrays[key] = value
    np.savez(f, **arrays)


def load(f):
    """Loads what `save` wrote: a dict of name -> Tensor. A corrupt or truncated
    file raises ValueError (or OSError when it cannot be read)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as handle:  # closed even when the archive is corrupt
            return load(handle)
    try:
        with np.load(f, allow_pickle=False) as archive:
            return {key: Tensor._wrap(np.array(archive[key])) for key in archive.files}
    except (zipfile.BadZipFile, EOFError, KeyError) as exc:
        raise ValueError(f"load: {f!r} is not a valid fastnn file ({exc})") from exc
