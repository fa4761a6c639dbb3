"""Recurrent layers: LSTM, GRU (reset_after True and False), SimpleRNN, RNN(cell) with
LSTMCell / GRUCell / SimpleRNNCell / StackedRNNCells, and Bidirectional around any of them
(and around ConvLSTM1D/2D/3D, whose cell is in convlstm.py).

Options: return_sequences, return_state, go_backwards, use_bias, activation and
recurrent_activation, initial_state, masks (states carried at masked steps), and
zero_output_for_mask, including Keras's unroll=True quirk. stateful, unroll, dropout and
implementation do not change a single call's outputs at inference."""

import numpy as np

from ..registry import layer

CELL_KIND = {"LSTMCell": "LSTM", "GRUCell": "GRU", "SimpleRNNCell": "SimpleRNN"}


class Cell:
    """One recurrent cell: its config, weights [kernel, recurrent_kernel, (bias)], step()."""

    def __init__(self, kind, cfg, W, activations):
        self.kind, self.cfg, self.u = kind, cfg, cfg["units"]
        self.kernel, self.rec = W[0], W[1]
        self.bias = W[2] if cfg.get("use_bias", True) else None
        self.act = activations[cfg.get("activation", "tanh")]
        self.ract = activations[cfg.get("recurrent_activation", "sigmoid")]
        self.nstates = 2 if kind == "LSTM" else 1
        if len(W) != (3 if self.bias is not None else 2):
            raise ValueError(f"{kind}: {len(W)} weight arrays")

    def zero_states(self, batch):
        return [np.zeros((batch, self.u)) for _ in range(self.nstates)]

    def step(self, x, states):
        """(output, new states) for one timestep x (batch, features)."""
        u = self.u
        h = states[0]
        if self.kind == "LSTM":                     # gates i, f, c, o
            z = x @ self.kernel + h @ self.rec + (0.0 if self.bias is None else self.bias)
            i, f = self.ract(z[:, :u]), self.ract(z[:, u:2 * u])
            g, o = self.act(z[:, 2 * u:3 * u]), self.ract(z[:, 3 * u:])
            c = f * states[1] + i * g
            h = o * self.act(c)
            return h, [h, c]
        if self.kind == "GRU":                      # gates z, r, h
            if self.cfg.get("reset_after", True):
                b = self.bias if self.bias is not None else np.zeros((2, 3 * u))
                mx, mh = x @ self.kernel + b[0], h @ self.rec + b[1]
                z = self.ract(mx[:, :u] + mh[:, :u])
                r = self.ract(mx[:, u:2 * u] + mh[:, u:2 * u])
                hh = self.act(mx[:, 2 * u:] + r * mh[:, 2 * u:])
            else:
                b = self.bias if self.bias is not None else np.zeros(3 * u)
                mx = x @ self.kernel + b
                z = self.ract(mx[:, :u] + h @ self.rec[:, :u])
                r = self.ract(mx[:, u:2 * u] + h @ self.rec[:, u:2 * u])
                hh = self.act(mx[:, 2 * u:] + (r * h) @ self.rec[:, 2 * u:])
            h = z * h + (1.0 - z) * hh
            return h, [h]
        if self.kind == "SimpleRNN":
            h = self.act(x @ self.kernel + (0.0 if self.bias is None else self.bias)
                         + h @ self.rec)
            return h, [h]
        raise NotImplementedError(self.kind)


class Stacked:
    """StackedRNNCells: the cells run one after the other at every step."""

    def __init__(self, cells):
        self.cells = cells
        self.nstates = sum(c.nstates for c in cells)

    def zero_states(self, batch):
        return [s for c in self.cells for s in c.zero_states(batch)]

    def step(self, x, states):
        new, k = [], 0
        for c in self.cells:
            x, s = c.step(x, states[k:k + c.nstates])
            new += s
            k += c.nstates
        return x, new


def _expand(m, like):
    """A step's mask (batch, p...) with trailing axes of 1 up to like's rank: (batch, 1) for
    (batch, units) states; (batch, rows, cols, 1) for a ConvLSTM2D's per-pixel mask."""
    return m.reshape(m.shape + (1,) * (like.ndim - m.ndim))


def run_rnn(cell, cfg, x, mask=None, init=None, zero_output_for_mask=None):
    """The Keras RNN loop over x (batch, time, features). Returns [output] + final states
    (when return_state).

    go_backwards: reverse x (and the mask); the sequence output stays in processing order.
    mask (B, T) bool: at a masked step the states are carried and the output is the previous
    output (zeros before the first valid step), or 0 with zero_output_for_mask. A mask
    (B, T, p...) (ConvLSTM) does the same per position.
    Keras quirk reproduced here: with unroll=True, zero_output_for_mask and a mask, Keras's
    unrolled loop carries the previous output at masked steps and afterwards zeroes the
    processing-order sequence with the mask in ORIGINAL time order (wrong with go_backwards);
    the last output is zeroed if the last processed step is masked."""
    if zero_output_for_mask is None:
        zero_output_for_mask = cfg.get("zero_output_for_mask", False)
    unroll_quirk = mask is not None and zero_output_for_mask and cfg.get("unroll", False)
    orig_mask = mask
    if unroll_quirk:
        zero_output_for_mask = False
    batch = x.shape[0]
    states = [np.asarray(s, np.float64) for s in init] if init is not None \
        else cell.zero_states(batch)
    if cfg.get("go_backwards", False):
        x = x[:, ::-1]
        mask = None if mask is None else mask[:, ::-1]
    prev = None
    seq = []
    for t in range(x.shape[1]):
        out, new = cell.step(x[:, t], states)
        if prev is None:
            prev = np.zeros_like(out)
        if mask is not None:
            m = _expand(mask[:, t], out)
            new = [np.where(m, n, s) for n, s in zip(new, states)]
            out = np.where(m, out, 0.0 if zero_output_for_mask else prev)
        states, prev = new, out
        seq.append(out)
    if unroll_quirk:
        last = np.where(_expand(mask[:, -1], seq[-1]), seq[-1], 0.0)
        seq = [np.where(_expand(orig_mask[:, t], o), o, 0.0) for t, o in enumerate(seq)]
        seq[-1] = seq[-1] if cfg.get("return_sequences", False) else last
    output = np.stack(seq, 1) if cfg.get("return_sequences", False) else seq[-1]
    return [output] + states if cfg.get("return_state", False) else [output]


def _cell_configs(layer_cfg):
    """[(cell class, cell config)] of a recurrent layer config {"class_name", "config"}."""
    cls, cfg = layer_cfg["class_name"], layer_cfg["config"]
    if cls != "RNN":
        return [(cls, cfg)]
    cell = cfg["cell"]
    if cell["class_name"] == "StackedRNNCells":
        return [(c["class_name"], c["config"]) for c in cell["config"]["cells"]]
    return [(cell["class_name"], cell["config"])]


def _n_weights(cell_cfg):
    return 3 if cell_cfg.get("use_bias", True) else 2


def _run_layer(layer_cfg, W, x, mask, init, activations, zero_output_for_mask=None,
               keras_major=3):
    """One recurrent layer config {"class_name", "config"} over x; see run_rnn."""
    if layer_cfg["class_name"].startswith("ConvLSTM"):
        from .convlstm import run_conv_lstm
        return run_conv_lstm(layer_cfg, W, x, mask, init, activations, keras_major,
                             zero_output_for_mask)
    cells, k = [], 0
    for cls, cfg in _cell_configs(layer_cfg):
        n = _n_weights(cfg)
        cells.append(Cell(CELL_KIND.get(cls, cls), cfg, W[k:k + n], activations))
        k += n
    if k != len(W):
        raise ValueError(f"{layer_cfg['config']['name']}: {len(W)} weight arrays, {k} used")
    stacked = layer_cfg["class_name"] == "RNN" \
        and layer_cfg["config"]["cell"]["class_name"] == "StackedRNNCells"
    cell = Stacked(cells) if stacked else cells[0]
    return run_rnn(cell, layer_cfg["config"], x, mask, init, zero_output_for_mask)


def _initial_state(call):
    """The initial_state argument, or (Keras 2) the states passed as extra inputs."""
    if call.initial_state is not None:
        return call.initial_state
    return call.inputs[1:] or None


@layer("LSTM", "GRU", "SimpleRNN", "RNN")
def recurrent(call):
    """[output] (+ final states); the sequence output keeps the input mask."""
    outs = _run_layer({"class_name": call.class_name, "config": call.config}, call.weights,
                      call.x, call.mask, _initial_state(call), call.activations)
    seq = call.config.get("return_sequences", False)
    return outs, [call.mask if seq else None] + [None] * (len(outs) - 1)


_MERGE = {
    "concat": lambda y, y_rev: [np.concatenate([y, y_rev], -1)],
    "sum": lambda y, y_rev: [y + y_rev],
    "mul": lambda y, y_rev: [y * y_rev],
    "ave": lambda y, y_rev: [(y + y_rev) / 2],
    None: lambda y, y_rev: [y, y_rev],
}


@layer("Bidirectional")
def bidirectional(call):
    """Forward and backward layer on the same input, outputs merged by merge_mode, then the
    forward then the backward final states. Keras 2 configs leave out the implicit backward
    copy of `layer`, which is the same layer with go_backwards flipped. Bidirectional forces
    zero_output_for_mask = return_sequences on both directions (which tf_keras's ConvLSTM
    ignores, convlstm.py)."""
    cfg = call.config
    fwd = cfg["layer"]
    bwd = cfg.get("backward_layer") or dict(fwd, config=dict(
        fwd["config"], go_backwards=not fwd["config"].get("go_backwards", False)))
    nf = sum(_n_weights(c) for _, c in _cell_configs(fwd))
    seq = fwd["config"].get("return_sequences", False)
    init = _initial_state(call)
    half = None if init is None else len(init) // 2
    fo = _run_layer(fwd, call.weights[:nf], call.x, call.mask,
                    None if init is None else init[:half], call.activations, seq,
                    call.keras_major)
    bo = _run_layer(bwd, call.weights[nf:], call.x, call.mask,
                    None if init is None else init[half:], call.activations, seq,
                    call.keras_major)
    y, y_rev = fo[0], bo[0]
    if seq:
        y_rev = y_rev[:, ::-1]
    merged = _MERGE[cfg["merge_mode"]](y, y_rev)
    outs = merged + fo[1:] + bo[1:] if fwd["config"].get("return_state", False) else merged
    return outs, [call.mask if seq else None] * len(merged) + [None] * (len(outs) - len(merged))
