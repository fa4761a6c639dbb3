"""Every fixture case, one module per layer family.

A case module defines `cases()`, which yields its `Case`s (fixturegen.case); the module's
name is the family's name (`make_fixtures.py --family lstm,gru`). MODULES below is the one
place a module is registered: a new family is a new module here plus one line in MODULES.
Their order is the order of `--list` and of generation; no case depends on it (each builds
from its own seed).
"""

from dataclasses import replace
from typing import Dict

from ..case import Case
from . import activation_layers, activations, attention, bidirectional, convlstm, convolution, \
    fastpath, file_formats, gru, lstm, masking, merge, nested, normalization, notebook, ops, pooling, \
    rnn_cells, shape, simple_rnn, stacks, wrappers

MODULES = (
    lstm,
    gru,
    simple_rnn,
    rnn_cells,
    bidirectional,
    masking,
    activations,
    stacks,
    merge,
    wrappers,
    nested,
    notebook,
    file_formats,
    shape,
    pooling,
    normalization,
    activation_layers,
    ops,
    convolution,
    attention,
    convlstm,
    fastpath,
)


def family(module) -> str:
    return module.__name__.rpartition(".")[2]


FAMILIES = tuple(family(m) for m in MODULES)


def all_cases() -> Dict[str, Case]:
    """{case name: Case} over MODULES, each Case's `family` set to its module's name.
    Raises ValueError when two cases share a name."""
    found = {}
    for module in MODULES:
        for case in module.cases():
            if case.name in found:
                raise ValueError(f"case {case.name} is defined in both {found[case.name].family} "
                                 f"and {family(module)}")
            found[case.name] = replace(case, family=family(module))
    return found
