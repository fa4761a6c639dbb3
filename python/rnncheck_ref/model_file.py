"""Model files: which of the formats rnncheck reads a file is, and which Keras loads it.

| @format             | the file                                                   | loaded by |
|---------------------|------------------------------------------------------------|-----------|
| keras3              | Keras 3 model.save("model.keras"): a zip archive           | keras     |
| keras2-archive      | tf_keras 2.x model.save("model.keras") (metadata 2.x)       | tf_keras  |
| keras3-legacy-h5    | Keras 3 model.save("model.h5"): HDF5, @keras_version 3.x   | keras     |
| keras2-h5           | tf_keras / Keras 2 full-model HDF5, @keras_version 2.x     | tf_keras  |
| keras3-weights      | Keras 3 save_weights + model.to_json() (--config)          | keras     |
| keras2-weights      | tf_keras save_weights("x.h5") + to_json(): root @layer_names | tf_keras |
| keras2-weights-v3   | tf_keras save_weights("x.weights.h5") + to_json()          | tf_keras  |
"""

import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Optional

from .errors import UserError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
SAVE_HINT = ("load it in Python and save it as one file: model.save(\"model.keras\") (Keras 3) "
             "or model.save(\"model.h5\") (tf.keras 2.x)")


@dataclass
class ModelFile:
    """A model file as given: its bytes go into the fixture unchanged."""
    path: str
    data: bytes
    fmt: str                      # @format, see the table above
    kind: str                     # "keras" (Keras 3) or "tf_keras" (Keras 2)
    config_text: Optional[str]    # the model JSON of a weights-only file (--config)

    @property
    def filename(self) -> str:
        return os.path.basename(self.path)


def _version(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value)


def _archive_version(path) -> str:
    with zipfile.ZipFile(path) as z:
        if "metadata.json" not in z.namelist():
            return ""
        return str(json.loads(z.read("metadata.json")).get("keras_version", ""))


def identify(path: str, config_path: Optional[str] = None, force: Optional[str] = None) -> ModelFile:
    """Reads MODEL (and --config) and works out its format; every mistake is a UserError."""
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "saved_model.pb")):
            raise UserError(f"{path} is a TensorFlow SavedModel directory, which rnncheck does not "
                            f"read: {SAVE_HINT}, and give that file")
        raise UserError(f"{path} is a directory; give a model file (.keras or .h5)")
    if not os.path.exists(path):
        raise UserError(f"{path}: no such file")
    with open(path, "rb") as f:
        data = f.read()
    if os.path.basename(path).endswith(".pb"):
        raise UserError(f"{path} is a TensorFlow graph file, which rnncheck does not read: {SAVE_HINT}")
    config_text = None
    if config_path is not None:
        if not os.path.isfile(config_path):
            raise UserError(f"--config {config_path}: no such file")
        with open(config_path, encoding="utf-8") as f:
            config_text = f.read()
        try:
            config = json.loads(config_text)
        except json.JSONDecodeError as e:
            raise UserError(f"--config {config_path}: not JSON ({e}); give model.to_json()") from None

    if zipfile.is_zipfile(path):
        if config_text is not None:
            raise UserError(f"--config is for weights-only files; {path} is a .keras archive "
                            f"with its own config")
        kind = "tf_keras" if _archive_version(path).startswith("2.") else "keras"
        fmt = "keras2-archive" if kind == "tf_keras" else "keras3"
    elif data.startswith(HDF5_SIGNATURE):
        import h5py
        with h5py.File(path, "r") as f:
            full = "model_config" in f.attrs
            version = _version(f.attrs.get("keras_version", ""))
            legacy_layout = "layer_names" in f.attrs
        if full:
            if config_text is not None:
                raise UserError(f"--config is for weights-only files; {path} is a full-model "
                                f"HDF5 file with its own config")
            kind = "keras" if version.startswith("3.") else "tf_keras"
            fmt = "keras3-legacy-h5" if kind == "keras" else "keras2-h5"
        else:
            if config_text is None:
                raise UserError(f"{path} holds only weights: give the architecture with "
                                f"--config config.json (model.to_json())")
            keras2 = str(config.get("keras_version", "")).startswith("2.")
            kind = "tf_keras" if keras2 else "keras"
            fmt = ("keras2-weights" if legacy_layout else "keras2-weights-v3") if keras2 \
                else "keras3-weights"
    else:
        raise UserError(f"{path} is neither a .keras archive nor an HDF5 file: give a Keras model "
                        f"file, as model.save(\"model.keras\") writes it")
    if force is not None:
        kind = force
    return ModelFile(path, data, fmt, kind, config_text)


_MODULES = {}


def keras_module(kind: str):
    """The Keras package for kind "keras" (Keras 3) or "tf_keras" (Keras 2), imported on first
    use. Where tf_keras is missing but `keras` is itself 2.x (TensorFlow 2.15 and older), that
    is the Keras 2."""
    if kind in _MODULES:
        return _MODULES[kind]
    if kind == "keras":
        try:
            import keras
        except ImportError:
            raise UserError("this model needs Keras 3: pip install keras tensorflow") from None
        if keras.__version__.startswith("2."):
            raise UserError(f"this model needs Keras 3, and the installed keras is "
                            f"{keras.__version__}: pip install 'keras>=3' 'tensorflow>=2.16'")
        _MODULES[kind] = keras
    else:
        try:
            import tf_keras as module
        except ImportError:
            try:
                import keras as module
            except ImportError:
                module = None
            if module is None or not module.__version__.startswith("2."):
                raise UserError("this model is a tf.keras (Keras 2) file and needs tf_keras: "
                                "pip install tf-keras (or --keras keras to try Keras 3)") from None
        _MODULES[kind] = module
    return _MODULES[kind]


def _named(path, suffix, tmpdir):
    """path itself when its name ends with suffix, else a copy in tmpdir that does: Keras
    chooses the weights layout it reads from the file name."""
    if path.endswith(suffix):
        return path
    copy = os.path.join(tmpdir, "model" + suffix)
    shutil.copyfile(path, copy)
    return copy


def load_model(K, path, config_text=None):
    """The model as a user loads it: load_model(path), or model_from_json(config) and
    load_weights(path)."""
    if config_text is None:
        return K.models.load_model(path, compile=False)
    model = K.models.model_from_json(config_text)
    model.load_weights(path)
    return model


def load(mf: ModelFile):
    """(K, model): the Keras package and the model it loaded from the file."""
    K = keras_module(mf.kind)
    with tempfile.TemporaryDirectory(prefix="rnncheck-ref-") as tmpdir:
        path = mf.path
        if mf.fmt in ("keras3-weights", "keras2-weights-v3"):
            path = _named(path, ".weights.h5", tmpdir)
        elif mf.fmt == "keras2-weights" and path.endswith(".weights.h5"):
            path = _named(path, "_weights.h5", tmpdir)
        elif mf.fmt in ("keras3", "keras2-archive"):
            path = _named(path, ".keras", tmpdir)
        try:
            model = load_model(K, path, mf.config_text)
        except Exception as e:
            raise UserError(f"{K.__name__} {K.__version__} could not load {mf.path} "
                            f"({mf.fmt}): {type(e).__name__}: {e}") from None
    return K, model
