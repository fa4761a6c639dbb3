"""ConvLSTM1D / ConvLSTM2D / ConvLSTM3D (and Bidirectional around them, in recurrent.py).

From keras/src/layers/rnn/conv_lstm.py (ConvLSTMCell.call, ConvLSTM) and
tf_keras/src/layers/rnn/base_conv_lstm.py / base_conv_rnn.py. At each step, with the kernels'
last axis split into the gates i, f, c, o (filters each):

    x_g = conv(x_t, kernel_g, strides, padding, dilation_rate) + bias_g
    h_g = conv(h, recurrent_kernel_g, strides 1, "same", dilation 1)
    i = ract(x_i + h_i); f = ract(x_f + h_f); c = f * c + i * act(x_c + h_c)
    o = ract(x_o + h_o); h = o * act(c)

The states start at zeros of the input convolution's output shape, or initial_state. The loop is
the RNN loop of recurrent.run_rnn: a mask (batch, time, p...) where p is empty or a leading part
of the state's spatial grid masks each position on its own (Keras's tf.where broadcasts the mask
over the remaining axes); any other mask shape makes TensorFlow fail, so the entry refuses it.
tf_keras's ConvRNN.call never hands zero_output_for_mask to backend.rnn: for a Keras 2 file it
is False whatever the config (or Bidirectional) says. Keras 3 runs unroll=True with a (batch,
time) mask only. A config without recurrent_activation gets the version's default: hard_sigmoid
(Keras 2's clip(0.2x + 0.5)) for tf_keras, sigmoid for Keras 3."""

import numpy as np

from ..registry import layer
from .convolution import convolve
from .recurrent import run_rnn


def _tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


class ConvCell:
    """One ConvLSTM cell: config, weights [kernel, recurrent_kernel, (bias)], step()."""

    def __init__(self, cfg, W, activations, rank, keras_major):
        self.cfg, self.rank = cfg, rank
        if cfg.get("data_format", "channels_last") != "channels_last":
            raise NotImplementedError("channels_first ConvLSTM (TensorFlow cannot run it on the CPU)")
        self.filters = cfg["filters"]
        self.strides = _tuple(cfg.get("strides", 1), rank)
        self.dilation = _tuple(cfg.get("dilation_rate", 1), rank)
        self.padding = cfg.get("padding", "valid").lower()
        self.kernel, self.rec = W[0], W[1]
        self.bias = W[2] if cfg.get("use_bias", True) else None
        if len(W) != (3 if self.bias is not None else 2):
            raise ValueError(f"ConvLSTM{rank}D: {len(W)} weight arrays")
        self.act = activations[cfg.get("activation", "tanh")]
        # tf_keras's ConvLSTM cells default to hard_sigmoid, Keras 3's to sigmoid.
        default = "sigmoid" if keras_major >= 3 else "hard_sigmoid"
        self.ract = activations[cfg.get("recurrent_activation", default)]
        self.nstates = 2

    def input_conv(self, x):
        y = convolve(x, self.kernel, self.strides, self.dilation, self.padding)
        return y if self.bias is None else y + self.bias

    def zero_states(self, x):
        """Zeros of the input convolution's output grid for the first frame of x, filters deep."""
        shape = self.input_conv(x[:, 0]).shape[:-1] + (self.filters,)
        return [np.zeros(shape), np.zeros(shape)]

    def step(self, x, states):
        f = self.filters
        z = self.input_conv(x) + convolve(states[0], self.rec, (1,) * self.rank,
                                          (1,) * self.rank, "same")
        i, fg = self.ract(z[..., :f]), self.ract(z[..., f:2 * f])
        g, o = self.act(z[..., 2 * f:3 * f]), self.ract(z[..., 3 * f:])
        c = fg * states[1] + i * g
        h = o * self.act(c)
        return h, [h, c]


def run_conv_lstm(layer_cfg, W, x, mask, init, activations, keras_major,
                  zero_output_for_mask=None):
    """A ConvLSTM layer config {"class_name", "config"} over x (batch, time, spatial...,
    channels); [output] + final states (when return_state)."""
    cls, cfg = layer_cfg["class_name"], layer_cfg["config"]
    rank = int(cls[len("ConvLSTM")])
    cell = ConvCell(cfg, W, activations, rank, keras_major)
    if x.ndim != rank + 3:
        raise ValueError(f"{cls} takes rank {rank + 3} inputs, got {x.shape}")
    if init is None:
        init = cell.zero_states(x)
    if mask is not None:
        mask = np.asarray(mask, bool)
        grid = init[0].shape[1:-1]
        extra = mask.shape[2:]
        if mask.shape[:2] != x.shape[:2] or extra != grid[:len(extra)]:
            raise ValueError(f"{cls}: a mask of shape {mask.shape} does not fit states "
                             f"{init[0].shape} (TensorFlow refuses it)")
        if extra and cfg.get("unroll", False):
            raise ValueError(f"{cls}: unroll with a per-position mask (TensorFlow refuses it)")
    if keras_major < 3:
        zero_output_for_mask = False      # tf_keras ConvRNN.call never passes it on
    return run_rnn(cell, cfg, x, mask, init, zero_output_for_mask)


def conv_lstm_classes():
    return tuple(f"ConvLSTM{d}D" for d in (1, 2, 3))


@layer(*conv_lstm_classes())
def conv_lstm(call):
    """[output] (+ state_h, state_c); the sequence output keeps the input mask."""
    init = call.initial_state if call.initial_state is not None else (call.inputs[1:] or None)
    outs = run_conv_lstm({"class_name": call.class_name, "config": call.config}, call.weights,
                         call.x, call.mask, init, call.activations, call.keras_major)
    seq = call.config.get("return_sequences", False)
    return outs, [call.mask if seq else None] + [None] * (len(outs) - 1)
