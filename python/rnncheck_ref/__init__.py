"""rnncheck-ref: writes rnncheck reference files (fixture format v1) with real Keras.

    rnncheck-ref MODEL -o ref.h5          (or: python -m rnncheck_ref MODEL -o ref.h5)

Modules:
    cli.py           the command line
    model_file.py    which format a model file is, and which Keras loads it
    graph.py         a model's inputs, nodes and output names, as rnncheck names them
    inputs.py        generated inputs, and checks on the user's own arrays
    keras_run.py     running a model, every node of it, and its float64 clone
    fixture_file.py  writing the fixture format (also used by tools/fixturegen)
    runtime.py       environment settings before Keras starts; provenance after

Importing the package imports neither Keras nor TensorFlow: the command line sets their
environment first (backend, oneDNN, logs).
"""

__version__ = "0.1.0"
