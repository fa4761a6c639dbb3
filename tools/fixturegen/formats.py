"""The model-file formats a fixture can hold (/model/@format) and the Keras that writes each.

A saver writes the model into a directory and returns (path, config_text): the file whose
bytes go into /model/file, and the text that goes into /model/config (None: no
/model/config). A loader rebuilds the model from (path, config_text) the way a user would.
"""

import os
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

from rnncheck_ref.model_file import keras_module as _keras_package
from rnncheck_ref.model_file import load_model


@dataclass(frozen=True)
class Format:
    module: str                                         # "keras" or "tf_keras"
    filename: str                                       # @filename: the name saved under
    save: Callable[[object, str], Tuple[str, Optional[str]]]    # (model, dir) -> (path, config)
    load: Callable[[object, str, Optional[str]], object]        # (K, path, config) -> model


def _save_keras3(model, tmpdir):
    path = os.path.join(tmpdir, "model.keras")
    model.save(path)
    return path, None


def _save_keras2_h5(model, tmpdir):
    path = os.path.join(tmpdir, "model.h5")
    model.save(path, save_format="h5")
    return path, None


def _save_keras3_legacy_h5(model, tmpdir):
    path = os.path.join(tmpdir, "model.h5")
    model.save(path)               # Keras 3 picks the legacy HDF5 writer from the suffix
    return path, None


def _weights_saver(filename):
    """save_weights(filename) plus model.to_json() as the config text. Keras 3: to_json() is
    json.dumps(serialize_keras_object(model)), the same text model.save() writes as
    config.json. tf_keras: the Keras 2 model JSON. tf_keras picks the writer from the name: a
    name ending in ".weights.h5" gets its Keras-3-style ("keras_v3") layout, any other ".h5"
    name the legacy Keras 2 layout."""
    def save(model, tmpdir):
        path = os.path.join(tmpdir, filename)
        model.save_weights(path)
        return path, model.to_json()
    return save


FORMATS = {
    # Keras 3 model.save("model.keras"): zip of config.json, metadata.json, model.weights.h5.
    "keras3": Format("keras", "model.keras", _save_keras3, load_model),
    # Keras 3 model.save_weights("model.weights.h5") (the same HDF5 layout as the archive's
    # model.weights.h5) plus model.to_json() in /model/config.
    "keras3-weights": Format("keras", "model.weights.h5", _weights_saver("model.weights.h5"),
                             load_model),
    # Keras 3 model.save("model.h5"): the legacy full-model HDF5 writer.
    "keras3-legacy-h5": Format("keras", "model.h5", _save_keras3_legacy_h5, load_model),
    # tf_keras 2.x model.save("model.h5", save_format="h5"): Keras 2 full-model HDF5.
    "keras2-h5": Format("tf_keras", "model.h5", _save_keras2_h5, load_model),
    # tf_keras 2.x model.save_weights("model_weights.h5"): the legacy Keras 2 weights-only
    # HDF5 layout, plus model.to_json() in /model/config.
    "keras2-weights": Format("tf_keras", "model_weights.h5", _weights_saver("model_weights.h5"),
                             load_model),
    # tf_keras 2.x model.save_weights("model.weights.h5"): because of the ".weights.h5"
    # suffix tf_keras writes its Keras-3-style layout (layers/<key>/cell/vars/0, no @name
    # attributes), plus the Keras 2 model.to_json() in /model/config.
    "keras2-weights-v3": Format("tf_keras", "model.weights.h5",
                                _weights_saver("model.weights.h5"), load_model),
}


def keras_module(fmt):
    """The Keras package (imported on first use) that builds and saves models of format fmt."""
    return _keras_package(FORMATS[fmt].module)
