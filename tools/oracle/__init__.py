"""An independent float64 NumPy evaluation of the models stored in fixtures (the "oracle").

It reads only what a fixture holds (/model/file, /model/config, /input_*) and recomputes every
output in float64 with plain NumPy, sharing no code with the generator (tools/fixturegen/) or
with rnncheck. The command line is tools/verify_fixtures_numpy.py. Needs only h5py and numpy.

    model_files.py  the six model-file formats -> ModelFile (config, weights, Keras version)
    graph.py        walks Sequential and functional graphs, resolving inputs and masks
    registry.py     LayerCall, and LAYERS: Keras class name -> the function evaluating a call
    layers/         the registered functions, one module per layer family
    activations.py  element-wise activations by name, as Keras 2 and Keras 3 define them
    cli.py          the comparison with /reference_float64 and /output_*
    tests/          pytest tests on hand-derived cases
"""
