"""rnncheck's fixture generator: Keras models built, run and saved as fixture files.

The command line is tools/make_fixtures.py; the file format is fixtures/README.md.

    case.py       Built and Case (what a case is), the per-case seed
    cases/        the cases, one module per layer family, listed in cases/__init__.py
    builders.py   builders and helpers that several case modules share
    formats.py    the six model-file formats: which Keras writes each, and how it reloads
    writer.py     one case -> one fixture file: checks, reload, float64, provenance
    cli.py        argument parsing and the loop over cases

Running a model, its float64 clone and writing the file are the reference writer's
(python/rnncheck_ref: keras_run, fixture_file, runtime), which users install with pip; the
generator uses the repository's copy of it, put first on sys.path here.

Importing the package sets the environment TensorFlow reads when it is first imported
(oneDNN off, quiet logs, the TensorFlow backend for Keras 3), so that every fixture is
computed the same way whichever module imports TensorFlow first.
"""

import os
import sys

os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["KERAS_BACKEND"] = "tensorflow"

PYTHON_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "python")
if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)
