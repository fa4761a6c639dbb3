"""Wrappers that run another layer's entry: TimeDistributed. (Bidirectional, which only
wraps recurrent layers, is in recurrent.py.)"""

from dataclasses import replace

from ..registry import call_layer, layer


@layer("TimeDistributed")
def time_distributed(call):
    """The wrapped layer on every timestep, as Keras runs it: (batch, time, ...) folded into
    (batch * time, ...), the wrapped layer's entry, unfolded. Keeps the mask."""
    inner = call.config["layer"]
    x = call.x
    batch, steps = x.shape[:2]
    outs, _ = call_layer(replace(call, class_name=inner["class_name"], config=inner["config"],
                                 inputs=[x.reshape((batch * steps,) + x.shape[2:])], mask=None))
    return ([o.reshape((batch, steps) + o.shape[1:]) for o in outs], [call.mask] * len(outs))
