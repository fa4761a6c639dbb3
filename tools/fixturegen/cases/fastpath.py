"""Fast-path branches: real-Keras cases at the sizes that send the float32 fast path
(Sources/RNNEngine/Fast, CRNNKernels) down each of its branches.

The other families use batch 2 to 4 and units 4, which only ever take the small-batch
branches. Here: batch 1 (the one-row kernel), batch 4 (the first batch-tiled projection),
batch 16 (three row tiles, two threads, work split across chunks of panels), batch 64 (the
directions of a Bidirectional run one after the other on two threads), units that are not a
multiple of the panel width (16 for LSTM/GRU, 64 for SimpleRNN), go_backwards at each of
those batch sizes, masks at large batch, sequences long enough for two projection blocks,
non-default activations and use_bias=False at large batch (the Swift gate loops and the
projection without bias), initial states at large batch, every recurrent class and tf_keras.
The branch each case reaches is in its description and in docs/fault-injection.md.

Sizes are kept small (float32 inputs, modest units, few steps, last outputs where a
sequence adds nothing) so the whole family stays near 1 MB.
"""

import numpy as np

from ..builders import K2W, RB, RB_FORGET, bias_kw, bidi_names, finish, randn, rnn_names
from ..case import Built, Case


# --------------------------------------------------------------------------------------------
# Layer specs: (what, name, units, options) -> layer(s) on the model's input
# --------------------------------------------------------------------------------------------

def rnn(kind, name, units, **kw):
    """A `kind` (LSTM / GRU / SimpleRNN) layer; kw go to the layer (return flags included)."""
    return ("rnn", kind, name, units, kw)


def bidi(kind, name, units, merge_mode="concat", **kw):
    """Bidirectional(kind(units) 'name_inner') 'name'; kw go to the inner layer."""
    return ("bidi", kind, name, units, dict(kw, merge_mode=merge_mode))


def cell_rnn(cells, name, **kw):
    """RNN(<cell>) or RNN(StackedRNNCells([...])) 'name': cells = [(cell kind, units), ...]."""
    return ("cells", cells, name, None, kw)


def _make(K, spec, h, states=None):
    """Builds one spec on tensor h: (the layer, its output tensors, their names)."""
    what, kind, name, units, kw = spec
    kw = dict(kw)
    seq = kw.pop("return_sequences", False)
    st = kw.pop("return_state", False)
    if what == "rnn":
        if kw.get("use_bias", True):
            kw.update(bias_kw(K))
        layer = getattr(K.layers, kind)(units, return_sequences=seq, return_state=st,
                                        name=name, **kw)
        names = rnn_names(name, kind, st)
    elif what == "bidi":
        mm = kw.pop("merge_mode")
        inner = getattr(K.layers, kind)(units, return_sequences=seq, return_state=st,
                                        name=f"{name}_inner", **bias_kw(K), **kw)
        layer = K.layers.Bidirectional(inner, merge_mode=mm, name=name)
        names = bidi_names(name, kind, mm, st)
    else:   # "cells"
        cells = [getattr(K.layers, c)(u, name=f"{name}_{i}", **bias_kw(K))
                 for i, (c, u) in enumerate(kind)]
        cell = cells[0] if len(cells) == 1 else K.layers.StackedRNNCells(cells,
                                                                          name=f"{name}_stack")
        layer = K.layers.RNN(cell, return_sequences=seq, return_state=st, name=name, **kw)
        names = [f"{name}/output"]
        if st and len(cells) == 1:
            names = rnn_names(name, kind[0][0].replace("Cell", ""), True)
        elif st:
            for i, (c, _) in enumerate(kind):
                names += [f"{name}/state_{i}_h"] + ([f"{name}/state_{i}_c"]
                                                    if c == "LSTMCell" else [])
    out = layer(h, initial_state=states) if states else layer(h)
    return layer, _flat(K, out), names


def _flat(K, out):
    """A layer call's outputs as a flat list (Keras's order)."""
    if isinstance(out, (list, tuple)):
        return list(K.tree.flatten(out)) if hasattr(K, "tree") else list(out)
    return [out]


def mask_rows(batch, steps):
    """A (batch, steps) mask with every padding pattern: full rows, padding at the end, at the
    start, a hole in the middle, one fully masked row; the lengths vary with the row."""
    m = np.ones((batch, steps), dtype=bool)
    for b in range(batch):
        n = 1 + b % (steps - 1)                 # 1 .. steps-1 padded steps
        kind = b % 4
        if kind == 1:
            m[b, steps - n:] = False            # end
        elif kind == 2:
            m[b, :n] = False                    # start
        elif kind == 3:
            lo = (b // 4) % (steps - 2) + 1
            m[b, lo:lo + min(n, steps - 1 - lo)] = False   # middle
    m[batch - 1] = False                        # a fully masked row
    return m


def fast_builder(batch, steps, dim, specs, *, pad=False, scale=1.0, initial_states=(),
                 post=None, shared=None):
    """A functional model on input 'x' (batch, steps, dim) of standard normals times `scale`
    whose outputs are every spec's outputs, in spec order.

    pad: x goes through Masking(0.0) 'mask' first, and the steps where mask_rows() is False
    are zeroed. initial_states: the names of the specs called with initial states, taken as
    extra model inputs (random normal, one per state, named '<spec>_s<i>'), in spec order.
    post(K, {spec name: output tensors}) -> (tensors, names): more outputs computed from the
    specs' outputs. shared: the name of a spec whose layer is called a second time, on a
    second input 'x2' of x's shape; those outputs come last, named '<spec>#1/...'."""
    def build(K, rng):
        x = K.Input((steps, dim), name="x")
        data = randn(rng, batch, steps, dim) * np.float32(scale)
        if pad:
            data[~mask_rows(batch, steps)] = 0.0
        h = K.layers.Masking(0.0, name="mask")(x) if pad else x
        inputs, xs, outs, names = [x], [data.astype(np.float32)], [], []
        layers, by_name = {}, {}
        for spec in specs:
            states = None
            what, kind, name, units = spec[:4]
            if name in initial_states:
                per = 2 if kind == "LSTM" else 1
                count = per * (2 if what == "bidi" else 1)
                states = [K.Input((units,), name=f"{name}_s{i}") for i in range(count)]
                inputs += states
                xs += [randn(rng, batch, units) for _ in states]
            layer, o, n = _make(K, spec, h, states)
            layers[name], by_name[name] = layer, o
            outs += o
            names += n
        if post:
            o, n = post(K, by_name)
            outs += o
            names += n
        if shared:
            x2 = K.Input((steps, dim), name="x2")
            inputs.append(x2)
            xs.append(randn(rng, batch, steps, dim))
            o = _flat(K, layers[shared](x2))
            outs += o
            names += [f"{shared}#1/{n.split('/', 1)[1]}" for n in names
                      if n.startswith(f"{shared}/")]
        model = K.Model(inputs, outs, name="model")
        finish(K, model, rng)
        return Built(model, xs, names)
    return build


def dense_pool(source, index, units):
    """A post hook: Dense(units) 'dense' on output `index` of spec `source` (a sequence), then
    GlobalAveragePooling1D 'pool' (so that the file holds (batch, units), not the sequence)."""
    def post(K, by_name):
        d = K.layers.Dense(units, name="dense", **bias_kw(K))(by_name[source][index])
        return [K.layers.GlobalAveragePooling1D(name="pool")(d)], ["pool/output"]
    return post


# --------------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------------

SEQ_ST = dict(return_sequences=True, return_state=True)


def cases():
    yield Case(
        "fastpath_b4_backwards",
        "Functional, x (4,7,3): GRU(20, go_backwards) 'gru', SimpleRNN(20, go_backwards) "
        "'srnn', LSTM(20, go_backwards) 'lstm', each return_sequences + return_state. Batch 4 "
        "is the smallest batch of the batch-tiled input projection (GRU, SimpleRNN) and of the "
        "fused LSTM input product, read backwards; one row tile, one thread. 'gru' is also "
        "called on a second input x2 (4,7,3) (outputs 'gru#1/...'): the second call finds "
        f"the weights it packed in the first; {RB}.",
        fast_builder(4, 7, 3, [rnn("GRU", "gru", 20, go_backwards=True, **SEQ_ST),
                               rnn("SimpleRNN", "srnn", 20, go_backwards=True, **SEQ_ST),
                               rnn("LSTM", "lstm", 20, go_backwards=True, **SEQ_ST)],
                     shared="gru"))
    yield Case(
        "fastpath_b16_backwards",
        "Functional, x (16,6,5): GRU(23, go_backwards) 'gru', SimpleRNN(70, go_backwards) "
        "'srnn', LSTM(20, go_backwards) 'lstm', each return_sequences + return_state. Batch 16: "
        "row tiles 6,5,5, two threads, each layer's two panels split over two chunks; units "
        "not a multiple of the panel width (16, 64). Then Dense(130) 'dense' on the SimpleRNN "
        "sequence (96 rows x 70 -> two full 64-column panels and a partial one, on two "
        f"threads) and GlobalAveragePooling1D 'pool'; {RB} (Dense too).",
        fast_builder(16, 6, 5, [rnn("GRU", "gru", 23, go_backwards=True, **SEQ_ST),
                                rnn("SimpleRNN", "srnn", 70, go_backwards=True, **SEQ_ST),
                                rnn("LSTM", "lstm", 20, go_backwards=True, **SEQ_ST)],
                     post=dense_pool("srnn", 0, 130)))
    yield Case(
        "fastpath_b16_gates",
        "Functional, x (16,6,4) scaled by 2: LSTM(20, relu, hard_sigmoid) 'lstm_relu', "
        "LSTM(20, use_bias=False, return_state) 'lstm_nobias', GRU(23, relu, hard_sigmoid, "
        "use_bias=False) 'gru_relu', GRU(23, use_bias=False) 'gru_nobias', SimpleRNN(70, relu, "
        "use_bias=False) 'srnn_relu', last outputs. Batch 16 through the gate loops for "
        "non-default activations (with the fused LSTM input product) and the kernels and "
        f"projections without bias; {RB}.",
        fast_builder(16, 6, 4, [
            rnn("LSTM", "lstm_relu", 20, activation="relu", recurrent_activation="hard_sigmoid"),
            rnn("LSTM", "lstm_nobias", 20, use_bias=False, return_state=True),
            rnn("GRU", "gru_relu", 23, activation="relu", recurrent_activation="hard_sigmoid",
                use_bias=False),
            rnn("GRU", "gru_nobias", 23, use_bias=False),
            rnn("SimpleRNN", "srnn_relu", 70, activation="relu", use_bias=False)], scale=2.0))
    yield Case(
        "fastpath_b1",
        "Functional, x (1,8,3): LSTM(80, return_state) 'lstm80' (one row on two threads: two "
        "chunks of panels, a pair and a single panel), LSTM(40, go_backwards, "
        "return_sequences) 'lstm40', SimpleRNN(70, go_backwards, return_sequences + "
        "return_state) 'srnn', SimpleRNN(20, relu) 'srnn_relu', GRU(20) 'gru', LSTM(20, relu) "
        "'lstm_relu': the one-row kernel (two panels at a time, then the gates of a group "
        f"of panels) and the paths one row takes when it does not apply; {RB}.",
        fast_builder(1, 8, 3, [
            rnn("LSTM", "lstm80", 80, return_state=True),
            rnn("LSTM", "lstm40", 40, go_backwards=True, return_sequences=True),
            rnn("SimpleRNN", "srnn", 70, go_backwards=True, **SEQ_ST),
            rnn("SimpleRNN", "srnn_relu", 20, activation="relu"),
            rnn("GRU", "gru", 20),
            rnn("LSTM", "lstm_relu", 20, activation="relu")]))
    yield Case(
        "fastpath_b1_mask",
        "Functional, x (1,9,3) with steps 3-5 all 0.0 under Masking(0.0) 'mask': LSTM(40, "
        "return_sequences + return_state) 'lstm', SimpleRNN(70, go_backwards, return_sequences) "
        f"'srnn': masked steps through the one-row kernel; {RB}.",
        build_b1_mask)
    yield Case(
        "fastpath_b16_mask",
        "Functional, x (16,7,4) under Masking(0.0) 'mask', padding at the end, the start, in "
        "the middle, one row fully masked: LSTM(20) 'lstm' (sequences + states), LSTM(20, "
        "zero_output_for_mask) 'lstm_zero' (last output: 0 where the last step is masked), GRU(23, go_backwards) 'gru' "
        "(sequences + state), SimpleRNN(70, return_state) 'srnn' (last output), "
        "Bidirectional(GRU(20)) 'bi' (concat, sequences + states: two directions in lockstep "
        f"on two threads); {RB}.",
        fast_builder(16, 7, 4, [
            rnn("LSTM", "lstm", 20, **SEQ_ST),
            rnn("LSTM", "lstm_zero", 20, zero_output_for_mask=True),
            rnn("GRU", "gru", 23, go_backwards=True, **SEQ_ST),
            rnn("SimpleRNN", "srnn", 70, return_state=True),
            bidi("GRU", "bi", 20, **SEQ_ST)], pad=True))
    yield Case(
        "fastpath_bidi_b16",
        "Functional, x (16,6,4): Bidirectional(LSTM(32)) 'bi_lstm' (concat, sequences + "
        "states), Bidirectional(GRU(23)) 'bi_gru' (sum, sequences), Bidirectional(SimpleRNN(70)) "
        "'bi_srnn' (merge_mode=None, last outputs + states): each pair of directions in "
        "lockstep on two threads, the merged concat written in place and the separate "
        f"directions; {RB}.",
        fast_builder(16, 6, 4, [
            bidi("LSTM", "bi_lstm", 32, **SEQ_ST),
            bidi("GRU", "bi_gru", 23, merge_mode="sum", return_sequences=True),
            bidi("SimpleRNN", "bi_srnn", 70, merge_mode=None, return_state=True)]))
    yield Case(
        "fastpath_bidi_b64",
        "Functional, x (64,5,3) under Masking(0.0) 'mask' (every padding pattern): "
        "Bidirectional(LSTM(64)) 'bi' (ave, last output): each direction's step is 1M "
        "multiply-adds, so the directions run one after the other on two threads, each in "
        f"four chunks; row tiles of 7 and 6; {RB}.",
        fast_builder(64, 5, 3, [bidi("LSTM", "bi", 64, merge_mode="ave")], pad=True))
    yield Case(
        "fastpath_long_b16",
        "Functional, x (16,130,3): GRU(40) 'gru' and SimpleRNN(70, go_backwards) 'srnn', last "
        "outputs: the projected inputs of 130 steps exceed the 1 MiB block, so each runs two "
        f"projection blocks (113 + 17 and 128 + 2 steps), batch-tiled; {RB}.",
        fast_builder(16, 130, 3, [rnn("GRU", "gru", 40),
                                  rnn("SimpleRNN", "srnn", 70, go_backwards=True)]))
    yield Case(
        "fastpath_long_b3",
        "Functional, x (3,350,3): LSTM(50, go_backwards, return_state) 'lstm': batch 3 projects "
        "along time, in two blocks (341 + 9 steps), read backwards; two threads, two chunks; "
        f"{RB_FORGET}.",
        fast_builder(3, 350, 3, [rnn("LSTM", "lstm", 50, go_backwards=True, return_state=True)]))
    yield Case(
        "fastpath_initial_state_b16",
        "Functional, x (16,5,3) and initial states (random normal, inputs '<layer>_s<i>'): "
        "LSTM(20) 'lstm' (sequences + states), GRU(23, go_backwards) 'gru' (last output), "
        "Bidirectional(LSTM(20)) 'bi' (concat, last output + states): states copied into "
        f"padded panels at batch 16; {RB}.",
        fast_builder(16, 5, 3, [rnn("LSTM", "lstm", 20, **SEQ_ST),
                                rnn("GRU", "gru", 23, go_backwards=True),
                                bidi("LSTM", "bi", 20, return_state=True)],
                     initial_states=("lstm", "gru", "bi")))
    yield Case(
        "fastpath_cells_b16",
        "Functional, x (16,6,4): GRU(23, reset_after=False, go_backwards, sequences) 'gru_before' "
        "(the reference path), RNN(LSTMCell(20), go_backwards, states) 'rnn_lstm', "
        "RNN(GRUCell(23), sequences) 'rnn_gru', RNN(SimpleRNNCell(70), states) 'rnn_srnn', "
        "RNN(StackedRNNCells([LSTMCell(20), GRUCell(23)]), states) 'rnn_stack' (the reference "
        f"path): every recurrent class at batch 16; {RB}.",
        fast_builder(16, 6, 4, [
            rnn("GRU", "gru_before", 23, reset_after=False, go_backwards=True,
                return_sequences=True),
            cell_rnn([("LSTMCell", 20)], "rnn_lstm", go_backwards=True, return_state=True),
            cell_rnn([("GRUCell", 23)], "rnn_gru", return_sequences=True),
            cell_rnn([("SimpleRNNCell", 70)], "rnn_srnn", return_state=True),
            cell_rnn([("LSTMCell", 20), ("GRUCell", 23)], "rnn_stack", return_state=True)]))
    yield Case(
        "k2_fastpath_b16_backwards",
        "tf_keras, functional, x (16,6,5): GRU(23, go_backwards) 'gru' and LSTM(20, "
        "go_backwards) 'lstm' (return_sequences + return_state), SimpleRNN(70, go_backwards) "
        f"'srnn' (last output), at batch 16; {K2W}.",
        fast_builder(16, 6, 5, [rnn("GRU", "gru", 23, go_backwards=True, **SEQ_ST),
                                rnn("SimpleRNN", "srnn", 70, go_backwards=True),
                                rnn("LSTM", "lstm", 20, go_backwards=True, **SEQ_ST)]),
        fmt="keras2-h5")
    yield Case(
        "k2_fastpath_bidi_mask_b16",
        "tf_keras, functional, x (16,7,4) under Masking(0.0) 'mask' (every padding pattern): "
        "Bidirectional(LSTM(20)) 'bi_lstm' (concat, sequences), Bidirectional(GRU(23)) 'bi_gru' "
        f"(sum, last output + states), at batch 16; {K2W}.",
        fast_builder(16, 7, 4, [bidi("LSTM", "bi_lstm", 20, return_sequences=True),
                                bidi("GRU", "bi_gru", 23, merge_mode="sum", return_state=True)],
                     pad=True),
        fmt="keras2-h5")



def build_b1_mask(K, rng):
    """fastpath_b1_mask: one row, steps 3..5 padded."""
    steps = 9
    x = K.Input((steps, 3), name="x")
    data = randn(rng, 1, steps, 3)
    data[0, 3:6] = 0.0
    h = K.layers.Masking(0.0, name="mask")(x)
    _, o1, n1 = _make(K, rnn("LSTM", "lstm", 40, **SEQ_ST), h)
    _, o2, n2 = _make(K, rnn("SimpleRNN", "srnn", 70, go_backwards=True, return_sequences=True),
                      h)
    model = K.Model(x, o1 + o2, name="model")
    finish(K, model, rng)
    return Built(model, [data], n1 + n2)
