"""Merge layers: Add, Subtract, Multiply, Average, Maximum, Minimum (element-wise with
broadcasting), Concatenate, Dot, with their masks as each Keras version computes them.

Element-wise (`keras/src/layers/merging/base_merge.py`, `tf_keras/.../base_merge.py`): inputs
of lower rank get axes inserted at axis 1 until the ranks agree (`Merge.call`,
`_reshape_required`), then NumPy broadcasting. Output mask: Keras 3 `Merge.compute_mask` ORs
the masks when every input has one, else None; tf.keras ANDs the masks present. Keras 3 also
lets the masks change the values: Maximum and Minimum (`_apply_merge_op_and_or_mask`) take the
other operand where an input is masked, Multiply (`multiply.py`) counts a masked element as 1
and zeroes the product where every input is masked (only when every input has a mask). The
masks used there are the ones the tensors carry inside `call`; an input Keras expanded to a
higher rank is a new tensor without one.

Concatenate (`concatenate.py`): each mask widened to its input (an unmasked input: all true;
Keras 3 broadcasts the expanded mask over the input, tf.keras only adds the axis), joined
along the axis, reduced over the last axis with any (Keras 3) or all (tf.keras).

Dot (`dot.py`): Keras's batch_dot; normalize is `x * min(rsqrt(sum x^2), 1/1e-7)` in Keras 3
(`ops.nn.normalize`) and `x * rsqrt(max(sum x^2, 1e-12))` in tf.keras
(`tf.linalg.l2_normalize`). No mask comes out."""

import functools

import numpy as np

from ..registry import layer

_PLAIN = {
    "Add": lambda xs: functools.reduce(np.add, xs),
    "Subtract": lambda xs: xs[0] - xs[1],
    "Multiply": lambda xs: functools.reduce(np.multiply, xs),
    "Average": lambda xs: functools.reduce(np.add, xs) / len(xs),
    "Maximum": lambda xs: functools.reduce(np.maximum, xs),
    "Minimum": lambda xs: functools.reduce(np.minimum, xs),
}


def _spread(mask, x):
    """ops.broadcast_to(ops.expand_dims(mask, -1), x.shape)."""
    return None if mask is None else np.broadcast_to(np.asarray(mask, bool)[..., None], x.shape)


def _extremum(op, xs, masks):
    """Keras 3 `_apply_merge_op_and_or_mask`."""
    output, output_mask = None, None
    for x, m in zip(xs, masks):
        m = _spread(m, x)
        if output is None:
            output, output_mask = x, m
            continue
        if m is not None:
            x = np.where(m, x, output)
        if output_mask is not None:
            output = np.where(output_mask, output, x)
        output_mask = (output_mask | m) if (m is not None and output_mask is not None) else None
        output = op(output, x)
    return output


def _product(xs, masks):
    """Keras 3 `Multiply._merge_function`."""
    every = all(m is not None for m in masks)
    output, either = None, None
    for x, m in zip(xs, masks):
        m = _spread(m, x)
        if m is not None:
            x = np.where(m, x, 1.0)
            if every:
                either = m if either is None else either | m
        output = x if output is None else output * x
    return np.where(either, output, 0.0) if every else output


@layer(*_PLAIN)
def elementwise(call):
    ranks = [np.ndim(x) for x in call.inputs]
    top = max(ranks)
    xs = []
    for x, r in zip(call.inputs, ranks):
        for _ in range(top - r):
            x = np.expand_dims(x, 1)
        xs.append(x)
    masks = call.masks
    if call.keras_major >= 3:
        carried = [m if r == top else None for m, r in zip(masks, ranks)]
        if call.class_name in ("Maximum", "Minimum"):
            y = _extremum(np.maximum if call.class_name == "Maximum" else np.minimum, xs, carried)
        elif call.class_name == "Multiply":
            y = _product(xs, carried)
        else:
            y = _PLAIN[call.class_name](xs)
        out_mask = (None if any(m is None for m in masks)
                    else functools.reduce(np.logical_or, [np.asarray(m, bool) for m in masks]))
    else:
        y = _PLAIN[call.class_name](xs)
        present = [np.asarray(m, bool) for m in masks if m is not None]
        out_mask = functools.reduce(np.logical_and, present) if present else None
    return [y], [out_mask]


@layer("Concatenate")
def concatenate(call):
    axis = call.config.get("axis", -1)
    xs = call.inputs
    masks = call.masks
    if all(m is None for m in masks):
        return [np.concatenate(xs, axis=axis)], [None]
    widened = []
    for x, m in zip(xs, masks):
        if m is None:
            widened.append(np.ones(np.shape(x), bool))
        elif np.ndim(m) < np.ndim(x):
            e = np.asarray(m, bool)[..., None]
            widened.append(np.broadcast_to(e, np.shape(x)) if call.keras_major >= 3 else e)
        else:
            widened.append(np.asarray(m, bool))
    joined = np.concatenate(widened, axis=axis)    # tf.keras: fails where the shapes differ
    reduce = np.any if call.keras_major >= 3 else np.all
    return [np.concatenate(xs, axis=axis)], [reduce(joined, axis=-1)]


def _normalize(x, axis, keras_major):
    ss = np.sum(np.square(x), axis=axis, keepdims=True)
    if keras_major >= 3:
        return x * np.minimum(1.0 / np.sqrt(ss), 1.0 / 1e-7)
    return x * (1.0 / np.sqrt(np.maximum(ss, 1e-12)))


def dot_axes(axes, nx, ny):
    """Dot's axes resolved against ranks nx, ny (batch included) as `Dot._merge_function`
    does: negative ones are taken modulo the rank."""
    if isinstance(axes, int):
        return [axes % nx, axes % ny] if axes < 0 else [axes, axes]
    return [a % n if a < 0 else a for a, n in zip(axes, (nx, ny))]


def batch_dot(x, y, a, b):
    """Keras's batch_dot: for each batch row, the sum over axis a of x and b of y; the result
    has x's other axes then y's; a result of rank 1 becomes (batch, 1)."""
    if 0 in (a, b):
        raise ValueError("Dot cannot sum over the batch axis")
    xt = np.moveaxis(x, a, -1)
    yt = np.moveaxis(y, b, 1)
    xo, yo = xt.shape[1:-1], yt.shape[2:]
    r = np.matmul(xt.reshape(xt.shape[0], -1, xt.shape[-1]), yt.reshape(yt.shape[0], yt.shape[1], -1))
    r = r.reshape((x.shape[0],) + xo + yo)
    return r.reshape(x.shape[0], 1) if r.ndim == 1 else r


@layer("Dot")
def dot(call):
    x, y = call.inputs
    a, b = dot_axes(call.config["axes"], np.ndim(x), np.ndim(y))
    if call.config.get("normalize", False):
        x, y = _normalize(x, a, call.keras_major), _normalize(y, b, call.keras_major)
    return [batch_dot(x, y, a, b)], [None]
