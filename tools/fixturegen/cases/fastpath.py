"""Fast-path branches: real-Keras cases at the sizes that send the fast path
(Sources/RNNEngine/Fast, CRNNKernels) down each of its branches.

The other families use batch 1 to 4 and units 4, which take only the small-batch branches
(and never a GRU or SimpleRNN at batch >= 4). Here, in two files (the fixtures folder has a
size budget, and a file costs ~8 KB per layer before its weights, so each layer is called
several times, on a long input and on a short masked one, and there is no float64 reference):

* batch 16: row tiles 6, 5, 5; two threads with the panels of a step split in chunks (LSTM(20),
  GRU(33): units not a multiple of the 16-unit panel; GRU(33)'s three panels split 1 + 2); the
  input projection tiled along the batch and read backwards (GRU, SimpleRNN go_backwards); two
  projection time blocks (121 steps of GRU(33): 1 MiB / (16 rows x 144 columns x 4 bytes) = 113
  steps per block); the LSTM input product fused into the step, read backwards; the Swift gate
  loop (hard_sigmoid); masks with every padding pattern and zero_output_for_mask; initial states
  copied into padded panels; a Bidirectional in lockstep on two threads with its concat written
  in place, and one merged by sum;
* batch 1: the one-row kernel (LSTM's two panels at a time, SimpleRNN's single panel),
  backwards and masked.

What `rnncheck verify fixtures` runs of the fast path, and what it leaves, is in
docs/performance.md (tools/fastpath_coverage.py measures it); `tools/mutate.py --fast` shows
which faults in each branch these fixtures catch (docs/fault-injection.md).
"""

import numpy as np

from ..builders import RB, bias_kw, bidi_names, randn, rnn_names
from ..case import Built, Case


def mask_rows(batch, steps):
    """A (batch, steps) mask with every padding pattern, the lengths varying with the row: full
    rows, padding at the end, at the start, a hole in the middle; the last row fully masked."""
    m = np.ones((batch, steps), dtype=bool)
    for b in range(batch):
        n = 1 + b % (steps - 1)                 # 1 .. steps-1 padded steps
        kind = b % 4
        if kind == 1:
            m[b, steps - n:] = False            # end
        elif kind == 2:
            m[b, :n] = False                    # start
        elif kind == 3:
            lo = 1 + (b // 4) % (steps - 2)
            m[b, lo:lo + min(n, steps - 1 - lo)] = False   # middle
    m[batch - 1] = False                        # a fully masked row
    return m


def flat(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


class Graph:
    """Collects a functional model's outputs and their names as layers are called (a layer
    called twice names its outputs the same each time, as rnncheck-ref does)."""

    def __init__(self):
        self.outs, self.names = [], []

    def add(self, layer, names, *args, **kw):
        out = flat(layer(*args, **kw))
        assert len(out) == len(names), (layer.name, len(out), names)
        self.outs += out
        self.names += names


def build_b16(K, rng):
    batch, long_steps, short_steps, dim = 16, 121, 4, 2
    L = K.layers
    x = K.Input((long_steps, dim), name="x")
    xm = K.Input((short_steps, dim), name="xm")
    s0 = K.Input((20,), name="s0")
    s1 = K.Input((20,), name="s1")
    data_m = randn(rng, batch, short_steps, dim)
    data_m[~mask_rows(batch, short_steps)] = 0.0
    data = [randn(rng, batch, long_steps, dim), data_m, randn(rng, batch, 20),
            randn(rng, batch, 20)]
    hm = L.Masking(0.0, name="mask")(xm)
    g = Graph()

    lstm = L.LSTM(20, recurrent_activation="hard_sigmoid", go_backwards=True,
                  zero_output_for_mask=True, name="lstm", **bias_kw(K))
    g.add(lstm, rnn_names("lstm", "LSTM", False), x)
    g.add(lstm, rnn_names("lstm", "LSTM", False), hm)

    gru = L.GRU(33, go_backwards=True, name="gru", **bias_kw(K))
    g.add(gru, rnn_names("gru", "GRU", False), x)
    g.add(gru, rnn_names("gru", "GRU", False), hm)

    srnn = L.SimpleRNN(20, go_backwards=True, name="srnn", **bias_kw(K))
    g.add(srnn, rnn_names("srnn", "SimpleRNN", False), x)
    g.add(srnn, rnn_names("srnn", "SimpleRNN", False), hm)

    bi = L.Bidirectional(L.GRU(20, return_sequences=True, name="bi_inner", **bias_kw(K)),
                         name="bi")
    g.add(bi, bidi_names("bi", "GRU", "concat", False), hm, initial_state=[s0, s1])

    bi_sum = L.Bidirectional(L.LSTM(17, return_sequences=True, name="bi_sum_inner",
                                    **bias_kw(K)), merge_mode="sum", name="bi_sum")
    g.add(bi_sum, bidi_names("bi_sum", "LSTM", "sum", False), hm)

    model = K.Model([x, xm, s0, s1], g.outs, name="model")
    return Built(model, data, g.names)


def build_one_row(K, rng, steps, masked_steps, dim, hole, lstm_units, srnn_units, bidi_units=None):
    """Batch 1: an LSTM (go_backwards, return_sequences) and a SimpleRNN (return_state), each on
    x (steps) and on xm (masked_steps, the steps in `hole` all 0.0 under Masking); with
    `bidi_units`, also a Bidirectional LSTM (return_sequences, outputs not merged) on x."""
    L = K.layers
    x = K.Input((steps, dim), name="x")
    xm = K.Input((masked_steps, dim), name="xm")
    data_m = randn(rng, 1, masked_steps, dim)
    data_m[0, hole] = 0.0
    data = [randn(rng, 1, steps, dim), data_m]
    hm = L.Masking(0.0, name="mask")(xm)
    g = Graph()

    lstm = L.LSTM(lstm_units, go_backwards=True, return_sequences=True, name="lstm", **bias_kw(K))
    g.add(lstm, rnn_names("lstm", "LSTM", False), x)
    g.add(lstm, rnn_names("lstm", "LSTM", False), hm)

    srnn = L.SimpleRNN(srnn_units, return_state=True, name="srnn", **bias_kw(K))
    g.add(srnn, rnn_names("srnn", "SimpleRNN", True), x)
    g.add(srnn, rnn_names("srnn", "SimpleRNN", True), hm)

    if bidi_units:
        bi = L.Bidirectional(L.LSTM(bidi_units, return_sequences=True, name="bi_inner", **bias_kw(K)),
                             merge_mode=None, name="bi")
        g.add(bi, bidi_names("bi", "LSTM", None, False), x)

    model = K.Model([x, xm], g.outs, name="model")
    return Built(model, data, g.names)


def build_b1(K, rng):
    return build_one_row(K, rng, steps=8, masked_steps=8, dim=2, hole=slice(3, 6), lstm_units=20, srnn_units=20)


def build_b1_overlap(K, rng):
    return build_one_row(K, rng, steps=37, masked_steps=24, dim=37, hole=slice(9, 14), lstm_units=72,
                         srnn_units=200, bidi_units=80)


def cases():
    yield Case(
        "fastpath_b16",
        "Functional, batch 16, inputs x (16,121,2), xm (16,4,2) under Masking(0.0) 'mask' "
        "(padding at the end, the start, in the middle, one row fully masked), s0, s1 (16,20). "
        "LSTM(20, hard_sigmoid, go_backwards, zero_output_for_mask) 'lstm', GRU(33, "
        "go_backwards) 'gru' and SimpleRNN(20, go_backwards) 'srnn', each on x then on xm (last "
        "outputs); Bidirectional(GRU(20, return_sequences)) 'bi' (concat) on xm from [s0, s1]; "
        "Bidirectional(LSTM(17, return_sequences), merge_mode=sum) 'bi_sum' on xm. The fast "
        "path's batch-16 branches: row tiles 6,5,5, two threads, panels split in chunks (GRU(33) "
        "unevenly), projections tiled along the batch and read backwards, two projection time "
        "blocks (121 steps), the fused LSTM input product backwards, the Swift gate loop, masks, "
        f"initial states, Bidirectional in lockstep; {RB}.",
        build_b16, float64=False)
    yield Case(
        "fastpath_b1",
        "Functional, batch 1, inputs x (1,8,2) and xm (1,8,2) with steps 3-5 all 0.0 under "
        "Masking(0.0) 'mask'. LSTM(20, go_backwards, return_sequences) 'lstm' and "
        "SimpleRNN(20, return_state) 'srnn', each on x then on xm: the one-row kernel (LSTM: its "
        f"two panels together; SimpleRNN: one panel), backwards and masked; {RB}.",
        build_b1, float64=False)
    yield Case(
        "fastpath_b1_overlap",
        "Functional, batch 1, inputs x (1,37,37) and xm (1,24,37) with steps 9-13 all 0.0 under "
        "Masking(0.0) 'mask'. LSTM(72, go_backwards, return_sequences) 'lstm' and SimpleRNN(200, "
        "return_state) 'srnn', each on x then on xm, and Bidirectional(LSTM(80, "
        "return_sequences), merge_mode=None) 'bi' on x: one-row steps that also compute the next "
        "8-step block's input projection in 8 slices of the 37 input features (where the kernels "
        "overlap them: AVX-512 with the two-strip row product), the first block and a 5-step tail "
        "projected beforehand (37 steps) or no tail (24), a partial last panel (72 and 200 units), "
        "SimpleRNN's projection bias added after the last slice, two threads in uneven chunks of "
        "panels, both directions of a Bidirectional in lockstep on two threads, backwards and "
        f"masked; {RB}.",
        build_b1_overlap, float64=False)
