"""Graph walking on tiny hand-written model configs: Sequential, Keras 3 functional nodes
({"args", "kwargs"}) and Keras 2 nested-list nodes, with shared layers, several inputs and
outputs, and the two mask rules."""

import numpy as np
import pytest

from ..graph import evaluate
from ..model_files import ModelFile
from .util import arr, assert_close, seq


def tensor(layer, node=0, index=0):
    """A Keras 3 node argument referring to output `index` of `layer`'s node `node`."""
    return {"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, index]}}


def k3_node(*args, **kwargs):
    return {"args": list(args), "kwargs": kwargs}


def k2_node(*histories):
    return [[name, node, index, {}] for name, node, index in histories]


def input_layer(name):
    return {"class_name": "InputLayer", "name": name, "config": {"name": name},
            "inbound_nodes": []}


def functional(layers, inputs, outputs):
    return {"class_name": "Functional",
            "config": {"name": "model", "layers": layers, "input_layers": inputs,
                       "output_layers": outputs}}


DENSE = {"class_name": "Dense", "name": "d", "config": {"name": "d", "activation": "linear"}}
# Dense 'd': kernel [[1, 2], [3, 4]], bias [0.5, -0.5]:
#   d([1, 1])   = [1 + 3 + 0.5, 2 + 4 - 0.5]     = [4.5, 5.5]
#   d([10, 20]) = [10 + 60 + 0.5, 20 + 80 - 0.5] = [70.5, 99.5]
# Add 'sum' = d(a) + b = [4.5 + 10, 5.5 + 20] = [14.5, 25.5]
WEIGHTS = {"d": [arr([[1, 2], [3, 4]]), arr([0.5, -0.5])]}
A, B = arr([[1, 1]]), arr([[10, 20]])


@pytest.mark.parametrize("keras_major", [3, 2])
def test_functional_shared_layer(keras_major):
    # d is called twice (nodes 0 and 1). Keras 3 passes the Add its inputs as one list
    # argument; Keras 2 lists them as the node's inbound tensors.
    if keras_major == 3:
        d_nodes = [k3_node(tensor("a")), k3_node(tensor("b"))]
        add_node = k3_node([tensor("d", 0), tensor("b")])
    else:
        d_nodes = [k2_node(("a", 0, 0)), k2_node(("b", 0, 0))]
        add_node = k2_node(("d", 0, 0), ("b", 0, 0))
    add = {"class_name": "Add", "name": "sum", "config": {"name": "sum"},
           "inbound_nodes": [add_node]}
    cfg = functional([input_layer("a"), input_layer("b"), dict(DENSE, inbound_nodes=d_nodes), add],
                     [["a", 0, 0], ["b", 0, 0]], [["sum", 0, 0], ["d", 1, 0]])
    outs = evaluate(ModelFile(cfg, WEIGHTS, keras_major), [A, B])
    assert_close(outs[0], [[14.5, 25.5]])
    assert_close(outs[1], [[70.5, 99.5]])


def test_single_input_and_output_written_flat():
    # Keras 3 writes a single input or output as one triple, not a list of triples.
    d = dict(DENSE, inbound_nodes=[k3_node(tensor("a"))])
    cfg = functional([input_layer("a"), d], ["a", 0, 0], ["d", 0, 0])
    outs = evaluate(ModelFile(cfg, WEIGHTS, 3), [A])
    assert_close(outs[0], [[4.5, 5.5]])


def test_keras_version_picks_hard_sigmoid():
    # Dense(1, hard_sigmoid) with kernel 1 on x = 2.7: Keras 3 2.7/6 + 0.5 = 0.95;
    # Keras 2 clip(0.2 * 2.7 + 0.5) = clip(1.04) = 1.
    cfg = {"class_name": "Sequential", "config": {"name": "model", "layers": [
        input_layer("x"),
        {"class_name": "Dense", "config": {"name": "d", "activation": "hard_sigmoid",
                                           "use_bias": False}}]}}
    weights = {"d": [arr([[1.0]])]}
    assert_close(evaluate(ModelFile(cfg, weights, 3), [arr([[2.7]])])[0], [[0.95]])
    assert_close(evaluate(ModelFile(cfg, weights, 2), [arr([[2.7]])])[0], [[1.0]])


# SimpleRNN(1, linear) 'rnn': h' = x + 2h, no bias. On x = [1, 0, 3]:
#   unmasked: 1, 0 + 2 = 2, 3 + 4 = 7
#   step 2 masked: 1, 1 (carried), 3 + 2 = 5
RNN = {"class_name": "SimpleRNN", "name": "rnn",
       "config": {"name": "rnn", "units": 1, "activation": "linear", "use_bias": False,
                  "return_sequences": True}}
RNN_WEIGHTS = {"rnn": [arr([[1.0]]), arr([[2.0]])]}
MASKING = {"class_name": "Masking", "name": "mask", "config": {"name": "mask", "mask_value": 0.0}}
X = arr(seq(1, 0, 3))


def test_sequential_propagates_the_mask():
    cfg = {"class_name": "Sequential", "config": {"name": "model", "layers": [
        input_layer("x"), MASKING, RNN]}}
    assert_close(evaluate(ModelFile(cfg, RNN_WEIGHTS, 3), [X])[0], seq(1, 1, 5))


def _keras3_masked_rnn(rnn_kwargs):
    """x -> Masking, and the op nodes Keras 3 records for its mask: NotEqual(x, 0) -> Any."""
    ops = [{"class_name": "NotEqual", "module": "keras.src.ops.numpy", "name": "not_equal",
            "config": {"name": "not_equal"}, "inbound_nodes": [k3_node(tensor("x"), 0.0)]},
           {"class_name": "Any", "module": "keras.src.ops.numpy", "name": "any",
            "config": {"name": "any", "axis": -1, "keepdims": False},
            "inbound_nodes": [k3_node(tensor("not_equal"))]}]
    masking = dict(MASKING, inbound_nodes=[k3_node(tensor("x"))])
    rnn = dict(RNN, inbound_nodes=[k3_node(tensor("mask"), **rnn_kwargs)])
    return [input_layer("x")] + ops + [masking, rnn]


def test_keras3_applies_the_recorded_mask():
    layers = _keras3_masked_rnn({"mask": tensor("any")})
    cfg = functional(layers, [["x", 0, 0]], [["rnn", 0, 0]])
    assert_close(evaluate(ModelFile(cfg, RNN_WEIGHTS, 3), [X])[0], seq(1, 1, 5))


def test_keras3_without_recorded_mask_runs_unmasked():
    # Keras 3 writes no kwargs.mask for an RNN called with initial_state, and drops the mask.
    # From h0 = 1 on x = [1, 0, 3], unmasked: 1 + 2 = 3, 0 + 6 = 6, 3 + 12 = 15
    layers = [input_layer("h0")] + _keras3_masked_rnn({"initial_state": [tensor("h0")]})
    cfg = functional(layers, [["x", 0, 0], ["h0", 0, 0]], [["rnn", 0, 0]])
    out = evaluate(ModelFile(cfg, RNN_WEIGHTS, 3), [X, arr([[1.0]])])[0]
    assert_close(out, seq(3, 6, 15))


def test_keras2_propagates_the_mask_with_initial_state():
    # tf_keras: the initial state is an extra inbound tensor and the Masking mask propagates.
    # From h0 = 1: 3, step 2 masked (3 carried), 3 + 6 = 9
    masking = dict(MASKING, inbound_nodes=[k2_node(("x", 0, 0))])
    rnn = dict(RNN, inbound_nodes=[k2_node(("mask", 0, 0), ("h0", 0, 0))])
    cfg = functional([input_layer("x"), input_layer("h0"), masking, rnn],
                     [["x", 0, 0], ["h0", 0, 0]], [["rnn", 0, 0]])
    out = evaluate(ModelFile(cfg, RNN_WEIGHTS, 2), [X, arr([[1.0]])])[0]
    assert_close(out, seq(3, 3, 9))


def test_multiple_outputs_of_one_node():
    # return_state=True: outputs [sequence, state]; the state is output index 1.
    rnn = dict(RNN, config=dict(RNN["config"], return_state=True),
               inbound_nodes=[k3_node(tensor("x"))])
    cfg = functional([input_layer("x"), rnn], [["x", 0, 0]], [["rnn", 0, 1], ["rnn", 0, 0]])
    state, sequence = evaluate(ModelFile(cfg, RNN_WEIGHTS, 3), [X])
    assert_close(state, [[7.0]])
    assert np.shape(sequence) == (1, 3, 1)


# --------------------------------------------------------------------------------------------
# Ops inside graphs
# --------------------------------------------------------------------------------------------

def k3_op(cls, name, node, module="keras.src.ops.numpy", **config):
    return {"class_name": cls, "module": module, "name": name,
            "config": dict(config, name=name), "inbound_nodes": [node]}


def tf_op(function, name, node, cls="TFOpLambda"):
    return {"class_name": cls, "name": name,
            "config": {"name": name, "trainable": True, "dtype": "float32", "function": function},
            "inbound_nodes": [node]}


def test_keras3_op_and_layer_of_one_class_name():
    # The op Add(x, 1.0) and the layer Add([x, y]) are both class 'Add'; the module tells them
    # apart. x = [1, 2], y = [10, 20]: op -> [2, 3]; layer -> [11, 22].
    layers = [input_layer("x"), input_layer("y"),
              k3_op("Add", "add", k3_node(tensor("x"), 1.0)),
              {"class_name": "Add", "module": "keras.layers", "name": "plus",
               "config": {"name": "plus"}, "inbound_nodes": [k3_node([tensor("x"), tensor("y")])]}]
    cfg = functional(layers, [["x", 0, 0], ["y", 0, 0]], [["add", 0, 0], ["plus", 0, 0]])
    op_out, layer_out = evaluate(ModelFile(cfg, {}, 3), [arr([[1, 2]]), arr([[10, 20]])])
    assert_close(op_out, [[2, 3]])
    assert_close(layer_out, [[11, 22]])


def test_keras2_op_layer_node_forms():
    # tf.keras writes an op layer's first argument in its own structure:
    #   a single tensor is the entry itself      ["x", 0, 0, {"y": 1.0, "name": None}]
    #   a list is a list of entries              [["x", 0, 0, {...}], ["y", 0, 0, {...}]]
    #   a constant first argument                ["_CONSTANT_VALUE", -1, 2.0, {"y": [x]}]
    # x = [1, 2], y = [10, 20]:
    #   x + 1.0 = [2, 3];  concat([x, y], -1) = [1, 2, 10, 20];  2.0 - x = [1, 0]
    layers = [input_layer("x"), input_layer("y"),
              tf_op("__operators__.add", "tf.__operators__.add", ["x", 0, 0, {"y": 1.0, "name": None}]),
              tf_op("concat", "tf.concat", [["x", 0, 0, {"axis": -1}], ["y", 0, 0, {"axis": -1}]]),
              tf_op("math.subtract", "tf.math.subtract",
                    ["_CONSTANT_VALUE", -1, 2.0, {"y": ["x", 0, 0], "name": None}])]
    cfg = functional(layers, [["x", 0, 0], ["y", 0, 0]],
                     [["tf.__operators__.add", 0, 0], ["tf.concat", 0, 0],
                      ["tf.math.subtract", 0, 0]])
    add, cat, sub = evaluate(ModelFile(cfg, {}, 2), [arr([[1, 2]]), arr([[10, 20]])])
    assert_close(add, [[2, 3]])
    assert_close(cat, [[1, 2, 10, 20]])
    assert_close(sub, [[1, 0]])


def test_keras2_slicing_op_layer():
    # x[:, -1] of x (1, 2, 2) = [[1, 2], [3, 4]] -> [[3, 4]]
    spec = [{"start": None, "stop": None, "step": None}, -1]
    layers = [input_layer("x"),
              tf_op("__operators__.getitem", "tf.__operators__.getitem",
                    ["x", 0, 0, {"slice_spec": spec}], cls="SlicingOpLambda")]
    cfg = functional(layers, [["x", 0, 0]], [["tf.__operators__.getitem", 0, 0]])
    assert_close(evaluate(ModelFile(cfg, {}, 2), [arr([[[1, 2], [3, 4]]])])[0], [[3, 4]])


# SimpleRNN 'rnn' (h' = x + 2h, see RNN above) on x = [1, 5, 3]:
#   unmasked: 1, 5 + 2 = 7, 3 + 14 = 17
#   step 2 masked: 1, 1 (carried), 3 + 2 = 5
X_NZ = arr(seq(1, 5, 3))
M = arr([[1, 0, 1]])


def test_keras2_mask_from_an_op_in_the_kwargs():
    # rnn(x, mask=tf.math.not_equal(m, 0)): the mask is a tensor in the node's kwargs.
    ne = tf_op("math.not_equal", "tf.math.not_equal", ["m", 0, 0, {"y": 0}])
    rnn = dict(RNN, inbound_nodes=[[["x", 0, 0, {"mask": ["tf.math.not_equal", 0, 0]}]]])
    cfg = functional([input_layer("x"), input_layer("m"), ne, rnn],
                     [["x", 0, 0], ["m", 0, 0]], [["rnn", 0, 0]])
    assert_close(evaluate(ModelFile(cfg, RNN_WEIGHTS, 2), [X_NZ, M])[0], seq(1, 1, 5))


def test_keras3_mask_from_an_op():
    ne = k3_op("NotEqual", "not_equal", k3_node(tensor("m"), 0))
    rnn = dict(RNN, inbound_nodes=[k3_node(tensor("x"), mask=tensor("not_equal"))])
    cfg = functional([input_layer("x"), input_layer("m"), ne, rnn],
                     [["x", 0, 0], ["m", 0, 0]], [["rnn", 0, 0]])
    assert_close(evaluate(ModelFile(cfg, RNN_WEIGHTS, 3), [X_NZ, M])[0], seq(1, 1, 5))


def test_keras2_op_drops_the_mask():
    # Masking -> x * 2 (math.multiply) -> rnn. x = [1, 0, 3] masks step 2, but the op's
    # output carries no mask: the rnn runs unmasked on [2, 0, 6]: 2, 0 + 4 = 4, 6 + 8 = 14
    # (with the mask it would be 2, 2, 6 + 4 = 10).
    masking = dict(MASKING, inbound_nodes=[[["x", 0, 0, {}]]])
    mul = tf_op("math.multiply", "tf.math.multiply", ["mask", 0, 0, {"y": 2.0}])
    rnn = dict(RNN, inbound_nodes=[[["tf.math.multiply", 0, 0, {}]]])
    cfg = functional([input_layer("x"), masking, mul, rnn], [["x", 0, 0]], [["rnn", 0, 0]])
    assert_close(evaluate(ModelFile(cfg, RNN_WEIGHTS, 2), [X])[0], seq(2, 4, 14))


# Mask clearing: x (1, 2, 4) = [[a, 0, 0, 0], 0] -> Masking 'mask' (mask [T, F]) -> self-
# attention 'mha' (one head, key_dim 4, identity projections); then Add 'add' [mask, mha].
# Probes report the mask their input carries when they run: 1/0 per step, or -1 for none.
# 'mha' itself: row 0 sees step 0 only -> [a, 0, 0, 0]; row 1 is fully masked: Keras 3's
# dot-product path and tf_keras's -1e9 (on equal scores 0) both weigh the two steps 1/2 ->
# [a/2, 0, 0, 0].
ALPHA = 1.5
MHA = {"class_name": "MultiHeadAttention", "name": "mha",
       "config": {"name": "mha", "num_heads": 1, "key_dim": 4}}
MHA_WEIGHTS = ([np.eye(4)[:, None, :], np.zeros((1, 4))] * 3
               + [np.eye(4)[None], np.zeros(4)])


def _probe(call):
    m = call.input_masks[0]
    return [np.full((1, 2), -1.0) if m is None else m.astype(np.float64)], [None]


@pytest.mark.parametrize("keras_major", [3, 2])
def test_multi_head_attention_clears_its_inputs_masks_in_keras3(monkeypatch, keras_major):
    from ..registry import LAYERS
    monkeypatch.setitem(LAYERS, "Probe", _probe)

    def node(*names, **kwargs):
        if keras_major == 3:
            args = [tensor(n) for n in names]
            return k3_node([args[0], args[1]] if kwargs.get("merge") else args[0],
                           *([] if kwargs.get("merge") else args[1:]))
        entries = [[n, 0, 0, {}] for n in names]
        if kwargs.get("value"):                     # tf_keras: value as a call kwarg
            entries = [[names[0], 0, 0, {"value": [kwargs["value"], 0, 0]}]]
        return entries

    def probe(name, source):
        return {"class_name": "Probe", "name": name, "config": {"name": name},
                "inbound_nodes": [node(source)]}
    layers = [input_layer("x"),
              dict(MASKING, inbound_nodes=[node("x")]),
              probe("before", "mask"),
              dict(MHA, inbound_nodes=[node("mask", "mask") if keras_major == 3
                                       else node("mask", value="mask")]),
              probe("after", "mask"),
              {"class_name": "Add", "name": "add", "config": {"name": "add"},
               "inbound_nodes": [node("mask", "mha", merge=True)]},
              probe("sum", "add")]
    cfg = functional(layers, [["x", 0, 0]],
                     [["mha", 0, 0], ["before", 0, 0], ["after", 0, 0], ["sum", 0, 0]])
    x = arr([[[ALPHA, 0, 0, 0], [0, 0, 0, 0]]])
    out, before, after, total = evaluate(ModelFile(cfg, {"mha": MHA_WEIGHTS}, keras_major), [x])
    assert_close(out, [[[ALPHA, 0, 0, 0], [ALPHA / 2, 0, 0, 0]]])
    assert_close(before, [[1, 0]])
    if keras_major == 3:
        # cleared: the probe after 'mha' sees no mask, and Add (one input without a mask)
        # gives none.
        assert_close(after, [[-1, -1]])
        assert_close(total, [[-1, -1]])
    else:
        # tf_keras keeps it; Add ANDs [T, F] with mha's (the query's) [T, F].
        assert_close(after, [[1, 0]])
        assert_close(total, [[1, 0]])
