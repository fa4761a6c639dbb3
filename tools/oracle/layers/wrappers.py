"""Layers that run other layers: TimeDistributed, and a model used as a layer (Functional,
Sequential). (Bidirectional, which only wraps recurrent layers, is in recurrent.py.)"""

from dataclasses import replace

import numpy as np

from ..registry import call_layer, layer

@layer("TimeDistributed")
def time_distributed(call):
    """The wrapped layer on every timestep, as one call on (batch * time, ...): each row is
    computed on its own, so this equals Keras 3's loop over `layer.call(inputs[i])` and
    tf.keras's reshape path. The inner layer gets the mask as (batch * time, ...), which the
    entries of layers whose call takes no mask ignore (a (batch, time) mask becomes a mask per
    row, which only such layers can take, in Keras too).

    Output mask: Keras 3 keeps the mask it received (the default compute_mask). tf.keras asks
    the inner layer (`layer.compute_mask` on the reshaped input and mask) and reshapes its
    answer to (batch, time, ...); when that is None, the received mask reduced with any over
    its axes after time."""
    inner = call.config["layer"]
    x = np.asarray(call.x)
    batch, steps = x.shape[:2]
    mask = None if call.mask is None else np.asarray(call.mask, bool)
    inner_mask = None if mask is None else mask.reshape((batch * steps,) + mask.shape[2:])
    outs, omasks = call_layer(replace(call, class_name=inner["class_name"], config=inner["config"],
                                      inputs=[x.reshape((batch * steps,) + x.shape[2:])],
                                      mask=inner_mask, input_masks=[inner_mask]))
    ys = [o.reshape((batch, steps) + o.shape[1:]) for o in outs]
    if call.keras_major >= 3:
        return ys, [call.mask] * len(ys)
    m = omasks[0]
    if m is not None:
        out_mask = np.asarray(m, bool).reshape((batch, steps) + np.shape(m)[1:])
    elif mask is not None:
        out_mask = mask.reshape(batch, steps, -1).any(axis=-1)
    else:
        out_mask = None
    return ys, [out_mask] * len(ys)


@layer("Functional", "Sequential", "Model")
def model_as_layer(call):
    """The inner model's graph on the call's inputs, which carry the masks the call received;
    the outputs carry the masks the inner graph gave them. `call.weights` is the inner model's
    {layer name: arrays} (model_files reads them so)."""
    from ..graph import run   # graph imports this package
    return run({"class_name": call.class_name, "config": call.config}, call.weights,
               call.keras_major, list(call.inputs), call.masks)
