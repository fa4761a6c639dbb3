"""Shared set-up of the rnncheck-ref tests: the repository's package first on sys.path, the
TensorFlow backend, quiet logs; a helper that runs the command line in this process."""

import os
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import h5py  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from rnncheck_ref import cli  # noqa: E402


class Ref:
    """A written reference file, read back whole."""

    def __init__(self, path):
        self.path = path
        with h5py.File(path, "r") as f:
            self.attrs = dict(f.attrs)
            self.inputs = _numbered(f, "input_")
            self.outputs = _numbered(f, "output_")
            self.input_attrs = [dict(f[f"input_{i}"].attrs) for i in range(len(self.inputs))]
            self.output_names = [f[f"output_{i}"].attrs["name"] for i in range(len(self.outputs))]
            self.model = dict(f["model"].attrs)
            self.model_bytes = f["model/file"][()].tobytes()
            self.config = f["model/config"][()].decode() if "model/config" in f else None
            self.provenance = dict(f["provenance"].attrs)
            self.float64 = _numbered(f["reference_float64"], "output_") \
                if "reference_float64" in f else None
            self.layers = _layers(f, "layers")
            self.layers_float64 = _layers(f, "layers_float64")
            self.groups = sorted(f.keys())


def _numbered(group, prefix):
    n = sum(1 for k in group if k.startswith(prefix))
    return [group[f"{prefix}{i}"][()] for i in range(n)]


def _layers(f, name):
    if name not in f:
        return None
    g = f[name]
    return {"order": [s.decode() if isinstance(s, bytes) else s for s in g.attrs["layer_order"]],
            "nodes": {node: {"attrs": dict(g[node].attrs),
                             "outputs": _numbered(g[node], "output_"),
                             "names": [g[node][f"output_{k}"].attrs["name"]
                                       for k in range(len(g[node]))]}
                      for node in g}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A folder for a test module's model files."""
    return str(tmp_path_factory.mktemp("models"))


@pytest.fixture
def write_ref(tmp_path, capsys):
    """write_ref(model_path, *flags) -> Ref, asserting exit code 0."""
    def run(model_path, *flags, out="ref.h5"):
        path = str(tmp_path / out)
        code = cli.main([str(model_path), "-o", path, *map(str, flags)])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return Ref(path)
    return run


@pytest.fixture
def ref_error(tmp_path, capsys):
    """ref_error(model_path, *flags) -> the error message, asserting exit code 2 and no file."""
    def run(model_path, *flags):
        path = tmp_path / "ref_error.h5"
        code = cli.main([str(model_path), "-o", str(path), *map(str, flags)])
        err = capsys.readouterr().err
        assert code == 2, err
        assert not path.exists()
        assert err.startswith("rnncheck-ref: error: ")
        return err
    return run


def call(model, inputs):
    """The model's outputs in model output order, computed by calling it (test side)."""
    import keras
    out = model(inputs, training=False)
    return [np.asarray(o) for o in keras.tree.flatten(out)]
