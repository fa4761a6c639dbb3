"""Attention layers: Attention, AdditiveAttention, MultiHeadAttention, GroupQueryAttention.

From keras/src/layers/attention/*.py, keras/src/layers/activations/softmax.py and
keras/src/backend/tensorflow/nn.py (Keras 3), and tf_keras/src/layers/attention/*.py and
tf_keras/src/layers/activation/softmax.py (Keras 2).

Attention / AdditiveAttention on [query, value(, key)] with masks [query_mask, value_mask]
(the `mask` argument if the call was given one, else the masks the tensors carry):
scores q·kᵀ (× scale), w·Σ tanh(scale·(q + k)) (score_mode "concat") or Σ scale·tanh(q + k)
(additive); the value mask (and with use_causal_mask, j ≤ i) keeps a score, a masked one
becomes s - 1e9 (both versions); softmax; weights @ value; the output is 0 at masked query
steps (Keras 3 `where`, Keras 2 a product); outputs [result(, weights)], the result carrying
the query mask.

MultiHeadAttention / GroupQueryAttention on (query, value, key=None, attention_mask=None): the
projections (EinsumDense: x·W + b over the last axis into (heads, dim)), the attention mask =
query mask (B, T, 1) & value mask (B, 1, S) & key mask & causal (j ≤ i) & sliding window
(|i - j| < w) & attention_mask, scores over the attended axes, the combination with the values,
(× sigmoid gate with use_gate), the output projection. Which masks: the query's is the one its
tensor carries (Keras 3 MultiHeadAttention reads `_keras_mask` itself; GroupQueryAttention takes
the query_mask argument, by default the same); value_mask / key_mask are the arguments if given,
else the masks the tensors carry (Keras 3: only a key actually passed); tf_keras reads all three
from the tensors (the key being the value when none is passed). How masked logits are kept out:

* Keras 3 with dropout 0, no scores returned and 3-D inputs (ops.dot_product_attention):
  logits·scale, masked ones set to -0.7·3.38953e38; softmax (a fully masked row: uniform).
  Keras 3's scale is float32(1/sqrt(key_dim)), in float64 too;
* other Keras 3 calls (the Softmax layer): the query is scaled first; masked logits set to -1e9,
  softmax (over several axes: exp(s - logsumexp(s))), masked weights set to 0;
* tf_keras: the query scaled first; masked logits + (-1e9), or set to -1e9 with
  softmax_robust_masking; softmax (several axes: exp(s - logsumexp(s))).

Keras 3 MultiHeadAttention then clears the masks of its query, value and key tensors. The output
carries the query's mask, the scores none."""

import numpy as np

from ..registry import layer

DOT_PRODUCT_NEGATIVE = -0.7 * 3.38953e38   # keras/src/backend/tensorflow/nn._get_large_negative
SOFTMAX_NEGATIVE = -1e9                     # Softmax layers (Keras 3 and tf_keras)


def _softmax(s, axes):
    """tf.nn.softmax over one axis; Keras's exp(s - logsumexp(s)) over several."""
    m = np.max(s, axis=axes, keepdims=True)
    e = np.exp(s - m)
    if len(axes) == 1:
        return e / np.sum(e, axis=axes, keepdims=True)
    return np.exp(s - (m + np.log(np.sum(e, axis=axes, keepdims=True))))


def _call_masks(call):
    """[query_mask, value_mask] of a dense attention call: the mask argument given to the call,
    else the masks its input tensors carry."""
    if isinstance(call.mask, list):
        return (call.mask + [None, None])[:2]
    return (call.input_masks + [None, None])[:2]


@layer("Attention", "AdditiveAttention")
def dense_attention(call):
    cfg, w = call.config, list(call.weights)
    q, v = call.inputs[0], call.inputs[1]
    k = call.inputs[2] if len(call.inputs) > 2 else v
    q_mask, v_mask = _call_masks(call)
    if call.class_name == "AdditiveAttention":
        scale = w.pop(0) if cfg.get("use_scale", True) else 1.0
        scores = np.sum(scale * np.tanh(q[:, :, None, :] + k[:, None, :, :]), axis=-1)
    else:
        scale = w.pop(0) if cfg.get("use_scale", False) else None
        if cfg.get("score_mode", "dot") == "dot":
            scores = q @ np.swapaxes(k, -1, -2)
            if scale is not None:
                scores = scores * scale
        else:
            z = q[:, :, None, :] + k[:, None, :, :]
            scores = w.pop(0) * np.sum(np.tanh(z if scale is None else scale * z), axis=-1)
    if w:
        raise ValueError(f"{call.class_name}: {len(w)} weight arrays left over")
    keep = None if v_mask is None else v_mask[:, None, :]
    if call.kwargs.get("use_causal_mask") or cfg.get("causal"):
        tq, tv = scores.shape[-2:]
        causal = np.tril(np.ones((tq, tv), bool))[None]
        keep = causal if keep is None else keep & causal
    if keep is not None:
        scores = np.where(keep, scores, scores - 1e9)
    weights = _softmax(scores, (-1,))
    out = weights @ v
    if q_mask is not None:
        with np.errstate(invalid="ignore"):         # Keras 2: inf * 0 is NaN, as in TensorFlow
            out = (np.where(q_mask[..., None], out, 0.0) if call.keras_major >= 3
                   else out * q_mask[..., None].astype(np.float64))
    if call.kwargs.get("return_attention_scores"):
        return [out, weights], [q_mask, None]
    return [out], [q_mask]


def _argument(call, index, name):
    """(value, carried mask) of the call argument at positional index or keyword name."""
    if len(call.inputs) > index:
        return call.inputs[index], call.input_masks[index]
    if call.kwargs.get(name) is not None:
        return call.kwargs[name], call.kwarg_masks.get(name)
    return None, None


def _project(x, kernel, bias):
    """EinsumDense over the last axis of x: (…, in) · (in, …) (+ bias)."""
    y = np.tensordot(x, kernel, axes=([-1], [0]))
    return y if bias is None else y + bias


def _attention_masks(call, grouped):
    """(query, value, key masks) as the layer uses them, see the module docstring."""
    _, q_carried = _argument(call, 0, "query")
    value, v_carried = _argument(call, 1, "value")
    key, k_carried = _argument(call, 2, "key")
    if call.keras_major < 3:
        return q_carried, v_carried, (k_carried if key is not None else v_carried)

    def given(name, carried):
        m = call.kwargs.get(name)
        return carried if m is None else np.asarray(m, bool)
    q_mask = given("query_mask", q_carried) if grouped else q_carried
    return q_mask, given("value_mask", v_carried), \
        given("key_mask", k_carried if key is not None else None)


@layer("MultiHeadAttention", "GroupQueryAttention", "GroupedQueryAttention")
def multi_head_attention(call):
    """(Keras 3's legacy HDF5 writer names GroupQueryAttention by its Python class.)"""
    cfg = call.config
    grouped = call.class_name != "MultiHeadAttention"
    keras3 = call.keras_major >= 3
    if len(call.inputs) > 3:
        raise NotImplementedError("attention arguments after key passed positionally")
    query = call.inputs[0]
    value, _ = _argument(call, 1, "value")
    key, _ = _argument(call, 2, "key")
    key = value if key is None else key
    attention_mask = call.kwargs.get("attention_mask")
    use_bias = cfg.get("use_bias", True)
    parts = iter(call.weights)

    def projection():
        kernel = next(parts)
        return kernel, (next(parts) if use_bias else None)
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = (projection() for _ in range(4))
    gate = projection() if cfg.get("use_gate", False) else None
    head_dim = cfg["head_dim"] if grouped else cfg["key_dim"]
    scale = 1.0 / np.sqrt(float(head_dim))
    if keras3:
        # ops.cast(1 / sqrt(key_dim), dtype) is tf.cast of a Python float, which TensorFlow
        # first makes a float32 tensor: float32(1 / sqrt(key_dim)) even in float64. tf_keras
        # multiplies by the Python float (converted in the query's dtype).
        scale = float(np.float32(scale))

    q = _project(query, wq, bq)              # (B, T…, N, H)
    k = _project(key, wk, bk)                # (B, S…, Nkv, H)
    v = _project(value, wv, bv)              # (B, S…, Nkv, Hv)
    if grouped:
        repeats = cfg["num_query_heads"] // cfg["num_key_value_heads"]
        k, v = np.repeat(k, repeats, axis=-2), np.repeat(v, repeats, axis=-2)

    middle = query.ndim - 2                  # axes between batch and features
    axes = cfg.get("attention_axes")
    axes = tuple(range(1, middle + 1)) if axes is None or grouped else \
        tuple(a if a >= 0 else a + middle + 1 for a in ((axes,) if isinstance(axes, int)
                                                        else axes))
    others = tuple(a for a in range(1, middle + 1) if a not in axes)
    # (B, others…, N, attended…, H): batch axes first, then the head, then the attended axes.
    head = middle + 1
    order = (0,) + others + (head,) + axes + (head + 1,)
    qt, kt, vt = (np.transpose(t, order) for t in (q, k, v))
    lead = qt.shape[:len(others) + 2]
    tq, tv = qt.shape[len(lead):-1], kt.shape[len(lead):-1]
    qf = qt.reshape(lead + (int(np.prod(tq)), qt.shape[-1]))
    kf = kt.reshape(lead + (int(np.prod(tv)), kt.shape[-1]))
    vf = vt.reshape(lead + (int(np.prod(tv)), vt.shape[-1]))

    q_mask, v_mask, k_mask = _attention_masks(call, grouped)
    use_causal = bool(call.kwargs.get("use_causal_mask"))
    window = cfg.get("sliding_window")
    keep = None
    if middle == 1:
        T, S = qf.shape[-2], kf.shape[-2]
        keep = np.ones((query.shape[0], T, S), bool)
        if q_mask is not None:
            keep &= q_mask[:, :, None]
        for m in (v_mask, k_mask):
            if m is not None:
                keep &= m[:, None, :]
        if use_causal:
            keep &= np.tril(np.ones((T, S), bool))[None]
        if window is not None:
            i, j = np.arange(T)[:, None], np.arange(S)[None, :]
            keep &= (np.abs(i - j) < window)[None]
        if attention_mask is not None:
            keep &= np.asarray(attention_mask) != 0
        masked = (q_mask is not None or v_mask is not None or k_mask is not None or use_causal
                  or window is not None or attention_mask is not None)
        keep = keep[:, None] if masked else None          # (B, 1, T, S) over the heads
    elif any(m is not None for m in (q_mask, v_mask, k_mask, attention_mask)) or use_causal \
            or window is not None:
        raise NotImplementedError("masks on inputs with more than one axis between batch and "
                                  "features")

    returns_scores = bool(call.kwargs.get("return_attention_scores"))
    dot_product = keras3 and cfg.get("dropout", 0.0) == 0.0 and not returns_scores \
        and middle == 1
    if dot_product:
        logits = (qf @ np.swapaxes(kf, -1, -2)) * scale
        if keep is not None:
            logits = np.where(keep, logits, DOT_PRODUCT_NEGATIVE)
        probs = _softmax(logits, (-1,))
    else:
        logits = (qf * scale) @ np.swapaxes(kf, -1, -2)
        # Keras's Softmax runs over all attended key axes at once.
        n_axes = (-1,) if len(axes) == 1 else tuple(range(-len(axes), 0))
        shaped = logits.reshape(lead + tq + tv)
        keep_shaped = None if keep is None else keep
        if keras3:
            if keep_shaped is not None:
                shaped = np.where(keep_shaped, shaped, SOFTMAX_NEGATIVE)
            probs = _softmax(shaped, n_axes)
            if keep_shaped is not None:
                probs = np.where(keep_shaped, probs, 0.0)
        else:
            if keep_shaped is not None:
                if cfg.get("softmax_robust_masking", False):
                    shaped = np.where(keep_shaped, shaped, SOFTMAX_NEGATIVE)
                else:
                    shaped = shaped + (1.0 - keep_shaped) * SOFTMAX_NEGATIVE
            probs = _softmax(shaped, n_axes)
        probs = probs.reshape(logits.shape)
    combined = probs @ vf                                      # (B, others…, N, Tq, Hv)
    combined = combined.reshape(lead + tq + (vf.shape[-1],))
    combined = np.transpose(combined, np.argsort(order))       # (B, T…, N, Hv)
    if gate is not None:
        combined = combined * (1.0 / (1.0 + np.exp(-_project(query, *gate))))
    out = np.tensordot(combined, wo, axes=([-2, -1], [0, 1]))
    if bo is not None:
        out = out + bo
    call.clears_input_masks = keras3 and not grouped
    q_carried = call.input_masks[0]
    if returns_scores:
        return [out, probs.reshape(lead + tq + tv)], [q_carried, None]
    return [out], [q_carried]
