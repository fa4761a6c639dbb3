"""SimpleRNN: return flags, go_backwards, initial_state, use_bias, relu, and tf_keras's."""

from ..builders import B, D, K2W, RB, T, U, rnn_builder, tf
from ..case import Case


def cases():
    shape = f"x ({B},{T},{D})"
    for seq, st in ((False, False), (True, True)):
        kind = "Functional" if st else "Sequential"
        yield Case(f"simple_rnn_seq{tf(seq)}_state{tf(st)}",
                   f"{kind} SimpleRNN({U}) 'rnn', return_sequences={seq}, return_state={st}, "
                   f"on {shape}; {RB}.",
                   rnn_builder("SimpleRNN", return_sequences=seq, return_state=st))
    yield Case("simple_rnn_go_backwards",
               f"Functional SimpleRNN({U}) 'rnn', go_backwards=True, return_sequences=True, "
               f"return_state=True, on {shape}; {RB}.",
               rnn_builder("SimpleRNN", return_sequences=True, return_state=True,
                           go_backwards=True))
    yield Case("simple_rnn_initial_state",
               f"Functional SimpleRNN({U}) 'rnn' called as rnn(x, initial_state=[h0]), "
               f"return_sequences=True, return_state=True; inputs {shape}, h0 ({B},{U}); "
               f"{RB}.",
               rnn_builder("SimpleRNN", return_sequences=True, return_state=True,
                           initial_state=True))
    yield Case("simple_rnn_no_bias",
               f"Functional SimpleRNN({U}) 'rnn', use_bias=False, return_sequences=True, "
               f"return_state=True, on {shape}.",
               rnn_builder("SimpleRNN", return_sequences=True, return_state=True,
                           use_bias=False))
    yield Case("simple_rnn_relu",
               f"Functional SimpleRNN({U}) 'rnn', activation='relu', return_sequences=True, "
               f"return_state=True, on {shape}; {RB}.",
               rnn_builder("SimpleRNN", return_sequences=True, return_state=True,
                           activation="relu"))
    yield Case("k2_simple_rnn",
               f"tf_keras: functional SimpleRNN({U}) 'rnn', return_sequences=True, "
               f"return_state=True, on {shape}; {K2W}.",
               rnn_builder("SimpleRNN", return_sequences=True, return_state=True),
               fmt="keras2-h5")
