#!/usr/bin/env python3
"""Writes the hostile-input corpus: broken, truncated, malicious and inconsistent fixtures.

    python Tests/ConformanceTests/Hostile/make_corpus.py

Every file is derived from the shipped fixture fixtures/lstm_seqT_stateT.h5 (a real Keras 3
model). manifest.json records, for each file, what rnncheck must answer: exit code 2 (unusable,
with a sentence naming the file and the object) or 1 (the reference data itself is off: a
reported mismatch), and words the message must contain. HostileCorpusTests runs every entry.
Needs h5py and numpy (tools/requirements.txt).
"""

import io
import json
import os
import shutil
import struct
import tempfile
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
BASE = os.path.join(HERE, "..", "..", "..", "fixtures", "lstm_seqT_stateT.h5")

manifest = []


def expect(name, exit_code, contains, note):
    manifest.append({"file": name, "exit": exit_code, "contains": contains, "note": note})


def read_base():
    with h5py.File(BASE, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs}
        model = bytes(f["model/file"][()])
        model_attrs = {k: f["model"].attrs[k] for k in f["model"].attrs}
        inputs = [f[f"input_{i}"][()] for i in range(1)]
        outputs = [(f[f"output_{i}"][()], f[f"output_{i}"].attrs.get("name", "")) for i in range(3)]
    return attrs, model, model_attrs, inputs, outputs


ATTRS, MODEL, MODEL_ATTRS, INPUTS, OUTPUTS = read_base()


def write_fixture(name, model=None, inputs=None, outputs=None, attrs=None, extra=None):
    path = os.path.join(OUT, name)
    with h5py.File(path, "w") as f:
        for k, v in (ATTRS if attrs is None else attrs).items():
            f.attrs[k] = v
        g = f.create_group("model")
        for k, v in MODEL_ATTRS.items():
            g.attrs[k] = v
        data = MODEL if model is None else model
        g.create_dataset("file", data=np.frombuffer(data, dtype=np.uint8))
        for i, x in enumerate(INPUTS if inputs is None else inputs):
            if x is not None:
                f[f"input_{i}"] = x
        for i, (y, label) in enumerate(OUTPUTS if outputs is None else outputs):
            if y is not None:
                f[f"output_{i}"] = y
                if label:
                    f[f"output_{i}"].attrs["name"] = label
        if extra:
            extra(f)
    return path


def archive_members(data):
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n) for n in z.namelist()}


def make_archive(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for n, d in members.items():
            z.writestr(n, d)
    return buf.getvalue()


def with_config(edit):
    m = archive_members(MODEL)
    text = m["config.json"].decode()
    m["config.json"] = edit(text).encode() if isinstance(edit(text), str) else edit(text)
    return make_archive(m)


def with_weights(edit):
    m = archive_members(MODEL)
    tmp = tempfile.mkdtemp()
    try:
        p = os.path.join(tmp, "w.h5")
        with open(p, "wb") as fh:
            fh.write(m["model.weights.h5"])
        with h5py.File(p, "r+") as f:
            edit(f, tmp)
        with open(p, "rb") as fh:
            m["model.weights.h5"] = fh.read()
    finally:
        shutil.rmtree(tmp)
    return make_archive(m)


def raw_file(name, data):
    with open(os.path.join(OUT, name), "wb") as fh:
        fh.write(data)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    base_bytes = open(BASE, "rb").read()

    # Files that are not fixtures at all.
    raw_file("empty.h5", b"")
    expect("empty.h5", 2, ["empty.h5", "not an HDF5 file"], "an empty file")
    raw_file("not_hdf5.h5", b"input_0,output_0\n1,2\n" * 20)
    expect("not_hdf5.h5", 2, ["not_hdf5.h5", "not an HDF5 file"], "a text file")
    raw_file("truncated.h5", base_bytes[: len(base_bytes) // 2])
    expect("truncated.h5", 2, ["truncated.h5"], "the first half of a fixture")
    flipped = bytearray(base_bytes)
    for offset in (0, 8, 24, 40):  # the signature and superblock: libhdf5 must reject it
        flipped[offset] ^= 0xFF
    raw_file("bitflip_superblock.h5", bytes(flipped))
    expect("bitflip_superblock.h5", 2, ["bitflip_superblock.h5"], "bit flips in the HDF5 signature and superblock")

    # The embedded model file, damaged.
    flipped = bytearray(MODEL)
    weights_at = MODEL.find(b"\x89HDF")
    flipped[weights_at + 5000] ^= 0x10  # inside the stored model.weights.h5: the zip CRC no longer matches
    write_fixture("bitflip_model.h5", model=bytes(flipped))
    expect("bitflip_model.h5", 2, ["bitflip_model.h5", "model.weights.h5"], "a flipped bit inside the .keras archive")
    write_fixture("model_truncated.h5", model=MODEL[: len(MODEL) // 3])
    expect("model_truncated.h5", 2, ["model_truncated.h5"], "a truncated .keras archive")
    write_fixture("model_not_archive.h5", model=b"hello, not a model")
    expect("model_not_archive.h5", 2, ["not a Keras model file"], "model bytes that are no model")
    m = archive_members(MODEL)
    write_fixture("archive_no_config.h5", model=make_archive({k: v for k, v in m.items() if k != "config.json"}))
    expect("archive_no_config.h5", 2, ["no config.json member"], "an archive without config.json")
    write_fixture("archive_no_weights.h5", model=make_archive({k: v for k, v in m.items() if k != "model.weights.h5"}))
    expect("archive_no_weights.h5", 2, ["no model.weights.h5 member"], "an archive without weights")
    # A central-directory entry claiming a 3 GiB config.json: refused before any allocation.
    bomb = bytearray(make_archive(m))
    cd = bomb.rfind(b"PK\x01\x02" + b"")
    pos = 0
    while True:
        pos = bomb.find(b"PK\x01\x02", pos)
        if pos < 0:
            break
        name_len = struct.unpack_from("<H", bomb, pos + 28)[0]
        name = bytes(bomb[pos + 46: pos + 46 + name_len])
        if name == b"config.json":
            struct.pack_into("<I", bomb, pos + 24, 3 << 30)  # uncompressed size
        pos += 4
    write_fixture("archive_huge_member.h5", model=bytes(bomb))
    expect("archive_huge_member.h5", 2, ["config.json"], "an archive member claiming 3 GiB")

    # config.json problems.
    write_fixture("config_malformed.h5", model=with_config(lambda t: "{not json at all"))
    expect("config_malformed.h5", 2, ["config.json", "not valid JSON"], "config.json that is not JSON")
    write_fixture("config_truncated.h5", model=with_config(lambda t: t[: len(t) // 2]))
    expect("config_truncated.h5", 2, ["config.json", "not valid JSON"], "config.json cut in half")
    write_fixture("unknown_layer.h5", model=with_config(lambda t: t.replace('"class_name": "LSTM"', '"class_name": "PeepholeLSTM"')))
    expect("unknown_layer.h5", 2, ["layer class 'PeepholeLSTM'", "not supported"], "an unknown layer class")
    write_fixture("unknown_activation.h5", model=with_config(lambda t: t.replace('"activation": "tanh"', '"activation": "swishy"')))
    expect("unknown_activation.h5", 2, ["activation 'swishy'"], "an unknown activation")
    write_fixture("unknown_option.h5", model=with_config(lambda t: t.replace('"units": 4', '"units": 4, "peephole": true')))
    expect("unknown_option.h5", 2, ["option 'peephole'"], "an unknown layer option")
    write_fixture("config_units_disagree.h5", model=with_config(lambda t: t.replace('"units": 4', '"units": 5')))
    expect("config_units_disagree.h5", 2, ["/layers/lstm/cell/vars/0", "expected (3, 20)"], "config and weights disagree on units")

    # Weights problems.
    write_fixture("missing_weight.h5", model=with_weights(lambda f, d: f.__delitem__("layers/lstm/cell/vars/2")))
    expect("missing_weight.h5", 2, ["missing weight"], "the bias dataset removed")

    def add_extra(f, d):
        f["layers/lstm/cell/vars/3"] = np.zeros(4, dtype=np.float32)
    write_fixture("extra_weight.h5", model=with_weights(add_extra))
    expect("extra_weight.h5", 2, ["/layers/lstm/cell/vars/3", "unexpected weight"], "a fourth cell weight")

    def stray(f, d):
        f.create_group("layers/ghost/vars")["0"] = np.zeros(3, dtype=np.float32)
    write_fixture("stray_weight.h5", model=with_weights(stray))
    expect("stray_weight.h5", 2, ["/layers/ghost/vars/0", "unexpected weight"], "weights of a layer the config lacks")

    def retype(dtype):
        def edit(f, d):
            data = f["layers/lstm/cell/vars/0"][()]
            del f["layers/lstm/cell/vars/0"]
            if dtype == "str":
                f["layers/lstm/cell/vars/0"] = np.array([["w"] * data.shape[1]] * data.shape[0], dtype=h5py.string_dtype())
            else:
                f["layers/lstm/cell/vars/0"] = data.astype(dtype)
        return edit
    write_fixture("int_weight.h5", model=with_weights(retype(np.int32)))
    expect("int_weight.h5", 2, ["/layers/lstm/cell/vars/0", "int32"], "a weight stored as integers")
    write_fixture("string_weight.h5", model=with_weights(retype("str")))
    expect("string_weight.h5", 2, ["/layers/lstm/cell/vars/0", "string"], "a weight stored as strings")

    def ext_link(f, d):
        del f["layers/lstm/cell/vars/0"]
        f["layers/lstm/cell/vars/0"] = h5py.ExternalLink("/etc/passwd", "/x")
    write_fixture("weights_external_link.h5", model=with_weights(ext_link))
    expect("weights_external_link.h5", 2, ["external link"], "a weight that is an external link")

    # Inputs and expected outputs.
    x = INPUTS[0]
    write_fixture("missing_input.h5", inputs=[None])
    expect("missing_input.h5", 2, ["/input_0", "missing dataset"], "no input_0")
    write_fixture("wrong_rank_input.h5", inputs=[x.reshape(x.shape[0], -1)])
    expect("wrong_rank_input.h5", 2, ["(2, 15)"], "a 2-D input for a 3-D model input")
    write_fixture("wrong_width_input.h5", inputs=[x[:, :, :2]])
    expect("wrong_width_input.h5", 2, ["(2, 5, 2)"], "an input of the wrong width")
    write_fixture("string_input.h5", inputs=[np.array(["a", "b"], dtype=h5py.string_dtype())])
    expect("string_input.h5", 2, ["/input_0", "string"], "an input of strings")
    nan_x = x.copy(); nan_x[1, 2, 0] = np.nan
    write_fixture("nan_input.h5", inputs=[nan_x])
    expect("nan_input.h5", 1, [], "NaN in an input: rnncheck's outputs become NaN where Keras's reference is finite")
    (y0, n0), rest = OUTPUTS[0], OUTPUTS[1:]
    nan_y = y0.copy(); nan_y[0, 1, 2] = np.nan
    write_fixture("nan_expected.h5", outputs=[(nan_y, n0)] + rest)
    expect("nan_expected.h5", 2, ["/output_0", "1 NaN", "--allow-nonfinite"],
           "NaN in an expected output: refused (NaN never matches; --allow-nonfinite compares it)")
    inf_y = y0.copy(); inf_y[1, 4, 3] = np.inf
    write_fixture("inf_expected.h5", outputs=[(inf_y, n0)] + rest)
    expect("inf_expected.h5", 2, ["/output_0", "1 infinite", "--allow-nonfinite"],
           "infinity in an expected output: refused unless --allow-nonfinite")
    flip_y = y0.copy(); flip_y.view(np.uint32)[0, 3, 1] ^= 0x40000000  # an exponent bit
    write_fixture("bitflip_expected.h5", outputs=[(flip_y, n0)] + rest)
    expect("bitflip_expected.h5", 1, [], "a flipped exponent bit in an expected value")
    write_fixture("wrong_shape_expected.h5", outputs=[(y0[:, :4], n0)] + rest)
    expect("wrong_shape_expected.h5", 1, [], "an expected output of the wrong shape")
    write_fixture("extra_expected.h5", outputs=OUTPUTS + [(y0, "ghost")])
    expect("extra_expected.h5", 1, [], "more expected outputs than the model has")
    write_fixture("string_expected.h5", outputs=[(np.array(["x"], dtype=h5py.string_dtype()), n0)] + rest)
    expect("string_expected.h5", 2, ["/output_0", "string"], "an expected output of strings")

    # Objects that would read other files of the machine.
    target = os.path.join(OUT, "elsewhere.h5")
    with h5py.File(target, "w") as f:
        f["data"] = y0

    def link_out(f):
        del f["output_0"]
        f["output_0"] = h5py.ExternalLink("elsewhere.h5", "/data")
    write_fixture("external_link.h5", extra=link_out)
    expect("external_link.h5", 2, ["/output_0", "external link"], "an expected output that is an external link")

    def external_storage(f):
        del f["input_0"]
        raw = os.path.join(OUT, "elsewhere.bin")
        x.astype("<f4").tofile(raw)
        f.create_dataset("input_0", shape=x.shape, dtype="<f4", external=[("elsewhere.bin", 0, x.nbytes)])
    cwd = os.getcwd()
    os.chdir(OUT)
    try:
        write_fixture("external_storage.h5", extra=external_storage)
    finally:
        os.chdir(cwd)
    expect("external_storage.h5", 2, ["/input_0", "external"], "an input whose raw data lives in another file")

    def virtual(f):
        del f["output_0"]
        layout = h5py.VirtualLayout(shape=y0.shape, dtype="f4")
        layout[:] = h5py.VirtualSource("elsewhere.h5", "data", shape=y0.shape)
        f.create_virtual_dataset("output_0", layout)
    path = os.path.join(OUT, "virtual_dataset.h5")
    write_fixture("virtual_dataset.h5", extra=virtual)
    expect("virtual_dataset.h5", 2, ["/output_0", "virtual"], "a virtual dataset mapping another file")

    def huge(f):
        del f["input_0"]
        f.create_dataset("input_0", shape=(2, 5, 3 * 10**9), dtype="<f4")  # 120 GB claimed, nothing stored
    write_fixture("huge_input.h5", extra=huge)
    expect("huge_input.h5", 2, ["/input_0"], "a dataset claiming 120 GB: refused before any allocation")

    attrs = dict(ATTRS); attrs["rnncheck_fixture"] = np.int64(99)
    write_fixture("future_version.h5", attrs=attrs)
    expect("future_version.h5", 2, ["format version 99"], "a fixture format this rnncheck does not know")

    with open(os.path.join(OUT, "manifest.json"), "w") as fh:
        json.dump(manifest, fh, indent=1)
    print(f"wrote {len(manifest)} hostile files to {OUT}")


if __name__ == "__main__":
    main()
