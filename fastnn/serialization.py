"""save / load in the safetensors format (no pickle), so weights move to and from
PyTorch with `safetensors.torch.load_file` / `save_file`.

A flat dict of names to Tensors or arrays (a state_dict) is stored as it is. Any
other structure of dicts, lists, tuples, numbers, strings, None and arrays (an
optimizer's state_dict) is stored as its arrays, named by their path ("state.0.
exp_avg"), plus a JSON skeleton of the rest in the file's metadata under the key
"fastnn".
"""
import json
import os
import struct

import numpy as np
import safetensors
import safetensors.numpy

from .tensor import Tensor

_SKELETON_KEY = "fastnn"


def _is_flat(obj):
    return isinstance(obj, dict) and all(isinstance(k, str) and _is_array(v) for k, v in obj.items())


def _is_array(value):
    return isinstance(value, (Tensor, np.ndarray))


def _as_array(value, name):
    array = value.data if isinstance(value, Tensor) else value
    if array.dtype == object:
        raise TypeError(f"save: entry {name!r} is not a numeric tensor or array")
    return np.ascontiguousarray(array)


def _split(obj, path, arrays):
    """The JSON skeleton of obj, its arrays moved into `arrays` under their path."""
    if _is_array(obj):
        arrays[path] = _as_array(obj, path)
        return {"__tensor__": path}
    if isinstance(obj, dict):
        items = [[k, _split(v, f"{path}.{k}" if path else str(k), arrays)] for k, v in obj.items()]
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k, _ in items):
            raise TypeError(f"save: dict keys must be strings or ints, got {list(obj)!r} at {path!r}")
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        items = [_split(v, f"{path}.{i}" if path else str(i), arrays) for i, v in enumerate(obj)]
        return {"__tuple__": items} if isinstance(obj, tuple) else items
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, np.generic):
        return obj.item()
    raise TypeError(f"save: cannot store a {type(obj).__name__} (at {path!r})")


def _join(skeleton, arrays):
    if isinstance(skeleton, list):
        return [_join(v, arrays) for v in skeleton]
    if isinstance(skeleton, dict):
        if "__tensor__" in skeleton:
            return Tensor._wrap(arrays[skeleton["__tensor__"]])
        if "__tuple__" in skeleton:
            return tuple(_join(v, arrays) for v in skeleton["__tuple__"])
        return {k: _join(v, arrays) for k, v in skeleton["__dict__"]}
    return skeleton


def save(obj, f):
    """Saves obj (a state_dict, an optimizer's state_dict, ...) to the path or
    binary file f in the safetensors format."""
    if _is_flat(obj):
        arrays, metadata = {k: _as_array(v, k) for k, v in obj.items()}, None
    elif isinstance(obj, dict):
        arrays = {}
        metadata = {_SKELETON_KEY: json.dumps(_split(obj, "", arrays))}
    else:
        raise TypeError(f"save expects a dict (e.g. a state_dict), got {type(obj).__name__}")
    data = safetensors.numpy.save(arrays, metadata=metadata)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as handle:
            handle.write(data)
    else:
        f.write(data)


def _metadata(data):
    """The safetensors header's metadata: 8 bytes of little-endian header length, then JSON."""
    (length,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + length]).get("__metadata__") or {}


def load(f):
    """Loads what `save` wrote (Tensors where arrays were saved). A corrupt or
    truncated file raises ValueError (OSError when it cannot be read)."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as handle:
            return load(handle)
    data = f.read()
    try:
        arrays = safetensors.numpy.load(data)
        skeleton = _metadata(data).get(_SKELETON_KEY)
    except (safetensors.SafetensorError, struct.error, ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"load: {getattr(f, 'name', f)!r} is not a valid fastnn file ({exc})") from exc
    arrays = {k: np.array(v) for k, v in arrays.items()}  # writable, owned
    if skeleton is None:
        return {k: Tensor._wrap(v) for k, v in arrays.items()}
    return _join(json.loads(skeleton), arrays)

