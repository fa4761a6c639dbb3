"""Writing an rnncheck fixture file, format version 1 (fixtures/README.md).

The one writer of the format: rnncheck-ref and the fixture generator (tools/fixturegen) both
call `write`.
"""

import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

FORMAT_VERSION = 1


@dataclass
class NodeOutputs:
    """One graph node's outputs for /layers (and /layers_float64)."""
    node: str                     # "<layer>" or "<layer>#<i>"
    layer: str                    # the layer's name
    class_name: str
    names: List[str]              # "<layer>/<what>" per output
    arrays: List[np.ndarray]


def str_attr(obj, key, value):
    """A variable-length UTF-8 string attribute (a list of them for a list)."""
    import h5py
    obj.attrs.create(key, data=value, dtype=h5py.string_dtype("utf-8"))


def _attrs(obj, values: Dict[str, object]):
    for key, value in values.items():
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            obj.attrs.create(key, np.int64(value))
        elif isinstance(value, (float, np.floating)):
            obj.attrs.create(key, np.float64(value))
        else:
            str_attr(obj, key, str(value))


def _stored(a: np.ndarray, float_dtype) -> np.ndarray:
    """Floats as float_dtype, booleans (Keras 3 mask ops) as uint8 0/1, integers as int32
    (int64 when they do not fit)."""
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return a.astype(float_dtype)
    if a.dtype.kind == "b":
        return a.astype(np.uint8)
    if a.dtype.kind in "iu":
        fits = a.size == 0 or (a.min() >= -2 ** 31 and a.max() < 2 ** 31)
        return a.astype(np.int32 if fits else np.int64)
    raise TypeError(f"cannot store {a.dtype} values")


def _write_layers(f, group_name, nodes: Sequence[NodeOutputs], float_dtype):
    g = f.create_group(group_name)
    str_attr(g, "layer_order", [n.node for n in nodes])
    for n in nodes:
        ng = g.create_group(n.node)
        str_attr(ng, "layer", n.layer)
        str_attr(ng, "class_name", n.class_name)
        for k, (name, a) in enumerate(zip(n.names, n.arrays)):
            d = ng.create_dataset(f"output_{k}", data=_stored(a, float_dtype))
            str_attr(d, "name", name)
            if np.asarray(a).dtype.kind == "b":
                str_attr(d, "dtype", "bool")


def write(path: str, *, name: str, description: str, inputs: Sequence[np.ndarray],
          input_names: Sequence[Optional[str]], outputs: Sequence[np.ndarray],
          output_names: Sequence[str], model_bytes: bytes, model_format: str,
          model_filename: str, model_config: Optional[str] = None,
          float64: Optional[Sequence[np.ndarray]] = None,
          layers: Optional[Sequence[NodeOutputs]] = None,
          layers_float64: Optional[Sequence[NodeOutputs]] = None,
          tolerances: Optional[dict] = None, provenance: Dict[str, object] = None,
          input_keys: Optional[Sequence[str]] = None):
    """Writes one fixture file through PATH.tmp and a rename, so that an interrupted write
    never leaves a partial file. Inputs are stored as given (float32, or int32 token ids),
    outputs as float32, float64 outputs as float64."""
    import h5py

    tmp_path = path + ".tmp"
    with h5py.File(tmp_path, "w", libver="earliest") as f:
        f.attrs.create("rnncheck_fixture", np.int64(FORMAT_VERSION))
        str_attr(f, "name", name)
        str_attr(f, "description", description)
        for i, x in enumerate(inputs):
            d = f.create_dataset(f"input_{i}", data=x)
            if i < len(input_names) and input_names[i]:
                str_attr(d, "name", input_names[i])
            if input_keys:
                str_attr(d, "key", input_keys[i])
        for i, (o, nm) in enumerate(zip(outputs, output_names)):
            d = f.create_dataset(f"output_{i}", data=np.asarray(o).astype(np.float32))
            str_attr(d, "name", nm)
        g = f.create_group("model")
        str_attr(g, "format", model_format)
        str_attr(g, "filename", model_filename)
        # deflated: the Keras archive and weights files are mostly HDF5 metadata and zip headers,
        # which shrink about 9x (the shipped fixtures: 13.8 MB of model files -> 1.6 MB)
        g.create_dataset("file", data=np.frombuffer(model_bytes, dtype=np.uint8), compression="gzip", compression_opts=9)
        if model_config is not None:
            g.create_dataset("config", data=model_config, dtype=h5py.string_dtype("utf-8"))
        if float64 is not None:
            r = f.create_group("reference_float64")
            for i, (o, nm) in enumerate(zip(float64, output_names)):
                d = r.create_dataset(f"output_{i}", data=np.asarray(o).astype(np.float64))
                str_attr(d, "name", nm)
        if layers is not None:
            _write_layers(f, "layers", layers, np.float32)
        if layers_float64 is not None:
            _write_layers(f, "layers_float64", layers_float64, np.float64)
        if tolerances:
            t = f.create_group("tolerances")
            t.attrs.create("atol", np.float64(tolerances["atol"]))
            t.attrs.create("rtol", np.float64(tolerances["rtol"]))
            str_attr(t, "reason", tolerances["reason"])
        _attrs(f.create_group("provenance"), provenance or {})
    os.replace(tmp_path, path)
