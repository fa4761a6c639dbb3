"""Ops inside graphs, in float64 NumPy.

Keras 3 records every `keras.ops.*` call on a KerasTensor (and every Python operator on one)
as an op node: `module` keras.src.ops.numpy / .nn / .core, the op's `__init__` options in
`config`, the call's arguments in the node (constants written as they were passed). Each entry
below is `fn(config, *args, **kwargs)`, written from the op's `call` and the TensorFlow
backend's function (`keras/src/ops/numpy.py`, `nn.py`, `core.py`;
`keras/src/backend/tensorflow/numpy.py`, `nn.py`).

tf.keras records a `tf.*` function called on KerasTensors as a `TFOpLambda` layer (a
`SlicingOpLambda` for `__getitem__`) whose config names the function (`math.reduce_mean`); the
node holds the first argument in its own structure and the others as keyword arguments under
the function's parameter names (`tf_keras/src/layers/core/tf_op_layer.py`,
`engine/node.py`). Each TF entry is the function with TensorFlow's signature, so a keyword the
function does not take fails as it would in Python.

Ops carry no masks: Keras 3 attaches masks only in `Layer.__call__`, and tf.keras op layers
do not support masking. Float results are float64 here whatever dtype Keras used (the oracle
computes in float64); integer and boolean results keep their kind.
"""

import numpy as np

from ..registry import layer, op

FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")


def _axis(axis):
    """A Keras / TF axis argument: None, an int, or a list (JSON) / tuple of ints."""
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _dtype(name):
    """The NumPy dtype a cast to Keras dtype `name` gives here (floats as float64)."""
    if isinstance(name, dict):                        # a serialized DTypePolicy
        name = name["config"]["name"]
    if name in FLOAT_TYPES:
        return np.float64
    if name == "bool" or name.startswith(("int", "uint")):
        return np.dtype(name)
    raise NotImplementedError(f"cast to {name}")


def _softmax(x, axis):
    """tf.nn.softmax: exp(x - max) / sum, along one axis."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _log_softmax(x, axis):
    """tf.nn.log_softmax: (x - max) - log(sum(exp(x - max)))."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _relu(x):
    return np.maximum(x, 0)


def _index_item(item):
    """One item of a serialized index: Keras 3 writes slices as {"class_name": "__slice__",
    "config": {start, stop, step}}, tf.keras as {start, stop, step}; both write Ellipsis as
    {"class_name": "__ellipsis__"}; None is np.newaxis, an int an index."""
    if isinstance(item, dict):
        if item.get("class_name") == "__ellipsis__":
            return Ellipsis
        cfg = item["config"] if item.get("class_name") == "__slice__" else item
        return slice(cfg["start"], cfg["stop"], cfg["step"])
    if item is None or isinstance(item, int):
        return item
    raise NotImplementedError(f"index item {item!r}")


def _index(key):
    """A serialized key -> a NumPy basic index. A list is one item per axis, as Keras 3's
    GetItem.call (`tuple(key)`) and TensorFlow's _slice_helper treat it."""
    if isinstance(key, list):
        return tuple(_index_item(k) for k in key)
    return _index_item(key)


# --------------------------------------------------------------------------------------------
# Keras 3 op nodes
# --------------------------------------------------------------------------------------------

_BINARY = {
    "Add": np.add, "Subtract": np.subtract, "Multiply": np.multiply,
    # divide / true_divide: the TF backend promotes to a float type, then tf.divide.
    "Divide": np.true_divide, "TrueDivide": np.true_divide,
    "Power": np.power, "Maximum": np.maximum, "Minimum": np.minimum,
    "Equal": np.equal, "NotEqual": np.not_equal, "Greater": np.greater,
    "GreaterEqual": np.greater_equal, "Less": np.less, "LessEqual": np.less_equal,
    "LogicalAnd": np.logical_and, "LogicalOr": np.logical_or,
}
_UNARY = {
    "Absolute": np.abs, "Square": np.square, "Sqrt": np.sqrt, "Exp": np.exp, "Log": np.log,
    "Tanh": np.tanh, "Negative": np.negative, "LogicalNot": np.logical_not,
    "Sigmoid": _sigmoid, "Relu": _relu,                  # keras.src.ops.nn
}
_REDUCE = {"Mean": np.mean, "Sum": np.sum, "Max": np.max, "Min": np.min, "Any": np.any,
           "All": np.all}


def _register_k3(table, make):
    for name, fn in table.items():
        op(name)(make(fn))


_register_k3(_BINARY, lambda fn: lambda cfg, x1, x2: fn(x1, x2))
_register_k3(_UNARY, lambda fn: lambda cfg, x: fn(x))
_register_k3(_REDUCE, lambda fn: lambda cfg, x: fn(
    x, axis=_axis(cfg.get("axis")), keepdims=cfg.get("keepdims", False)))


@op("Softmax")
def softmax(cfg, x):
    return _softmax(x, _axis(cfg.get("axis", -1)))


@op("LogSoftmax")
def log_softmax(cfg, x):
    return _log_softmax(x, _axis(cfg.get("axis", -1)))


@op("Concatenate")
def concatenate(cfg, xs):
    return np.concatenate(xs, axis=cfg.get("axis", 0))


@op("Stack")
def stack(cfg, xs):
    return np.stack(xs, axis=cfg.get("axis", 0))


@op("ExpandDims")
def expand_dims(cfg, x):
    return np.expand_dims(x, cfg["axis"])


@op("Squeeze")
def squeeze(cfg, x):
    return np.squeeze(x, axis=_axis(cfg.get("axis")))


@op("Reshape")
def reshape(cfg, x):
    return np.reshape(x, cfg["newshape"])


@op("Transpose")
def transpose(cfg, x):
    return np.transpose(x, cfg.get("axes"))


@op("Matmul")
def matmul(cfg, x1, x2):
    return np.matmul(x1, x2)


@op("GetItem")
def get_item(cfg, x, key):
    return np.asarray(x)[_index(key)]


@op("Cast")
def cast(cfg, x):
    return np.asarray(x).astype(_dtype(cfg["dtype"]))


@op("ConvertToTensor")
def convert_to_tensor(cfg, x, dtype=None, sparse=None, ragged=None):
    """ops.convert_to_tensor (Attention's compute_mask returns one): the value, cast when the
    node names a dtype."""
    dtype = dtype or cfg.get("dtype")
    return np.asarray(x) if dtype is None else np.asarray(x).astype(_dtype(dtype))


@op("ZerosLike")
def zeros_like(cfg, x):
    """ops.zeros_like (Keras 3 Concatenate.compute_mask); the op's dtype, else x's."""
    x = np.asarray(x)
    return np.zeros(x.shape, x.dtype if cfg.get("dtype") is None else _dtype(cfg["dtype"]))


@op("OnesLike")
def ones_like(cfg, x):
    """ops.ones_like (Keras 3 Concatenate.compute_mask); the op's dtype, else x's."""
    x = np.asarray(x)
    return np.ones(x.shape, x.dtype if cfg.get("dtype") is None else _dtype(cfg["dtype"]))


@op("Where")
def where(cfg, condition, x1, x2):
    return np.where(np.asarray(condition).astype(bool), x1, x2)


@op("Clip")
def clip(cfg, x):
    return np.minimum(np.maximum(x, cfg["x_min"]), cfg["x_max"])


# --------------------------------------------------------------------------------------------
# tf.keras TFOpLambda / SlicingOpLambda: the TF function, by its config name
# --------------------------------------------------------------------------------------------

TF_FUNCTIONS = {}


def tf_function(*names):
    def register(fn):
        for name in names:
            TF_FUNCTIONS[name] = fn
        return fn
    return register


def _tf_binary(fn):
    def f(x, y, name=None):
        return fn(x, y)
    return f


for _names, _fn in ((("__operators__.add", "math.add"), np.add),
                    (("math.subtract",), np.subtract), (("math.multiply",), np.multiply),
                    # tf.math.truediv: integers become float64 (int32) first, then x / y.
                    (("math.truediv", "math.divide"), np.true_divide),
                    (("math.pow",), np.power), (("math.maximum",), np.maximum),
                    (("math.minimum",), np.minimum), (("math.equal",), np.equal),
                    (("math.not_equal",), np.not_equal), (("math.greater",), np.greater),
                    (("math.greater_equal",), np.greater_equal), (("math.less",), np.less),
                    (("math.less_equal",), np.less_equal),
                    (("math.logical_and",), np.logical_and),
                    (("math.logical_or",), np.logical_or)):
    tf_function(*_names)(_tf_binary(_fn))


def _tf_unary(fn):
    def f(x, name=None):
        return fn(x)
    return f


for _name, _fn in (("math.abs", np.abs), ("math.square", np.square), ("math.sqrt", np.sqrt),
                   ("math.exp", np.exp), ("math.log", np.log), ("math.tanh", np.tanh),
                   ("math.sigmoid", _sigmoid), ("math.negative", np.negative),
                   ("math.logical_not", np.logical_not)):
    tf_function(_name)(_tf_unary(_fn))


@tf_function("nn.relu")
def tf_relu(features, name=None):
    return _relu(features)


def _tf_reduce(fn):
    def f(input_tensor, axis=None, keepdims=False, name=None):
        return fn(input_tensor, axis=_axis(axis), keepdims=keepdims)
    return f


for _name, _fn in (("math.reduce_mean", np.mean), ("math.reduce_sum", np.sum),
                   ("math.reduce_max", np.max), ("math.reduce_min", np.min),
                   ("math.reduce_any", np.any), ("math.reduce_all", np.all)):
    tf_function(_name)(_tf_reduce(_fn))


@tf_function("concat")
def tf_concat(values, axis, name="concat"):
    return np.concatenate(values, axis=axis)


@tf_function("stack")
def tf_stack(values, axis=0, name="stack"):
    return np.stack(values, axis=axis)


@tf_function("expand_dims")
def tf_expand_dims(input, axis, name=None):   # noqa: A002  (TensorFlow's parameter name)
    return np.expand_dims(input, axis)


@tf_function("compat.v1.squeeze")
def tf_squeeze(input, axis=None, name=None, squeeze_dims=None):   # noqa: A002
    return np.squeeze(input, axis=_axis(axis if axis is not None else squeeze_dims))


@tf_function("reshape")
def tf_reshape(tensor, shape, name=None):
    return np.reshape(tensor, shape)


@tf_function("compat.v1.transpose")
def tf_transpose(a, perm=None, name="transpose", conjugate=False):
    return np.transpose(a, perm)


@tf_function("linalg.matrix_transpose")
def tf_matrix_transpose(a, name="matrix_transpose", conjugate=False):
    """The last two axes swapped (array_ops.matrix_transpose)."""
    return np.swapaxes(a, -1, -2)


@tf_function("linalg.matmul")
def tf_matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
              a_is_sparse=False, b_is_sparse=False, output_type=None, grad_a=False,
              grad_b=False, name=None):
    if transpose_a or adjoint_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b or adjoint_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


@tf_function("nn.softmax")
def tf_softmax(logits, axis=None, name=None):
    return _softmax(logits, -1 if axis is None else axis)


@tf_function("nn.log_softmax")
def tf_log_softmax(logits, axis=None, name=None):
    return _log_softmax(logits, -1 if axis is None else axis)


@tf_function("cast")
def tf_cast(x, dtype, name=None):
    return np.asarray(x).astype(_dtype(dtype))


@tf_function("where")
def tf_where(condition, x=None, y=None, name=None):
    if x is None or y is None:
        raise NotImplementedError("tf.where with one argument (indices)")
    return np.where(condition, x, y)


@tf_function("clip_by_value")
def tf_clip_by_value(t, clip_value_min, clip_value_max, name=None):
    return np.minimum(np.maximum(t, clip_value_min), clip_value_max)


@tf_function("__operators__.getitem")
def tf_getitem(tensor, slice_spec, var=None):
    return np.asarray(tensor)[_index(slice_spec)]


@layer("TFOpLambda", "SlicingOpLambda")
def tf_op_layer(call):
    """fn(first argument, **kwargs), fn the TF function the config names."""
    fn = TF_FUNCTIONS.get(call.config["function"])
    if fn is None:
        raise NotImplementedError(f"no oracle entry for tf.{call.config['function']}")
    return [fn(*call.args, **call.kwargs)], [None]
