"""Running a Keras model on fixture inputs, in float32 and as a float64 clone."""

from typing import List, Optional, Tuple

import numpy as np


def _flatten(K, structure) -> list:
    """keras.tree.flatten (Keras 3) or tf.nest.flatten (tf_keras): nested lists in order,
    dicts in sorted key order."""
    if hasattr(K, "tree"):
        return K.tree.flatten(structure)
    import tensorflow as tf
    return tf.nest.flatten(structure)


def run_model(K, model, inputs) -> List[np.ndarray]:
    """The model's outputs for inputs, both in model order: keras.tree.flatten order, which
    is the order of the (nested) lists and, for a dict, of its sorted keys (a model with dict
    inputs is fed the dict, its dict outputs are flattened by sorted key)."""
    struct = getattr(model, "_inputs_struct", None)         # Keras 3
    if struct is None:
        struct = getattr(model, "_nested_inputs", None)     # tf_keras
    if isinstance(struct, dict):
        feed = dict(zip(sorted(struct), inputs))
    else:
        feed = inputs[0] if len(inputs) == 1 else list(inputs)
    out = model(feed, training=False)
    return [np.asarray(o) for o in _flatten(K, out)]


def _set_floatx(K, name):
    if hasattr(K, "config") and hasattr(K.config, "set_floatx"):
        K.config.set_floatx(name)      # keras 3
    else:
        K.backend.set_floatx(name)     # tf_keras


def _floatx(K):
    if hasattr(K, "config") and hasattr(K.config, "floatx"):
        return K.config.floatx()
    return K.backend.floatx()


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


def run_float64(K, model, inputs) -> Tuple[Optional[List[np.ndarray]], Optional[str]]:
    """Rebuild the architecture in float64, load the same weights cast to float64, run it on
    the inputs (float ones cast to float64).

    Returns (outputs, None), or (None, reason) when it cannot be done or the clone did not
    really compute in float64."""
    cfg64 = _to_float64_config(model.get_config())
    prev = _floatx(K)
    _set_floatx(K, "float64")
    try:
        m64 = type(model).from_config(cfg64)
        weights = model.get_weights()
        m64.set_weights([np.asarray(w, dtype=np.float64) for w in weights])
        bad = [w.path if hasattr(w, "path") else w.name for w in m64.weights
               if str(getattr(w.dtype, "name", w.dtype)) != "float64"]
        if bad:
            return None, f"float64 clone still has non-float64 weights: {bad}"
        outs = run_model(K, m64, [x.astype(np.float64) if x.dtype.kind == "f" else x
                                  for x in inputs])
    except Exception as e:  # reported; the fixture then has no /reference_float64
        return None, f"float64 rebuild failed: {type(e).__name__}: {e}"
    finally:
        _set_floatx(K, prev)
    for i, o in enumerate(outs):
        if o.dtype != np.float64:
            return None, f"float64 clone output {i} has dtype {o.dtype}"
    # Proof that it really computed in float64: most values are not float32-representable.
    # Exact zeros (masked steps, relu) are representable in any precision: leave them out.
    flat = np.concatenate([o.ravel() for o in outs])
    flat = flat[flat != 0]
    frac = np.mean(flat != flat.astype(np.float32).astype(np.float64)) if flat.size else 0.0
    if frac < 0.5:
        return None, (f"float64 clone outputs look like float32 values "
                      f"(only {frac:.0%} not float32-representable)")
    return outs, None
