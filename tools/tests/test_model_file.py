"""tools/model_file.py, the Python reader of docs/model-format.md, against files the Swift
writer made: the documented byte layout reads them, checksums and offsets agree, and the
weights in them are the Keras file's weights, bit for bit.

Needs the built rnncheck (`swift build -c release`, or RNNCHECK=path); without it the tests are
skipped with a reason. CI runs them after building (.ci/run)."""

import io
import json
import os
import subprocess
import sys
import zipfile

import h5py
import numpy as np
import pytest

TOOLS = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
from model_file import ModelFile  # noqa: E402

RNNCHECK = os.environ.get("RNNCHECK", os.path.join(ROOT, ".build", "release", "rnncheck"))
needs_rnncheck = pytest.mark.skipif(not os.access(RNNCHECK, os.X_OK), reason=f"no built rnncheck at {RNNCHECK}")


def keras_bytes(fixture):
    with h5py.File(os.path.join(ROOT, "fixtures", fixture + ".h5"), "r") as f:
        return bytes(f["model/file"][()])


def export(tmp_path, fixture):
    model = tmp_path / "model.keras"
    model.write_bytes(keras_bytes(fixture))
    out = tmp_path / "model.rnn"
    subprocess.run([RNNCHECK, "export", str(model), "-o", str(out)], check=True, capture_output=True)
    return out.read_bytes()


def layers(node_list):
    for node in node_list:
        yield node["name"], node["layer"]


@needs_rnncheck
def test_layout_and_lstm_weights_bit_for_bit(tmp_path):
    raw = export(tmp_path, "lstm_seqT_stateT")
    mf = ModelFile.parse(raw)  # signature, sizes, padding and both CRC-32s
    mf.check_layout()
    assert mf.version == 1 and mf.flags == 0
    assert mf.to_bytes() == raw, "the documented layout rebuilds the file byte for byte"
    assert len(raw) == (40 + len(mf.description) + 63) // 64 * 64 + len(mf.data)
    model = mf.json["model"]
    lstm = dict(layers(model["nodes"]))["rnn"]  # the config names the layer "rnn"; its weights are under layers/lstm
    assert lstm["type"] == "RecurrentLayer"
    cell = lstm["cell"]
    assert cell["kind"] == "lstm" and cell["activation"] == "tanh" and cell["recurrent_activation"] == "sigmoid"
    archive = zipfile.ZipFile(io.BytesIO(keras_bytes("lstm_seqT_stateT")))
    with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as w:
        keras = [w["layers/lstm/cell/vars"][str(k)][()] for k in range(3)]
    for key, expected in zip(["kernel", "recurrent_kernel", "bias"], keras):
        stored = mf.tensor(cell[key]["tensor"])
        assert stored.dtype == np.dtype("<f4")
        assert stored.shape == expected.shape
        assert stored.tobytes() == expected.astype("<f4").tobytes(), key


@needs_rnncheck
def test_every_key_is_written_and_metadata_records_the_source(tmp_path):
    mf = ModelFile.parse(export(tmp_path, "bidi_concat_seqT_stateF"))
    assert list(mf.json) == ["metadata", "tensors", "model"]
    meta = mf.json["metadata"]
    assert meta["source"] == "model.keras" and meta["producer"].startswith("rnncheck ")
    assert meta["keras_version"] and "Keras 3 .keras archive" in meta["source_format"]
    bi = [layer for _, layer in layers(mf.json["model"]["nodes"]) if layer["type"] == "BidirectionalLayer"][0]
    assert set(bi) == {"type", "forward", "backward", "merge_mode"}
    assert bi["forward"]["go_backwards"] is False and bi["backward"]["go_backwards"] is True
    # Every tensor is used by some layer, each tensor once in the table.
    used = {m for m in __import__("re").findall(r'\{"tensor":(\d+)\}', mf.description.decode())}
    assert used == {str(k) for k in range(len(mf.json["tensors"]))}
