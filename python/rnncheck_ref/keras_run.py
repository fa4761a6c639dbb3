"""Running a Keras model: its float32 outputs, every node's outputs, and its float64 clone.

One copy, used by the reference writer (rnncheck-ref) and by the fixture generator
(tools/fixturegen): `K` is the Keras package that owns the model, `keras` (Keras 3) or
`tf_keras` (Keras 2). Inputs are numpy arrays in model input order (keras.tree.flatten order,
so a dict-input model's inputs are in sorted key order); outputs come back the same way.
"""

import contextlib
from typing import List, NamedTuple, Optional

import numpy as np

from . import graph


def to_numpy(K, x) -> np.ndarray:
    """A backend tensor as a numpy array (a torch tensor is detached and moved to the CPU)."""
    ops = getattr(K, "ops", None)
    if ops is not None and hasattr(ops, "convert_to_numpy"):
        return np.asarray(ops.convert_to_numpy(x))
    return np.asarray(x)


def pack_inputs(model, inputs):
    """What to call the model with, in the structure it was built with: a dict (in sorted key
    order) for a dict-input model, a list for a list, else the single array."""
    structure = graph.input_structure(model)
    if isinstance(structure, dict):
        return dict(zip(sorted(structure), inputs))
    if isinstance(structure, (list, tuple)):
        return list(inputs)
    return inputs[0] if len(inputs) == 1 else list(inputs)


def run_model(K, model, inputs) -> List[np.ndarray]:
    """The model's outputs (a list, in model output order) for inputs in model input order."""
    out = model(pack_inputs(model, inputs), training=False)
    return [to_numpy(K, o) for o in graph.flatten(out)]


def run_layers(K, model, inputs):
    """Every node's outputs: [(node, [arrays])] in graph order (graph.nodes), InputLayers left
    out. Keras runs the graph once with all node outputs as the outputs of one model, so the
    masks and call arguments are exactly those of the model's own call."""
    nodes = [n for n in graph.nodes(model) if not n.is_input]
    tensors = [t for n in nodes for t in n.tensors]
    if not tensors:
        return []
    extractor = K.Model(graph.model_inputs(model), tensors)
    values = extractor(pack_inputs(extractor, inputs), training=False)
    values = [to_numpy(K, v) for v in graph.flatten(values)]
    result, start = [], 0
    for n in nodes:
        result.append((n, values[start:start + len(n.tensors)]))
        start += len(n.tensors)
    return result


def _set_floatx(K, name):
    if hasattr(K, "config") and hasattr(K.config, "set_floatx"):
        K.config.set_floatx(name)      # keras 3
    else:
        K.backend.set_floatx(name)     # tf_keras


def _floatx(K):
    if hasattr(K, "config") and hasattr(K.config, "floatx"):
        return K.config.floatx()
    return K.backend.floatx()


@contextlib.contextmanager
def floatx(K, name):
    """Keras's default float type set to `name` inside the block, restored after it."""
    prev = _floatx(K)
    _set_floatx(K, name)
    try:
        yield
    finally:
        _set_floatx(K, prev)


def _to_float64_config(obj):
    """Copy of a model config with every float32 dtype (policy or string) made float64."""
    if isinstance(obj, dict):
        res = {}
        for k, v in obj.items():
            if k == "dtype":
                if v == "float32":
                    v = "float64"
                elif isinstance(v, dict) and v.get("class_name") == "DTypePolicy":
                    v = dict(v, config=dict(v["config"], name="float64"))
                    res[k] = v
                    continue
            res[k] = _to_float64_config(v)
        return res
    if isinstance(obj, list):
        return [_to_float64_config(v) for v in obj]
    return obj


class Float64Run(NamedTuple):
    """The float64 clone's outputs (None when it could not be made; `why` says why) and, when
    asked for, every node's outputs as run_layers gives them."""
    outputs: Optional[List[np.ndarray]]
    layers: Optional[list]
    why: Optional[str]


def _all_layers(model):
    """Every layer of the model, those of nested models included."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def run_float64(K, model, inputs, layers=False) -> Float64Run:
    """Rebuild the architecture in float64, load the same weights cast to float64, run it on
    the inputs (float ones cast to float64; integer ones unchanged).

    Fails (outputs None, with the reason) when it cannot be done or the clone did not really
    compute in float64: a backend that cannot (JAX without x64) quietly stays in float32."""
    feed = [x.astype(np.float64) if x.dtype.kind == "f" else x for x in inputs]
    with floatx(K, "float64"):
        try:
            m64 = type(model).from_config(_to_float64_config(model.get_config()))
            # Integer weights (Normalization's adapt `count`) are counters, not numbers the
            # model computes with: they keep their dtype.
            weights = [np.asarray(w) for w in model.get_weights()]
            m64.set_weights([w.astype(np.float64) if w.dtype.kind == "f" else w
                             for w in weights])
            for layer in _all_layers(m64):
                # Keras 3's Normalization derives its mean and variance tensors from the
                # adapted weights in finalize_state(), which set_weights() does not call.
                if hasattr(layer, "finalize_state"):
                    layer.finalize_state()
            bad = [w.path if hasattr(w, "path") else w.name for w in m64.weights
                   if str(getattr(w.dtype, "name", w.dtype)) not in ("float64", "int32", "int64")]
            if bad:
                return Float64Run(None, None, f"float64 clone still has non-float64 weights: {bad}")
            outs = run_model(K, m64, feed)
            nodes = run_layers(K, m64, feed) if layers else None
        except Exception as e:  # reported by the caller; the file then has no float64 group
            return Float64Run(None, None, f"float64 rebuild failed: {type(e).__name__}: {e}")
    for i, o in enumerate(outs):
        if o.dtype != np.float64:
            return Float64Run(None, None, f"float64 clone output {i} has dtype {o.dtype}")
    # Proof that it really computed in float64: in some output, most values are not
    # float32-representable. Exact zeros (masked steps, relu) are representable in any
    # precision: leave them out. (Not every output: an Embedding lookup passed on unchanged
    # is float32 weights, exactly.)
    fracs = []
    for o in outs:
        flat = o.ravel()[o.ravel() != 0]
        if flat.size:
            fracs.append(np.mean(flat != flat.astype(np.float32).astype(np.float64)))
    if max(fracs, default=0.0) < 0.5:
        return Float64Run(None, None, f"float64 clone outputs look like float32 values (at most "
                                      f"{max(fracs, default=0.0):.0%} of an output's values are "
                                      f"not float32-representable)")
    return Float64Run(outs, nodes, None)
