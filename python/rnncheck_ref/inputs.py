"""A model's inputs: what each one takes, random arrays that fit, and checks on the user's own.

Generated inputs (`generate`): float inputs are standard normal float32; token ids for an
input that feeds Embedding layers are drawn in [0, input_dim) of the smallest of them, or
[1, input_dim) when one of them has mask_zero=True, so that 0 (padding) appears only where
`pad` puts it; `pad` fills the end of each row of a masked input with padding: token 0 for
Embedding(mask_zero=True), and the Masking layer's `mask_value` (default 0.0) on every feature
of a padded step for Masking.
"""

import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import graph
from .errors import UserError


@dataclass
class InputSpec:
    """One model input, and the Embedding and Masking layers it feeds."""
    index: int
    name: str                     # the Input layer's name
    key: Optional[str]            # its key, for a dict-input model
    shape: Tuple                  # the model's shape, batch axis first, None where unknown
    dtype: str                    # "float32", "int32", ...
    embeddings: List[Tuple[str, int, bool]] = field(default_factory=list)  # (layer, input_dim, mask_zero)
    maskings: List[Tuple[str, float]] = field(default_factory=list)        # (layer, mask_value)

    @property
    def integer(self) -> bool:
        return np.dtype(self.dtype).kind in "iub"

    @property
    def token_ids(self) -> bool:
        """Holds token ids: an integer input, or a float one that feeds an Embedding."""
        return self.integer or bool(self.embeddings)

    @property
    def masked(self) -> bool:
        return bool(self.maskings) or any(mz for _, _, mz in self.embeddings)

    @property
    def label(self) -> str:
        dims = ", ".join("None" if d is None else str(d) for d in self.shape)
        return f"'{self.key or self.name}' ({dims}) {self.dtype}"

    @property
    def id_high(self) -> Optional[int]:
        return min(d for _, d, _ in self.embeddings) if self.embeddings else None


def _consumers(start: graph.Node, children) -> Tuple[list, list]:
    """The Embedding and Masking layers reached from a node, not looking past either (nor
    inside a model used as a layer: there, every Embedding and Masking of the inner model)."""
    embeddings, maskings, seen, todo = [], [], set(), [start]
    while todo:
        node = todo.pop(0)
        for child in children.get(id(node), []):
            if id(child) in seen:
                continue
            seen.add(id(child))
            layer, cls = child.layer, child.class_name
            if cls == "Embedding":
                embeddings.append((layer.name, int(layer.input_dim), bool(layer.mask_zero)))
            elif cls == "Masking":
                maskings.append((layer.name, float(layer.mask_value)))
            elif hasattr(layer, "_nodes_by_depth") or hasattr(layer, "_functional"):
                inner = graph.nodes(layer)
                embeddings += [(n.layer.name, int(n.layer.input_dim), bool(n.layer.mask_zero))
                               for n in inner if n.class_name == "Embedding"]
                maskings += [(n.layer.name, float(n.layer.mask_value))
                             for n in inner if n.class_name == "Masking"]
            else:
                todo.append(child)
    return embeddings, maskings


def input_specs(model) -> List[InputSpec]:
    """The model's inputs in model input order."""
    nodes = graph.nodes(model)
    children: Dict[int, list] = {}
    for n in nodes:
        for p in n.parents:
            children.setdefault(id(p), []).append(n)
    by_layer = {id(n.layer): n for n in nodes if n.is_input}
    keys = graph.input_keys(model)
    specs = []
    for i, t in enumerate(graph.model_inputs(model)):
        layer = t._keras_history[0]
        dtype = str(getattr(t.dtype, "name", t.dtype))
        shape = tuple(None if d is None else int(d) for d in t.shape)
        emb, mask = _consumers(by_layer[id(layer)], children) if id(layer) in by_layer else ([], [])
        specs.append(InputSpec(i, layer.name, keys[i] if keys else None, shape, dtype, emb, mask))
    return specs


def describe(specs: Sequence[InputSpec]) -> str:
    return ", ".join(s.label for s in specs)


# -- generated inputs ----------------------------------------------------------------------


def parse_shapes(texts: Sequence[str], specs: Sequence[InputSpec]) -> Dict[int, Tuple[int, ...]]:
    """--shape NAME=D1,D2,... (every axis but the batch) -> {input index: dims}."""
    result = {}
    for text in texts:
        name, sep, dims = text.partition("=")
        match = [s for s in specs if name in (s.name, s.key)]
        if not sep or not match:
            raise UserError(f"--shape {text!r}: expected NAME=D1,D2,... with NAME one of the "
                            f"model's inputs: {describe(specs)}")
        spec = match[0]
        try:
            values = tuple(int(d) for d in dims.split(","))
        except ValueError:
            raise UserError(f"--shape {text!r}: the sizes must be whole numbers") from None
        if len(values) != len(spec.shape) - 1 or min(values, default=1) < 1:
            raise UserError(f"--shape {text!r}: input {spec.label} has {len(spec.shape) - 1} "
                            f"axes after the batch axis; give that many positive sizes")
        for axis, (want, got) in enumerate(zip(spec.shape[1:], values), start=1):
            if want is not None and want != got:
                raise UserError(f"--shape {text!r}: axis {axis} of input {spec.label} is {want}")
        result[spec.index] = values
    return result


def _full_shape(spec, batch, time, shapes):
    if spec.index in shapes:
        return (batch,) + shapes[spec.index]
    dims = list(spec.shape[1:])
    if dims and dims[0] is None:
        dims[0] = time
    unknown = [a for a, d in enumerate(dims, start=1) if d is None]
    if unknown:
        example = ",".join(str(time if a == 1 else 8) if d is None else str(d)
                           for a, d in enumerate(spec.shape[1:], start=1))
        raise UserError(f"input {spec.label} has unknown size on axis "
                        f"{', '.join(map(str, unknown))} (--time fills only axis 1): give every "
                        f"size with --shape {spec.key or spec.name}={example}")
    return (batch,) + tuple(dims)


def pad_lengths(batch: int, steps: int, pad: float) -> List[int]:
    """Padded steps at the end of each row: row b of B gets round(pad * steps * b / (B - 1)),
    so the first row is whole and the last has `pad` of its steps padded; a single row gets
    round(pad * steps)."""
    if batch == 1:
        return [int(round(pad * steps))]
    return [int(round(pad * steps * b / (batch - 1))) for b in range(batch)]


def generate(specs, batch=2, time=8, shapes=None, pad=0.0, seed=0, vocab=None):
    """Random inputs that fit the specs, in model input order (see the module's docstring).
    Returns (arrays, notes): notes are sentences about what was done, for the user."""
    if batch < 1 or time < 1:
        raise UserError("--batch and --time must be at least 1")
    if not 0.0 <= pad <= 1.0:
        raise UserError(f"--pad {pad}: give the fraction of a row to pad, from 0 to 1")
    rng = np.random.default_rng(seed)
    shapes = shapes or {}
    arrays, notes = [], []
    for spec in specs:
        shape = _full_shape(spec, batch, time, shapes)
        dtype = np.int32 if spec.integer else np.float32
        if spec.token_ids:
            high = spec.id_high or vocab
            if high is None:
                raise UserError(f"input {spec.label} takes integers but feeds no Embedding, so "
                                f"their range is unknown: give --vocab N (ids in [0, N)) or your "
                                f"own arrays with --inputs")
            low = 1 if any(mz for _, _, mz in spec.embeddings) and high > 1 else 0
            x = rng.integers(low, high, size=shape).astype(dtype)
        else:
            x = rng.standard_normal(shape).astype(dtype)
        if pad and spec.masked:
            if len(shape) < 2:
                raise UserError(f"--pad: input {spec.label} has no time axis to pad")
            lengths = pad_lengths(shape[0], shape[1], pad)
            value = 0 if spec.token_ids else spec.maskings[0][1]
            for b, n in enumerate(lengths):
                if n:
                    x[b, shape[1] - n:] = value
            what = ("token 0" if spec.token_ids else
                    f"mask_value {value:g} of Masking '{spec.maskings[0][0]}'")
            notes.append(f"input {spec.label}: padded the last {lengths} steps of its rows "
                         f"with {what}")
        arrays.append(x)
    if pad and not any(s.masked for s in specs):
        notes.append("--pad: no input feeds a Masking layer or an Embedding(mask_zero=True); "
                     "nothing was padded")
    return arrays, notes


# -- the user's arrays ---------------------------------------------------------------------


def _load_npy(path):
    """An .npy file's array, or an .npz file's arrays as a dict."""
    if not os.path.isfile(path):
        raise UserError(f"--inputs {path}: no such file")
    obj = np.load(path, allow_pickle=False)
    if hasattr(obj, "files"):                 # an .npz archive
        with obj:
            return {k: obj[k] for k in obj.files}
    return obj


def _load_all(paths, specs) -> Tuple[List[str], List[np.ndarray]]:
    """(labels, arrays) from the --inputs files, in the order they are meant for the model."""
    loaded = []
    for p in paths:
        try:
            loaded.append(_load_npy(p))
        except (OSError, ValueError) as e:
            raise UserError(f"--inputs {p}: cannot read it as a numpy .npy or .npz file ({e})") from None
    archives = [p for p, a in zip(paths, loaded) if isinstance(a, dict)]
    if not archives:
        return list(paths), loaded
    if len(paths) > 1:
        raise UserError(f"--inputs: give either one .npz file or one .npy file per input, not "
                        f"both ({', '.join(archives)} is an .npz)")
    data, path = loaded[0], paths[0]
    keys = sorted(data, key=lambda k: (len(k), k))
    positional = [f"arr_{i}" for i in range(len(keys))]
    if keys == positional:
        return [f"{path}:{k}" for k in keys], [data[k] for k in keys]
    names = {}
    for s in specs:
        for n in (s.key, s.name):
            if n is not None:
                names.setdefault(n, s.index)
    unknown = [k for k in keys if k not in names]
    missing = [s for s in specs if not any(names.get(k) == s.index for k in keys)]
    if unknown or missing:
        raise UserError(f"--inputs {path}: its arrays are named {', '.join(keys)}; name them "
                        f"after the model's inputs ({describe(specs)}) or arr_0, arr_1, ... in "
                        f"model input order" + (f" (missing: {', '.join(s.key or s.name for s in missing)})"
                                                if missing and not unknown else ""))
    ordered = sorted(keys, key=lambda k: names[k])
    return [f"{path}:{k}" for k in ordered], [data[k] for k in ordered]


def _fits(shape, dims) -> bool:
    return len(shape) == len(dims) and all(d is None or d == s for d, s in zip(dims, shape))


def load_user(paths, specs: Sequence[InputSpec]) -> List[np.ndarray]:
    """The user's arrays (--inputs), checked against the model's inputs and cast to float32
    (int32 for integer inputs), in model input order."""
    labels, arrays = _load_all(paths, specs)
    if len(specs) == 1 and len(arrays) >= 1:
        rows = [a for a in arrays if _fits(np.shape(a), specs[0].shape[1:])]
        if len(rows) == len(arrays):
            shape = np.shape(arrays[0])
            if len(arrays) == 1:
                raise UserError(f"{labels[0]} has shape {shape}, which is one row of input "
                                f"{specs[0].label}: it lacks the batch axis. Save x[None] for a "
                                f"batch of one, or np.stack(rows) for several")
            raise UserError(f"the model has 1 input {specs[0].label}, and the {len(arrays)} arrays "
                            f"given ({', '.join(labels)}) each have the shape {shape} of one batch "
                            f"row: they look like one array per row. Stack them into one array "
                            f"(np.stack(rows)) and give that single file")
    if len(arrays) != len(specs):
        raise UserError(f"the model has {len(specs)} input(s): {describe(specs)}; "
                        f"{len(arrays)} array(s) were given ({', '.join(labels)}). Give one "
                        f"array per input in this order, or one .npz file with an array per "
                        f"input name")
    result = []
    for spec, label, a in zip(specs, labels, arrays):
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            raise UserError(f"{label} holds {a.dtype} values; input {spec.label} takes numbers")
        if a.ndim != len(spec.shape):
            raise UserError(f"{label} has shape {a.shape} ({a.ndim} axes); input {spec.label} "
                            f"takes {len(spec.shape)} axes, the batch axis first")
        for axis, (want, got) in enumerate(zip(spec.shape, a.shape)):
            if want is not None and want != got:
                raise UserError(f"{label} has shape {a.shape}: axis {axis} is {got}, but "
                                f"input {spec.label} has {want} there")
        if a.shape[0] != np.shape(arrays[0])[0]:
            raise UserError(f"{label} has batch size {a.shape[0]} (axis 0), but {labels[0]} "
                            f"has {np.shape(arrays[0])[0]}: every input needs the same batch")
        if spec.token_ids:
            if a.dtype.kind == "f" and not np.all(np.isfinite(a) & (a == np.round(a))):
                raise UserError(f"{label} holds non-integer values, but input {spec.label} "
                                f"takes token ids")
            high = spec.id_high
            if high is not None and a.size and (a.min() < 0 or a.max() >= high):
                bad = np.argwhere((a < 0) | (a >= high))[0]
                emb = min(spec.embeddings, key=lambda e: e[1])
                raise UserError(f"{label} holds the id {a[tuple(bad)]:g} at {tuple(int(i) for i in bad)}, "
                                f"outside [0, {high}) of Embedding '{emb[0]}' (input_dim {high})")
        result.append(a.astype(np.int32 if spec.integer else np.float32))
    return result
