"""The op entries on cases small enough to work out by hand: Keras 3 op nodes (called as
`fn(config, *args, **kwargs)`) and tf.keras TFOpLambda / SlicingOpLambda functions (called with
the first argument and the keyword arguments, by TensorFlow's parameter names). The expected
numbers are literals derived in the comments, never the oracle's own output."""

import math

import numpy as np
import pytest

from ..registry import LayerCall, call_layer, call_op, op
from .util import arr, assert_close


def k3(class_name, config, *args, **kwargs):
    """The one output of Keras 3 op `class_name` called with args / kwargs."""
    outs, masks = call_op(LayerCall(class_name, config, [], [], None, None, {},
                                    args=list(args), kwargs=kwargs))
    assert masks == [None]
    return outs[0]


def tf(function, first, **kwargs):
    """The one output of a tf.keras op layer wrapping tf.<function>."""
    outs, masks = call_layer(LayerCall("TFOpLambda", {"function": function}, [], [], None, None,
                                       {}, args=[first], kwargs=kwargs))
    assert masks == [None]
    return outs[0]


X = arr([[1.0, -0.5]])


# --------------------------------------------------------------------------------------------
# Keras 3: arithmetic with tensors and constants on either side
# --------------------------------------------------------------------------------------------

def test_constant_on_either_side():
    # Subtract(2.5, x) = 2.5 - [1, -0.5] = [1.5, 3.0]; Subtract(x, 2.5) = [-1.5, -3.0]
    assert_close(k3("Subtract", {}, 2.5, X), [[1.5, 3.0]])
    assert_close(k3("Subtract", {}, X, 2.5), [[-1.5, -3.0]])
    # Add(2, x) = [3, 1.5]; Multiply(x, 3) = [3, -1.5]
    assert_close(k3("Add", {}, 2, X), [[3.0, 1.5]])
    assert_close(k3("Multiply", {}, X, 3), [[3.0, -1.5]])
    # Divide(1, x) = [1/1, 1/-0.5] = [1, -2]; TrueDivide(x, 4) = [0.25, -0.125]
    assert_close(k3("Divide", {}, 1, X), [[1.0, -2.0]])
    assert_close(k3("TrueDivide", {}, X, 4), [[0.25, -0.125]])


def test_broadcasting():
    # (1,2,2) - (1,1,2): [[1, 2], [3, 4]] - [10, 20] on every step = [[-9, -18], [-7, -16]]
    x, y = arr([[[1, 2], [3, 4]]]), arr([[[10, 20]]])
    assert_close(k3("Subtract", {}, x, y), [[[-9, -18], [-7, -16]]])
    assert_close(k3("Subtract", {}, y, x), [[[9, 18], [7, 16]]])


def test_power_and_negative():
    # (-2)^2 = 4, 3^2 = 9 (a negative base with an integer exponent is fine)
    assert_close(k3("Power", {}, arr([[-2, 3]]), 2), [[4, 9]])
    # 2^-1 = 0.5, 2^3 = 8 (a constant base)
    assert_close(k3("Power", {}, 2.0, arr([[-1, 3]])), [[0.5, 8]])
    # 4^0.5 = 2, 9^0.5 = 3
    assert_close(k3("Power", {}, arr([[4, 9]]), 0.5), [[2, 3]])
    assert_close(k3("Negative", {}, X), [[-1.0, 0.5]])


def test_integers_stay_integers_until_a_float_enters():
    t = np.array([[1, 2]], dtype=np.int32)
    plus = k3("Add", {}, t, 1)
    assert plus.dtype.kind == "i" and plus.tolist() == [[2, 3]]
    # true division and a float constant give floats: [1/4, 2/4], [3 * 0.5]
    assert_close(k3("TrueDivide", {}, t, 4), [[0.25, 0.5]])
    assert k3("Multiply", {}, np.array([[3]], np.int32), 0.5).tolist() == [[1.5]]


# --------------------------------------------------------------------------------------------
# Keras 3: element-wise functions, softmax
# --------------------------------------------------------------------------------------------

LN2, LN3 = math.log(2.0), math.log(3.0)


def test_unary_functions():
    assert_close(k3("Absolute", {}, arr([[-1.5, 2]])), [[1.5, 2]])
    assert_close(k3("Square", {}, arr([[-3, 0.5]])), [[9, 0.25]])
    assert_close(k3("Sqrt", {}, arr([[4, 0.25]])), [[2, 0.5]])
    assert_close(k3("Exp", {}, arr([[0, 1]])), [[1, 2.718281828459045]])
    assert_close(k3("Log", {}, arr([[1, 2.718281828459045]])), [[0, 1]])
    # tanh(ln 3) = (3 - 1/3) / (3 + 1/3) = 0.8; sigmoid(ln 3) = 1 / (1 + 1/3) = 0.75
    assert_close(k3("Tanh", {}, arr([[0, LN3]])), [[0, 0.8]])
    assert_close(k3("Sigmoid", {}, arr([[0, LN3]])), [[0.5, 0.75]])
    assert_close(k3("Relu", {}, arr([[-1, 2]])), [[0, 2]])


# x (1, 2, 2) = [[0, ln 3], [ln 2, ln 2]]; exp: [[1, 3], [2, 2]]
SOFT_X = arr([[[0, LN3], [LN2, LN2]]])


def test_softmax_on_features_and_time():
    # last axis: [1, 3] / 4 and [2, 2] / 4
    assert_close(k3("Softmax", {"axis": -1}, SOFT_X), [[[0.25, 0.75], [0.5, 0.5]]])
    # time axis: column 0 [1, 2] / 3, column 1 [3, 2] / 5
    assert_close(k3("Softmax", {"axis": 1}, SOFT_X), [[[1 / 3, 0.6], [2 / 3, 0.4]]])


def test_log_softmax():
    # ln(1/4) = -1.3862943611198906, ln(3/4) = -0.2876820724517809, ln(1/2)
    assert_close(k3("LogSoftmax", {"axis": -1}, SOFT_X),
                 [[[-1.3862943611198906, -0.2876820724517809],
                   [-0.6931471805599453, -0.6931471805599453]]])


# --------------------------------------------------------------------------------------------
# Keras 3: reductions
# --------------------------------------------------------------------------------------------

R = arr([[[1, 2, 3], [4, 5, 6]]])   # (1, 2, 3)


def test_reductions():
    # over time: [(1+4)/2, (2+5)/2, (3+6)/2]; over time and features: 21 / 6
    assert_close(k3("Mean", {"axis": 1, "keepdims": False}, R), [[2.5, 3.5, 4.5]])
    assert_close(k3("Mean", {"axis": [1, 2], "keepdims": False}, R), [3.5])
    # row sums 6 and 15, kept as (1, 2, 1)
    assert_close(k3("Sum", {"axis": -1, "keepdims": True}, R), [[[6], [15]]])
    assert_close(k3("Max", {"axis": 1, "keepdims": False}, R), [[4, 5, 6]])
    assert_close(k3("Min", {"axis": [-2, -1], "keepdims": True}, R), [[[1]]])


def test_any_all():
    b = np.array([[[True, False], [False, False]]])
    assert k3("Any", {"axis": -1}, b).tolist() == [[True, False]]
    assert k3("All", {"axis": 1, "keepdims": True}, b).tolist() == [[[False, False]]]
    assert k3("Any", {"axis": [1, 2]}, b).tolist() == [True]


# --------------------------------------------------------------------------------------------
# Keras 3: joining and reshaping
# --------------------------------------------------------------------------------------------

def test_concatenate_and_stack():
    a, b = arr([[[1, 2]]]), arr([[[3]]])
    assert_close(k3("Concatenate", {"axis": -1}, [a, b]), [[[1, 2, 3]]])
    p, q = arr([[1, 2]]), arr([[3, 4]])
    # stack on axis 1: (1, 2, 2) rows p then q; on axis -1: pairs (p_i, q_i)
    assert_close(k3("Stack", {"axis": 1}, [p, q]), [[[1, 2], [3, 4]]])
    assert_close(k3("Stack", {"axis": -1}, [p, q]), [[[1, 3], [2, 4]]])


def test_expand_squeeze_reshape_transpose():
    p = arr([[1, 2]])
    assert k3("ExpandDims", {"axis": 1}, p).shape == (1, 1, 2)
    assert k3("ExpandDims", {"axis": -1}, p).shape == (1, 2, 1)
    assert k3("Squeeze", {"axis": 1}, arr([[[1, 2]]])).tolist() == [[1, 2]]
    # axis None: every extent-1 axis of (2, 1, 3, 1)
    assert k3("Squeeze", {"axis": None}, np.zeros((2, 1, 3, 1))).shape == (2, 3)
    m = arr([[[1, 2], [3, 4]]])
    assert_close(k3("Reshape", {"newshape": [-1, 4]}, m), [[1, 2, 3, 4]])
    assert_close(k3("Transpose", {"axes": [0, 2, 1]}, m), [[[1, 3], [2, 4]]])


def test_matmul():
    # [[1, 2], [3, 4]] @ [[5], [6]] = [[1*5 + 2*6], [3*5 + 4*6]] = [[17], [39]]
    assert_close(k3("Matmul", {}, arr([[[1, 2], [3, 4]]]), arr([[[5], [6]]])), [[[17], [39]]])


# --------------------------------------------------------------------------------------------
# Slicing, as Keras 3 (GetItem) and tf.keras (SlicingOpLambda) serialize it
# --------------------------------------------------------------------------------------------

G = np.arange(10, dtype=np.float64).reshape(1, 5, 2)   # G[0, t, f] = 2t + f


def k3_slice(start, stop, step):
    return {"class_name": "__slice__", "config": {"start": start, "stop": stop, "step": step}}


ALL = k3_slice(None, None, None)
ELLIPSIS = {"class_name": "__ellipsis__"}


def test_getitem_slices():
    # t = 1, 3
    assert_close(k3("GetItem", {}, G, [ALL, k3_slice(1, 4, 2)]), [[[2, 3], [6, 7]]])
    # step -2 from the end: t = 4, 2, 0
    assert_close(k3("GetItem", {}, G, [ALL, k3_slice(None, None, -2)]),
                 [[[8, 9], [4, 5], [0, 1]]])
    # start -10 is clamped to 0, stop 2: t = 0, 1
    assert_close(k3("GetItem", {}, G, [ALL, k3_slice(-10, 2, None)]), [[[0, 1], [2, 3]]])


def test_getitem_indices_none_ellipsis():
    assert_close(k3("GetItem", {}, G, [ALL, -1, ALL]), [[8, 9]])
    assert_close(k3("GetItem", {}, G, [ALL, 2]), [[4, 5]])
    # x[..., None, 0:1]: (1, 5, 1, 1), feature 0 of every step
    got = k3("GetItem", {}, G, [ELLIPSIS, None, k3_slice(0, 1, None)])
    assert got.shape == (1, 5, 1, 1) and got.ravel().tolist() == [0, 2, 4, 6, 8]
    # x[..., -1]: feature 1 of every step
    assert_close(k3("GetItem", {}, G, [ELLIPSIS, -1]), [[1, 3, 5, 7, 9]])


def test_tf_slice_spec():
    # tf.keras writes slices as {start, stop, step}; a single Ellipsis is not a list
    spec = [{"start": None, "stop": None, "step": None}, {"start": 3, "stop": 0, "step": -2}]
    assert_close(tf("__operators__.getitem", G, slice_spec=spec), [[[6, 7], [2, 3]]])
    assert_close(tf("__operators__.getitem", G, slice_spec=ELLIPSIS), G)
    assert_close(tf("__operators__.getitem", G,
                    slice_spec=[{"start": None, "stop": None, "step": None}, 1]), [[2, 3]])


# --------------------------------------------------------------------------------------------
# Comparisons, logic, cast, where, clip, maximum / minimum
# --------------------------------------------------------------------------------------------

def test_comparisons_and_logic():
    a, b = arr([[1, 2, 0]]), arr([[1, 3, -1]])
    assert k3("Equal", {}, a, b).tolist() == [[True, False, False]]
    assert k3("NotEqual", {}, a, 0).tolist() == [[True, True, False]]
    assert k3("Greater", {}, a, b).tolist() == [[False, False, True]]
    assert k3("Less", {}, a, 1.5).tolist() == [[True, False, True]]
    p, q = np.array([[True, True, False]]), np.array([[True, False, False]])
    assert k3("LogicalAnd", {}, p, q).tolist() == [[True, False, False]]
    assert k3("LogicalOr", {}, p, q).tolist() == [[True, True, False]]


def test_cast():
    # to int32 toward zero: -1.7 -> -1, 1.7 -> 1; to bool: only 0 is False
    assert k3("Cast", {"dtype": "int32"}, arr([[-1.7, 1.7]])).tolist() == [[-1, 1]]
    assert k3("Cast", {"dtype": "bool"}, arr([[0, -0.5]])).tolist() == [[False, True]]
    floats = k3("Cast", {"dtype": "float32"}, np.array([[True, False]]))
    assert floats.dtype == np.float64 and floats.tolist() == [[1.0, 0.0]]


def test_where_clip_maximum_minimum():
    cond = np.array([[True, False]])
    assert_close(k3("Where", {}, cond, arr([[1, 2]]), 0.5), [[1, 0.5]])
    assert_close(k3("Where", {}, cond, 0.5, arr([[1, 2]])), [[0.5, 2]])
    assert_close(k3("Clip", {"x_min": -0.5, "x_max": 0.5}, arr([[-1, 0.25, 2]])),
                 [[-0.5, 0.25, 0.5]])
    assert_close(k3("Maximum", {}, arr([[0, 1]]), 0.1), [[0.1, 1]])
    assert_close(k3("Minimum", {}, 0.1, arr([[0, 1]])), [[0, 0.1]])


def test_unknown_op_is_named():
    with pytest.raises(NotImplementedError, match="Cumsum"):
        k3("Cumsum", {}, X)


def test_registering_an_op_twice_fails():
    with pytest.raises(ValueError, match="two oracle entries for op Add"):
        op("Add")(lambda cfg, x1, x2: None)


# --------------------------------------------------------------------------------------------
# tf.keras: TF functions by their config names and TensorFlow's parameter names
# --------------------------------------------------------------------------------------------

def test_tf_arithmetic():
    assert_close(tf("__operators__.add", X, y=1.0, name=None), [[2.0, 0.5]])
    # a constant first argument: subtract(2.5, x)
    assert_close(tf("math.subtract", 2.5, y=X, name=None), [[1.5, 3.0]])
    assert_close(tf("math.multiply", X, y=X), [[1.0, 0.25]])
    assert_close(tf("math.pow", X, y=2), [[1.0, 0.25]])
    # truediv of int32 gives floats: [1/4, 6/4]
    assert_close(tf("math.truediv", np.array([[1, 6]], np.int32), y=4), [[0.25, 1.5]])
    assert_close(tf("math.negative", X, name=None), [[-1.0, 0.5]])
    assert_close(tf("nn.relu", X, name=None), [[1.0, 0.0]])


def test_tf_reductions_and_softmax():
    assert_close(tf("math.reduce_mean", R, axis=1), [[2.5, 3.5, 4.5]])
    assert_close(tf("math.reduce_sum", R, axis=[1, 2], keepdims=True), [[[21]]])
    assert_close(tf("math.reduce_max", R, axis=-1), [[3, 6]])
    # nn.softmax without an axis: the last one
    assert_close(tf("nn.softmax", SOFT_X), [[[0.25, 0.75], [0.5, 0.5]]])
    assert_close(tf("nn.softmax", SOFT_X, axis=1), [[[1 / 3, 0.6], [2 / 3, 0.4]]])
    assert_close(tf("nn.log_softmax", SOFT_X)[0, 0], [-1.3862943611198906,
                                                      -0.2876820724517809])


def test_tf_shapes():
    a, b = arr([[[1, 2]]]), arr([[[3]]])
    assert_close(tf("concat", [a, b], axis=-1), [[[1, 2, 3]]])
    p, q = arr([[1, 2]]), arr([[3, 4]])
    assert_close(tf("stack", [p, q], axis=1), [[[1, 2], [3, 4]]])
    assert tf("expand_dims", p, axis=-1).shape == (1, 2, 1)
    assert tf("compat.v1.squeeze", np.zeros((2, 1, 3)), axis=1, name=None).shape == (2, 3)
    assert tf("compat.v1.squeeze", np.zeros((2, 1, 3)), squeeze_dims=[1]).shape == (2, 3)
    m = arr([[[1, 2], [3, 4]]])
    assert_close(tf("reshape", m, shape=[-1, 4]), [[1, 2, 3, 4]])
    assert_close(tf("compat.v1.transpose", m, perm=[0, 2, 1], name="transpose",
                    conjugate=False), [[[1, 3], [2, 4]]])
    # matrix_transpose swaps only the last two axes: (1, 1, 2, 3) -> (1, 1, 3, 2)
    q4 = np.arange(6, dtype=np.float64).reshape(1, 1, 2, 3)
    assert_close(tf("linalg.matrix_transpose", q4), [[[[0, 3], [1, 4], [2, 5]]]])


def test_tf_matmul_transposes():
    a = arr([[[1, 2], [3, 4]]])
    # a @ a^T = [[1+4, 3+8], [3+8, 9+16]] = [[5, 11], [11, 25]]
    assert_close(tf("linalg.matmul", a, b=a, transpose_b=True), [[[5, 11], [11, 25]]])
    # a^T @ a = [[1+9, 2+12], [2+12, 4+16]] = [[10, 14], [14, 20]]
    assert_close(tf("linalg.matmul", a, b=a, transpose_a=True), [[[10, 14], [14, 20]]])


def test_tf_logic_cast_where_clip():
    assert tf("math.not_equal", arr([[0, 2]]), y=0).tolist() == [[False, True]]
    assert tf("math.logical_and", np.array([[True, True]]),
              y=np.array([[True, False]]), name=None).tolist() == [[True, False]]
    assert tf("cast", arr([[-1.7, 0]]), dtype="int32").tolist() == [[-1, 0]]
    assert_close(tf("where", np.array([[True, False]]), x=arr([[1, 2]]), y=0.5), [[1, 0.5]])
    assert_close(tf("clip_by_value", arr([[-1, 2]]), clip_value_min=-0.5, clip_value_max=0.5),
                 [[-0.5, 0.5]])


def test_tf_unknown_keyword_or_function_fails():
    # A keyword the TF function does not take fails as in Python.
    with pytest.raises(TypeError):
        tf("math.reduce_mean", R, axes=1)
    with pytest.raises(NotImplementedError, match="tf.math.cumsum"):
        tf("math.cumsum", R, axis=1)


def _op(name, config, *args, **kwargs):
    (value,), masks = call_op(LayerCall(name, config, [], list(args), None, None, {},
                                        args=list(args), kwargs=kwargs))
    assert masks == [None]                      # ops carry no masks
    return value


def test_mask_op_nodes():
    # Keras 3 writes Masking / Embedding(mask_zero) masks as NotEqual -> Any nodes, and
    # Attention's compute_mask as ConvertToTensor.
    x = np.array([[[0.0, 0.0], [0.0, 2.0]]])
    ne = _op("NotEqual", {}, x, 0.0)
    assert ne.tolist() == [[[False, False], [False, True]]]
    anyv = _op("Any", {"axis": -1, "keepdims": False}, ne)
    assert anyv.tolist() == [[False, True]]
    cast = _op("Cast", {"dtype": "bool"}, np.array([[0.0, 1.0]]))
    assert cast.dtype == bool and cast.tolist() == [[False, True]]
    either = _op("LogicalOr", {}, ne, np.array([[[True, False]]]))
    assert either.tolist() == [[[True, False], [True, True]]]
    same = _op("ConvertToTensor", {"dtype": None}, anyv)
    assert same.dtype == bool and same.tolist() == [[False, True]]
    floats = _op("ConvertToTensor", {"dtype": "float32"}, anyv)
    assert floats.dtype.kind == "f" and floats.tolist() == [[0.0, 1.0]]   # floats run in float64


def test_concatenate_mask_op_nodes():
    # Keras 3 Concatenate.compute_mask: ones_like(x, dtype="bool") for an input without a mask,
    # expand_dims of a (batch, time) mask, then concatenate and any. zeros_like keeps x's dtype
    # when the op names none.
    ones = _op("OnesLike", {"dtype": "bool"}, np.array([[2.0, 0.0]]))
    assert ones.dtype == bool and ones.tolist() == [[True, True]]
    zeros = _op("ZerosLike", {"dtype": None}, np.array([[True, False]]))
    assert zeros.dtype == bool and zeros.tolist() == [[False, False]]
    floats = _op("ZerosLike", {"dtype": "float32"}, np.array([[1, 2]]))
    assert floats.dtype.kind == "f" and floats.tolist() == [[0.0, 0.0]]
    wide = _op("ExpandDims", {"axis": -1}, np.array([[True, False]]))
    assert wide.shape == (1, 2, 1)

