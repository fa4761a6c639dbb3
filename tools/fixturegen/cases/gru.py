"""GRU: reset_after True (bias (2, 3u)) and False (bias (3u,)), return flags, go_backwards,
initial_state, use_bias, activations past both hard_sigmoid knees, and tf_keras's GRU."""

import numpy as np

from ..builders import B, D, K2W, RB, T, U, gate_preactivations, rnn_builder, tf
from ..case import Case


def _gate_range_check(lo, hi):
    """Built.checks factory for a GRU(relu, hard_sigmoid): its z and r pre-activations
    (computed from the saved weights) must reach below lo and above hi."""
    def checks(K, model, xs):
        W = [np.asarray(w, np.float64) for w in model.get_weights()]
        pre = gate_preactivations("GRU", W, xs[0].astype(np.float64), "relu",
                                  lambda z: np.clip(z / 6 + 0.5, 0, 1))
        mn, mx = float(pre.min()), float(pre.max())

        def fn(outs):
            return (mn < lo and mx > hi), f"gate pre-activations span [{mn:.2f}, {mx:.2f}]"
        return [(f"recurrent-activation pre-activations reach <{lo} and >{hi}", fn)]
    return checks


def cases():
    shape = f"x ({B},{T},{D})"
    for seq, st in ((False, False), (True, True)):
        kind = "Functional" if st else "Sequential"
        yield Case(f"gru_reset_after_seq{tf(seq)}_state{tf(st)}",
                   f"{kind} GRU({U}) 'rnn' (reset_after=True, bias (2,{3 * U})), "
                   f"return_sequences={seq}, return_state={st}, on {shape}; {RB}.",
                   rnn_builder("GRU", return_sequences=seq, return_state=st))
    yield Case("gru_reset_before_seqT_stateT",
               f"Functional GRU({U}) 'rnn', reset_after=False (bias ({3 * U},)), "
               f"return_sequences=True, return_state=True, on {shape}; {RB}.",
               rnn_builder("GRU", return_sequences=True, return_state=True, reset_after=False))
    yield Case("gru_go_backwards",
               f"Functional GRU({U}) 'rnn', go_backwards=True, return_sequences=True, "
               f"return_state=True, on {shape}; the sequence is in processing (reversed) "
               f"order; {RB}.",
               rnn_builder("GRU", return_sequences=True, return_state=True, go_backwards=True))
    yield Case("gru_initial_state",
               f"Functional GRU({U}) 'rnn' called as rnn(x, initial_state=[h0]), "
               f"return_sequences=True, return_state=True; inputs {shape} and h0 ({B},{U}) "
               f"random normal; {RB}.",
               rnn_builder("GRU", return_sequences=True, return_state=True, initial_state=True))
    for ra in (True, False):
        yield Case(f"gru_no_bias_reset_{'after' if ra else 'before'}",
                   f"Functional GRU({U}) 'rnn', use_bias=False, reset_after={ra} (2 weight "
                   f"arrays), return_sequences=True, return_state=True, on {shape}.",
                   rnn_builder("GRU", return_sequences=True, return_state=True, use_bias=False,
                               reset_after=ra))
    yield Case("gru_activations",
               f"Functional GRU({U}) 'rnn', activation='relu', recurrent_activation="
               f"'hard_sigmoid' (Keras 3: relu6(x+3)/6), return_sequences=True, "
               f"return_state=True, on x (3,7,{D}) scaled by 4 so that the z and r "
               f"pre-activations pass both hard_sigmoid knees (+-3; they span about "
               f"[-6.8, 3.8]); {RB}.",
               rnn_builder("GRU", batch=3, steps=7, return_sequences=True, return_state=True,
                           activation="relu", recurrent_activation="hard_sigmoid",
                           input_scale=4.0, checks=_gate_range_check(-3.0, 3.0)))
    for ra in (True, False):
        yield Case(f"k2_gru_reset_{'after' if ra else 'before'}",
                   f"tf_keras: functional GRU({U}, reset_after={ra}) 'rnn', "
                   f"return_sequences=True, return_state=True, on {shape}; {K2W}.",
                   rnn_builder("GRU", return_sequences=True, return_state=True,
                               reset_after=ra),
                   fmt="keras2-h5")
