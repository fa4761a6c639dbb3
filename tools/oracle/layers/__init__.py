"""The oracle's entries, one module per layer family.

Importing this package imports every module in MODULES, and each module registers its
entries in registry.LAYERS with @layer(...). A new family is a new module here plus one line
in MODULES; a new layer in an existing family is one decorated function in its module.
"""

from . import activation_layers, attention, convlstm, convolution, core, merge, normalization, \
    ops, pooling, recurrent, shape, wrappers

MODULES = (
    core,
    merge,
    recurrent,
    wrappers,
    ops,
    shape,
    pooling,
    normalization,
    activation_layers,
    convolution,
    attention,
    convlstm,
)
