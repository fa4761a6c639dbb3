"""The generic recurrent layer: RNN(LSTMCell | GRUCell | SimpleRNNCell) and
RNN(StackedRNNCells([...]))."""

from ..builders import B, D, RB, T, U, bias_kw, randn, rnn_names
from ..case import Built, Case


def rnn_cell_builder(cell_kind):
    """RNN(<cell_kind>(U) 'cell') 'rnn', sequences + states, on x."""
    def build(K, rng):
        cell = getattr(K.layers, cell_kind)(U, name="cell", **bias_kw(K))
        layer = K.layers.RNN(cell, return_sequences=True, return_state=True, name="rnn")
        x = K.Input((T, D), name="x")
        model = K.Model(x, layer(x), name="model")
        kind = cell_kind.replace("Cell", "")
        return Built(model, [randn(rng, B, T, D)], rnn_names("rnn", kind, True))
    return build


def build_rnn_stacked_cells(K, rng):
    cells = [K.layers.LSTMCell(4, name="cell_a", **bias_kw(K)),
             K.layers.GRUCell(3, name="cell_b", **bias_kw(K))]
    layer = K.layers.RNN(K.layers.StackedRNNCells(cells, name="stack"),
                         return_sequences=True, return_state=True, name="rnn")
    x = K.Input((T, D), name="x")
    model = K.Model(x, K.tree.flatten(layer(x)), name="model")
    return Built(model, [randn(rng, B, T, D)],
                 ["rnn/output", "rnn/state_0_h", "rnn/state_0_c", "rnn/state_1_h"])


def cases():
    shape = f"x ({B},{T},{D})"
    for cell, tag in (("LSTMCell", "lstmcell"), ("GRUCell", "grucell"),
                      ("SimpleRNNCell", "simplecell")):
        yield Case(f"rnn_{tag}",
                   f"Functional RNN({cell}({U}) 'cell') 'rnn', return_sequences=True, "
                   f"return_state=True, on {shape}; {RB}.",
                   rnn_cell_builder(cell))
    yield Case("rnn_stacked_cells",
               f"Functional RNN(StackedRNNCells([LSTMCell(4) 'cell_a', GRUCell(3) 'cell_b']) "
               f"'stack') 'rnn', return_sequences=True, return_state=True, outputs flattened: "
               f"[output (the last cell's), cell_a h, cell_a c, cell_b h], on {shape}; {RB}.",
               build_rnn_stacked_cells)
