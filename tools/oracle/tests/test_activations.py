"""Activation tables: exact values at points where each function is simple."""

import numpy as np
import pytest

from ..activations import BY_KERAS, KERAS2, KERAS3

X = np.array([-3.5, -3.0, -1.0, 0.0, 2.7, 3.5])


def test_hard_sigmoid_keras3():
    # relu6(x + 3) / 6 = clip(x/6 + 1/2, 0, 1)
    # -3.5 -> 0; -3 -> 0; -1 -> 1/3; 0 -> 1/2; 2.7 -> 0.45 + 0.5 = 0.95; 3.5 -> 1
    np.testing.assert_allclose(KERAS3["hard_sigmoid"](X), [0, 0, 1 / 3, 0.5, 0.95, 1],
                               rtol=0, atol=1e-15)


def test_hard_sigmoid_keras2():
    # clip(0.2x + 0.5, 0, 1): -3.5 -> -0.2 -> 0; -3 -> -0.1 -> 0; -1 -> 0.3; 0 -> 0.5;
    # 2.7 -> 1.04 -> 1; 3.5 -> 1.2 -> 1
    np.testing.assert_allclose(KERAS2["hard_sigmoid"](X), [0, 0, 0.3, 0.5, 1, 1],
                               rtol=0, atol=1e-15)


def test_tables_differ_only_in_hard_sigmoid():
    assert BY_KERAS[2] is KERAS2 and BY_KERAS[3] is KERAS3
    assert {k for k in KERAS3 if KERAS2[k] is not KERAS3[k]} == {"hard_sigmoid"}


@pytest.mark.parametrize("name, x, want", [
    ("relu6", 7.0, 6.0),
    ("hard_tanh", -2.0, -1.0),
    ("soft_shrink", 2.0, 1.5),            # x - 0.5 above the 0.5 threshold
    ("soft_shrink", -0.3, 0.0),
    ("hard_shrink", 0.3, 0.0),
    ("hard_shrink", -0.7, -0.7),
    ("sparse_plus", 0.0, 0.25),           # (x + 1)^2 / 4 on (-1, 1)
    ("sparse_sigmoid", 0.5, 0.75),        # (x + 1) / 2 on (-1, 1)
    ("squareplus", 0.0, 1.0),             # (x + sqrt(x^2 + 4)) / 2
    ("hard_silu", 3.0, 3.0),              # x * hard_sigmoid(x), hard_sigmoid(3) = 1
    ("tanh_shrink", 0.0, 0.0),
    ("log_sigmoid", 0.0, -np.log(2.0)),   # -softplus(-x)
    ("leaky_relu", -1.0, -float(np.float32(0.2))),   # TF keeps the slope a float32
    ("gelu", 0.0, 0.0),
    ("selu", 1.0, 1.0507009873554804934193349852946),
])
def test_activation_values(name, x, want):
    np.testing.assert_allclose(KERAS3[name](np.array([x])), [want], rtol=0, atol=1e-15)


def test_softmax_rows():
    # exp([0, ln 2, ln 3]) = [1, 2, 3], over their sum 6
    got = KERAS3["softmax"](np.array([[0.0, np.log(2.0), np.log(3.0)], [5.0, 5.0, 5.0]]))
    np.testing.assert_allclose(got, [[1 / 6, 2 / 6, 3 / 6], [1 / 3, 1 / 3, 1 / 3]],
                               rtol=0, atol=1e-15)
