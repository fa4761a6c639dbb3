#!/usr/bin/env python3
"""The hostile sweep: files and arguments an attacker would hand rnncheck, and what it must answer.

    tools/hostile_sweep.py --rnncheck .build/release/rnncheck [--filter GLOB] [--keep DIR] [--list]

Every case is generated at run time in a private folder (large files included: nothing is
committed) from the shipped fixture fixtures/lstm_seqT_stateT.h5 (a real Keras 3 model) and
fixtures/k2_lstm_seqT_stateT.h5 (tf-keras .h5); the layer-config cases from the Keras 3
weights-only fixtures named in LAYER_FIXTURES. Each case says what rnncheck must answer:

* ``exit=2``: a clear error, a sentence on stderr that contains every string in ``contains``
  (the file and the object at fault);
* ``exit=1``: a mismatch is reported;
* ``exit=0``: a pass, only where Keras itself computes the same.

and every case, whatever it expects, must also end

* without a signal (no crash, no trap), within its time bound (5 s) and memory bound (peak
  resident memory of rnncheck and every process it started: 500 MB; 1.2 GB for the cases that
  hand it a gigabyte of whitespace),
* with no process left behind (nothing whose command line names the case's folder),
* with nothing changed outside the named output (``keep`` files are hashed before and after),
  and no file left behind that was not there before (``-o`` outputs excepted).

A case marked ``pending`` depends on work done elsewhere (the graph-builder rewrite); the sweep
runs it and reports PENDING or "now passes: flip it", without failing. Flip a case by deleting
its ``pending=...`` argument.

Families: archive (zip members and headers), config (JSON), weights (HDF5 model weights),
reference (inputs and expected outputs), fixture (stored tolerances and embedded files), output
(``run -o`` and report paths), modelfile (``rnncheck export`` and ``.rnn`` files: truncated, another
version, false sizes, checksums, bad JSON, unknown layer types, weights that do not fit), signal
(stopping rnncheck mid-run), layer-config (one option of one layer made hostile), argument
(command lines).
Needs h5py and numpy (tools/requirements.txt). Exits 1 if any case fails.
"""

import argparse
import fnmatch
import functools
import hashlib
import io
import json
import os
import resource
import shutil
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib

import h5py
import numpy as np

from model_file import ModelFile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BASE_FIXTURE = os.path.join(ROOT, "fixtures", "lstm_seqT_stateT.h5")
K2_FIXTURE = os.path.join(ROOT, "fixtures", "k2_lstm_seqT_stateT.h5")
MB = 1 << 20

# --------------------------------------------------------------------------------------------
# The base material: a real Keras 3 model, its inputs and Keras's outputs.


def load_fixture(path):
    with h5py.File(path, "r") as f:
        model = bytes(f["model/file"][()])
        inputs = [f[f"input_{i}"][()] for i in range(8) if f"input_{i}" in f]
        outputs = [(f[f"output_{i}"][()], f[f"output_{i}"].attrs.get("name", ""))
                   for i in range(8) if f"output_{i}" in f]
        attrs = {k: f.attrs[k] for k in f.attrs}
        model_attrs = {k: f["model"].attrs[k] for k in f["model"].attrs}
    return model, inputs, outputs, attrs, model_attrs


MODEL, INPUTS, OUTPUTS, ATTRS, MODEL_ATTRS = load_fixture(BASE_FIXTURE)
K2_MODEL, K2_INPUTS, K2_OUTPUTS, _, _ = load_fixture(K2_FIXTURE)


def members_of(archive):
    z = zipfile.ZipFile(io.BytesIO(archive))
    return [(n, z.read(n)) for n in z.namelist()]


MEMBERS = members_of(MODEL)
CONFIG = json.loads(dict(MEMBERS)["config.json"])
WEIGHTS = dict(MEMBERS)["model.weights.h5"]


def _any_length(c):
    c["config"]["layers"][0]["config"]["batch_shape"] = [None, None, 3]


# The same model taking sequences of any length (the weights do not depend on it).
ANY_LENGTH_MODEL = None  # set below, once `archive` exists


# --------------------------------------------------------------------------------------------
# A zip writer that can lie: every header field can be overridden.


class Member:
    def __init__(self, name, data, method=0, local_name=None, local_method=None, local_sizes=None,
                 raw=None, crc=None, size=None):
        self.name = name.encode() if isinstance(name, str) else name
        self.local_name = self.name if local_name is None else (local_name.encode() if isinstance(local_name, str) else local_name)
        self.method = method
        self.local_method = method if local_method is None else local_method
        if raw is not None:  # already compressed: (bytes, crc, uncompressed size)
            self.payload, self.crc, self.size = raw
        else:
            self.payload = data
            if method == 8:
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                self.payload = c.compress(data) + c.flush()
            self.crc = zlib.crc32(data) & 0xFFFFFFFF
            self.size = len(data)
        if crc is not None:
            self.crc = crc
        if size is not None:
            self.size = size
        self.local_sizes = local_sizes  # (compressed, uncompressed) in the local header, if different


def write_zip(members, comment=b"", before_eocd=b""):
    out = bytearray()
    central = bytearray()
    for m in members:
        offset = len(out)
        csize, usize = m.local_sizes or (len(m.payload), m.size)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, m.local_method, 0, 0x21, m.crc, csize, usize,
                           len(m.local_name), 0) + m.local_name + m.payload
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, m.method, 0, 0x21, m.crc,
                               len(m.payload), m.size, len(m.name), 0, 0, 0, 0, 0, offset) + m.name
    cd_offset = len(out)
    out += central + before_eocd
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), cd_offset,
                       len(comment)) + comment
    return bytes(out)


def archive(replace=None, extra=(), drop=()):
    """The base model's archive with members replaced (name -> bytes), added or dropped."""
    replace = replace or {}
    ms = [Member(n, replace.get(n, d)) for n, d in MEMBERS if n not in drop]
    return write_zip(ms + list(extra))


def config_with(edit):
    c = json.loads(json.dumps(CONFIG))
    edit(c)
    return json.dumps(c).encode()


def lstm_config(c):
    return c["config"]["layers"][1]["config"]


@functools.lru_cache(maxsize=None)
def deflate_stream(chunk, count):
    """A raw deflate stream of `chunk` repeated `count` times, its CRC-32 and size, made in pieces."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts, crc = [], 0
    for _ in range(count):
        parts.append(c.compress(chunk))
        crc = zlib.crc32(chunk, crc)
    parts.append(c.flush())
    return b"".join(parts), crc & 0xFFFFFFFF, len(chunk) * count


# --------------------------------------------------------------------------------------------
# HDF5 files.


def write_reference(path, inputs=None, outputs=None, extra=None, fixture=False, model=None,
                    tolerances=None, attrs=None):
    with h5py.File(path, "w") as f:
        if fixture:
            for k, v in (ATTRS if attrs is None else attrs).items():
                f.attrs[k] = v
            g = f.create_group("model")
            for k, v in MODEL_ATTRS.items():
                g.attrs[k] = v
            g.create_dataset("file", data=np.frombuffer(MODEL if model is None else model, dtype=np.uint8))
            if tolerances is not None:
                t = f.create_group("tolerances")
                for k, v in tolerances.items():
                    t.attrs[k] = v
        for i, x in enumerate(INPUTS if inputs is None else inputs):
            f[f"input_{i}"] = x
        for i, (y, label) in enumerate(OUTPUTS if outputs is None else outputs):
            f[f"output_{i}"] = y
            if label:
                f[f"output_{i}"].attrs["name"] = label
        if extra:
            extra(f)
    return path


def weights_with(edit):
    """The base model's weights file, edited in h5py."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "w.h5")
        with open(p, "wb") as f:
            f.write(WEIGHTS)
        with h5py.File(p, "r+") as f:
            edit(f)
        with open(p, "rb") as f:
            return f.read()


def bomb_dataset(group, name, nominal_chunk_bytes, shape=(1,), dtype="f4"):
    """A dataset of `shape` whose single chunk holds `nominal_chunk_bytes` of zeros, gzip'd (the
    chunk is far larger than the dataset, which an extendible dataset allows)."""
    rest = int(np.prod(shape[:-1]))
    chunks = tuple(shape[:-1]) + (nominal_chunk_bytes // np.dtype(dtype).itemsize // rest,)
    ds = group.create_dataset(name, shape=shape, maxshape=(None,) * len(shape), chunks=chunks, dtype=dtype,
                              compression="gzip")
    stream, _, _ = deflate_stream(b"\0" * MB, nominal_chunk_bytes // MB)
    ds.id.write_direct_chunk((0,) * len(shape), zlib_wrap(stream, nominal_chunk_bytes), 0)
    return ds


@functools.lru_cache(maxsize=None)
def zlib_wrap(raw_deflate, size):
    """A zlib stream (HDF5's gzip filter format) around a raw deflate stream of `size` zero bytes."""
    adler = 1
    block = b"\0" * MB
    for _ in range(size // MB):
        adler = zlib.adler32(block, adler)
    return b"\x78\xda" + raw_deflate + struct.pack(">I", adler & 0xFFFFFFFF)


def inflating_chunk(group, name, shape, chunk, inflated_bytes, dtype="f4"):
    """A chunked gzip dataset whose one stored chunk inflates to far more than the chunk holds."""
    ds = group.create_dataset(name, shape=shape, maxshape=(None,) * len(shape), chunks=chunk,
                              dtype=dtype, compression="gzip")
    stream, _, _ = deflate_stream(b"\0" * MB, inflated_bytes // MB)
    ds.id.write_direct_chunk((0,) * len(shape), zlib_wrap(stream, inflated_bytes), 0)
    return ds


# --------------------------------------------------------------------------------------------
# Cases.


class Case:
    def __init__(self, name, family, build, exit, contains=(), pending=None, time_s=5.0, mem_mb=500,
                 run=None, note=""):
        self.name, self.family, self.build, self.exit = name, family, build, exit
        self.contains, self.pending, self.time_s, self.mem_mb = list(contains), pending, time_s, mem_mb
        self.run = run  # custom procedure instead of one command (signals)
        self.note = note


CASES = []


def case(name, family, exit, contains=(), **kw):
    def register(build):
        CASES.append(Case(name, family, build, exit, contains, **kw))
        return build
    return register


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def compare_case(d, model_bytes, ref=None, model_name="model.keras", args=()):
    """`rnncheck compare MODEL REF` on the base reference (or `ref`)."""
    m = write(os.path.join(d, model_name), model_bytes)
    r = ref or write_reference(os.path.join(d, "ref.h5"))
    return {"argv": ["compare", m, r, *args], "keep": [m, r]}


ANY_LENGTH_MODEL = archive({"config.json": config_with(_any_length)})

# ---- archive ---------------------------------------------------------------------------------

def relu_config():
    return config_with(lambda c: lstm_config(c).update(activation="relu"))


@case("archive/duplicate-config", "archive", 2, ["model.keras", "config.json", "more than once"],
      note="two config.json members, tanh then relu: Keras reads the last")
def _(d):
    return compare_case(d, write_zip([Member(n, b) for n, b in MEMBERS] + [Member("config.json", relu_config())]))


@case("archive/duplicate-weights", "archive", 2, ["model.keras", "model.weights.h5", "more than once"])
def _(d):
    other = weights_with(lambda f: f["layers/lstm/cell/vars/2"].__setitem__(slice(None), 1.0))
    return compare_case(d, write_zip([Member(n, b) for n, b in MEMBERS] + [Member("model.weights.h5", other)]))


@case("archive/duplicate-metadata", "archive", 2, ["model.keras", "metadata.json", "more than once"])
def _(d):
    return compare_case(d, write_zip([Member(n, b) for n, b in MEMBERS] + [Member("metadata.json", b'{"keras_version": "2.15.0"}')]))


@case("archive/nul-in-name", "archive", 2, ["model.keras", "config.json"],
      note="Python's zipfile cuts a member name at NUL: 'config.json\\0x' is a second config.json to Keras")
def _(d):
    return compare_case(d, write_zip([Member(n, b) for n, b in MEMBERS] + [Member(b"config.json\0x", relu_config())]))


@case("archive/local-name-mismatch", "archive", 2, ["model.keras", "local header"])
def _(d):
    ms = [Member(n, b) for n, b in MEMBERS]
    ms[1].local_name = b"config.jsox"
    return compare_case(d, write_zip(ms))


@case("archive/local-method-mismatch", "archive", 2, ["model.keras", "local header"])
def _(d):
    ms = [Member(n, b) for n, b in MEMBERS]
    ms[1].local_method = 8
    return compare_case(d, write_zip(ms))


@case("archive/local-size-mismatch", "archive", 2, ["model.keras", "local header"])
def _(d):
    ms = [Member(n, b) for n, b in MEMBERS]
    ms[1].local_sizes = (len(ms[1].payload) - 7, ms[1].size - 7)
    return compare_case(d, write_zip(ms))


@case("archive/prepended-bytes", "archive", 2, ["model.keras"],
      note="bytes before the first member: Python shifts every offset, other readers do not")
def _(d):
    return compare_case(d, b"\0" * 64 + write_zip([Member(n, b) for n, b in MEMBERS]))


@case("archive/end-record-in-comment", "archive", 2, ["model.keras"],
      note="a second end-of-directory record in the comment: readers disagree on which is real")
def _(d):
    good = write_zip([Member(n, b) for n, b in MEMBERS])
    fake = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0, 0, 0, 0, 0)
    body = good[:-2] + struct.pack("<H", len(fake)) + fake
    return compare_case(d, body)


@case("archive/zip64-locator", "archive", 2, ["model.keras"])
def _(d):
    locator = struct.pack("<IIQI", 0x07064B50, 0, 0, 1)
    return compare_case(d, write_zip([Member(n, b) for n, b in MEMBERS], before_eocd=locator))


@case("archive/whitespace-config-1GB", "archive", 2, ["model.keras", "config.json"], mem_mb=1200, time_s=5.0,
      note="a 1 GB config.json of spaces, deflated to about 1 MB")
def _(d):
    raw = deflate_stream(b" " * MB, 1024)
    ms = [Member(n, b) for n, b in MEMBERS if n != "config.json"] + [Member("config.json", None, method=8, raw=raw)]
    return compare_case(d, write_zip(ms))


@case("archive/whitespace-weights-1GB", "archive", 2, ["model.keras", "model.weights.h5"], mem_mb=1200,
      note="a 1 GB model.weights.h5 of spaces, deflated")
def _(d):
    raw = deflate_stream(b" " * MB, 1024)
    ms = [Member(n, b) for n, b in MEMBERS if n != "model.weights.h5"] + [Member("model.weights.h5", None, method=8, raw=raw)]
    return compare_case(d, write_zip(ms))


@case("archive/json-array-200MB", "archive", 2, ["model.keras", "config.json"],
      note="a 200 MB JSON array in a 200 KB archive")
def _(d):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts, crc, size = [c.compress(b"[")], zlib.crc32(b"["), 1
    block = b"0," * (MB // 2)
    for _ in range(200):
        parts.append(c.compress(block))
        crc, size = zlib.crc32(block, crc), size + len(block)
    parts += [c.compress(b"0]"), c.flush()]
    raw = (b"".join(parts), zlib.crc32(b"0]", crc) & 0xFFFFFFFF, size + 2)
    ms = [Member(n, b) for n, b in MEMBERS if n != "config.json"] + [Member("config.json", None, method=8, raw=raw)]
    return compare_case(d, write_zip(ms))


@case("archive/member-longer-than-claimed", "archive", 2, ["model.keras", "config.json"])
def _(d):
    ms = [Member(n, b) for n, b in MEMBERS]
    body = dict(MEMBERS)["config.json"]
    ms[1] = Member("config.json", body + b" " * (8 * MB), method=8, size=len(body))
    return compare_case(d, write_zip(ms))


@case("archive/weights-crc-mismatch", "archive", 2, ["model.keras", "model.weights.h5", "is corrupt (CRC-32"],
      note="both headers record a CRC-32 the stored weights do not have (one bit of data flipped)")
def _(d):
    ms = [Member(n, b) for n, b in MEMBERS]
    i = [m.name for m in ms].index(b"model.weights.h5")
    ms[i].crc ^= 1
    return compare_case(d, write_zip(ms))


@case("archive/deflated-config-crc-mismatch", "archive", 2, ["model.keras", "config.json", "is corrupt (CRC-32"])
def _(d):
    ms = [Member(n, b, method=8) if n == "config.json" else Member(n, b) for n, b in MEMBERS]
    i = [m.name for m in ms].index(b"config.json")
    ms[i].crc ^= 0x80000000
    return compare_case(d, write_zip(ms))


@case("archive/harmless-extra-member", "archive", 0, note="an extra member Keras ignores: a pass")
def _(d):
    return compare_case(d, write_zip([Member(n, b) for n, b in MEMBERS] + [Member("notes.txt", b"hello")]))


# ---- config ------------------------------------------------------------------------------------

def raw_config_archive(text):
    return archive({"config.json": text})


@case("config/duplicate-key", "config", 2, ["model.keras", "config.json", "activation", "more than once"],
      note='"activation": "tanh", "activation": "relu" in one object: Python keeps the last')
def _(d):
    text = json.dumps(CONFIG).replace('"activation": "tanh"', '"activation": "tanh", "activation": "relu"')
    return compare_case(d, raw_config_archive(text.encode()))


@case("config/duplicate-key-top", "config", 2, ["model.keras", "config.json", "class_name"])
def _(d):
    text = json.dumps(CONFIG)
    text = '{"class_name": "Sequential", ' + text[1:]
    return compare_case(d, raw_config_archive(text.encode()))


@case("config/deep-nesting", "config", 2, ["model.keras", "config.json"])
def _(d):
    return compare_case(d, raw_config_archive(b"[" * 200000 + b"]" * 200000))


@case("config/json5-comment", "config", 2, ["model.keras", "config.json", "not valid JSON"],
      note="a comment: Foundation's JSON5 mode accepted it, Python's json module does not")
def _(d):
    return compare_case(d, raw_config_archive(b"// hi\n" + json.dumps(CONFIG).encode()))


@case("config/json5-trailing-comma", "config", 2, ["model.keras", "config.json", "not valid JSON"])
def _(d):
    return compare_case(d, raw_config_archive(json.dumps(CONFIG).encode()[:-1] + b",}"))


@case("config/nan-and-infinity", "config", 0, note="NaN / Infinity as Python writes them are read, as Python does")
def _(d):
    text = json.dumps(CONFIG).replace('"minval": -0.5', '"minval": NaN').replace('"maxval": 0.5', '"maxval": Infinity')
    return compare_case(d, raw_config_archive(text.encode()))


@case("config/unicode-escapes", "config", 0, note="escaped key names mean the same key, as in Python")
def _(d):
    text = json.dumps(CONFIG).replace('"units"', '"\\u0075nits"')
    return compare_case(d, raw_config_archive(text.encode()))


@case("config/escaped-duplicate-key", "config", 2, ["model.keras", "units", "more than once"])
def _(d):
    text = json.dumps(CONFIG).replace('"units": 4', '"units": 4, "\\u0075nits": 5')
    return compare_case(d, raw_config_archive(text.encode()))


@case("config/version-contradiction", "config", 2, ["model.keras", "keras_version"],
      note="metadata.json says 3.15.1, config.json says 2.15.0")
def _(d):
    text = config_with(lambda c: c.update(keras_version="2.15.0"))
    return compare_case(d, raw_config_archive(text))


@case("config/keras-history-index-99", "config", 2, ["model.keras", "'rnn'", "99"],
      note="a tensor index of 99 in keras_history (trapped inspect and run)")
def _(d):
    def edit(c):
        c["config"]["output_layers"][2] = ["rnn", 0, 99]
    return compare_case(d, raw_config_archive(config_with(edit)))


@case("config/keras-history-index-99-inspect", "config", 2, ["model.keras"],
      note="inspect on the same file: no signal")
def _(d):
    def edit(c):
        c["config"]["output_layers"][2] = ["rnn", 0, 99]
    m = write(os.path.join(d, "model.keras"), raw_config_archive(config_with(edit)))
    return {"argv": ["inspect", m], "keep": [m]}


@case("config/keras-history-index-99-run", "config", 2, ["model.keras"], note="run on the same file: no signal")
def _(d):
    def edit(c):
        c["config"]["output_layers"][2] = ["rnn", 0, 99]
    m = write(os.path.join(d, "model.keras"), raw_config_archive(config_with(edit)))
    i = write_reference(os.path.join(d, "in.h5"), outputs=[])
    return {"argv": ["run", m, i, "-o", os.path.join(d, "out.h5")], "keep": [m, i]}


def long_chain(reverse):
    def edit(c):
        layers = c["config"]["layers"]
        prev = "rnn"
        for k in range(10000):
            name = f"id_{k}"
            layers.append({"module": "keras.layers", "class_name": "Activation",
                           "config": {"name": name, "trainable": True, "dtype": "float32", "activation": "linear"},
                           "registered_name": None, "name": name,
                           "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                               "shape": [None, 5, 4], "dtype": "float32", "keras_history": [prev, 0, 0]}}],
                               "kwargs": {}}]})
            prev = name
        c["config"]["output_layers"][0] = [prev, 0, 0]
        if reverse:
            layers.reverse()
    return config_with(edit)


@case("config/10000-layers-reversed", "config", 0,
      note="10,000 linear Activation layers after the LSTM, listed last-first: Keras computes the same")
def _(d):
    return compare_case(d, raw_config_archive(long_chain(True)))


@case("config/10000-layers-in-order", "config", 0,
      note="the same 10,000 layers in order")
def _(d):
    return compare_case(d, raw_config_archive(long_chain(False)))


# ---- layer-config (the layers of issues 13 and 14, one option made hostile) -------------------
#
# Each case takes a shipped Keras 3 weights-only fixture (`model.weights.h5` in /model/file,
# `model.to_json()` in /model/config), changes one option of one layer (or of the layer a
# TimeDistributed / Bidirectional wraps) and runs `compare model.weights.h5 FIXTURE --config
# config.json`: the answer is exit 2 with a sentence naming the layer and the option, within the
# time and memory bounds. The "budget" cases are sizes each within its limit whose run would need
# gigabytes: refused before anything is allocated, under a small --max-read-bytes.

LAYER_FIXTURES = ("k3w_conv_chain", "k3w_attention_mix", "shape_layers_weights",
                  "pooling_layers_weights", "norm_act_chain_weights", "k3w_convlstm_chain")


@functools.lru_cache(maxsize=None)
def weights_fixture(name):
    path = os.path.join(ROOT, "fixtures", f"{name}.h5")
    with h5py.File(path, "r") as f:
        config = f["model/config"][()]
        return path, bytes(f["model/file"][()]), json.loads(config.decode() if isinstance(config, bytes) else config)


def layer_config_case(fixture, layer, changes, inner=False, args=()):
    """A build function: `fixture`'s model with `changes` (key -> value; None removes the key)
    in the config of `layer` (inner: of the layer it wraps)."""
    def build(d):
        path, weights, config = weights_fixture(fixture)
        c = json.loads(json.dumps(config))
        [L] = [L for L in c["config"]["layers"] if L["config"]["name"] == layer]
        target = L["config"]["layer"]["config"] if inner else L["config"]
        for k, v in changes.items():
            if v is None:
                target.pop(k, None)
            else:
                target[k] = v
        m = write(os.path.join(d, "model.weights.h5"), weights)
        cfg = write(os.path.join(d, "config.json"), json.dumps(c).encode())
        ref = os.path.join(d, "ref.h5")
        shutil.copyfile(path, ref)
        return {"argv": ["compare", m, ref, "--config", cfg, *args], "keep": [m, cfg, ref]}
    return build


# (case name, fixture, layer, changes, inner, words the error must hold)
LAYER_CONFIGS = [
    # Convolutions (issue 13): conv, sep, dw, tr in k3w_conv_chain (x: 8 steps, 3 channels).
    ("conv1d-filters-zero", "k3w_conv_chain", "conv", {"filters": 0}, False, ["filters"]),
    ("conv1d-filters-1e12", "k3w_conv_chain", "conv", {"filters": 1e12}, False, ["filters"]),
    ("conv1d-kernel-fractional", "k3w_conv_chain", "conv", {"kernel_size": [2.5]}, False, ["kernel_size"]),
    ("conv1d-kernel-larger-than-input", "k3w_conv_chain", "conv", {"dilation_rate": [5], "padding": "valid"}, False,
     ["kernel_size", "dilation_rate"]),
    ("conv1d-strides-negative", "k3w_conv_chain", "conv", {"strides": [-1]}, False, ["strides"]),
    ("conv1d-dilation-string", "k3w_conv_chain", "conv", {"dilation_rate": "2"}, False, ["dilation_rate"]),
    ("conv1d-groups-not-dividing", "k3w_conv_chain", "conv", {"groups": 2}, False, ["groups"]),
    ("separable-multiplier-huge", "k3w_conv_chain", "sep", {"depth_multiplier": 1 << 40}, False, ["depth_multiplier"]),
    ("depthwise-multiplier-negative", "k3w_conv_chain", "dw", {"depth_multiplier": -2}, False, ["depth_multiplier"]),
    ("transpose-output-padding-too-large", "k3w_conv_chain", "tr", {"output_padding": [5]}, False, ["output_padding"]),
    ("transpose-strides-zero", "k3w_conv_chain", "tr", {"strides": [0]}, False, ["strides"]),
    # Attention (issue 13): att, add_att, mha, gqa in k3w_attention_mix.
    ("attention-score-mode", "k3w_attention_mix", "att", {"score_mode": "cosine"}, False, ["score_mode"]),
    ("additive-attention-use-scale-string", "k3w_attention_mix", "add_att", {"use_scale": "yes"}, False, ["use_scale"]),
    ("mha-num-heads-zero", "k3w_attention_mix", "mha", {"num_heads": 0}, False, ["num_heads"]),
    ("mha-key-dim-1e12", "k3w_attention_mix", "mha", {"key_dim": 1e12}, False, ["key_dim"]),
    ("mha-value-dim-fractional", "k3w_attention_mix", "mha", {"value_dim": 2.5}, False, ["value_dim"]),
    ("mha-attention-axes-out-of-range", "k3w_attention_mix", "mha", {"attention_axes": [5]}, False, ["attention_axes"]),
    ("mha-output-shape-zero", "k3w_attention_mix", "mha", {"output_shape": [0]}, False, ["output_shape"]),
    ("gqa-kv-heads-not-dividing", "k3w_attention_mix", "gqa", {"num_key_value_heads": 3}, False, ["num_key_value_heads"]),
    ("gqa-head-dim-negative", "k3w_attention_mix", "gqa", {"head_dim": -1}, False, ["head_dim"]),
    # Shape layers: repeat, reshape, perm, pad, crop, up, flat in shape_layers_weights.
    ("repeat-vector-1e12", "shape_layers_weights", "repeat", {"n": 1e12}, False, ["n"]),
    ("reshape-not-dividing", "shape_layers_weights", "reshape", {"target_shape": [5, -1]}, False, ["target_shape"]),
    ("reshape-product-overflows", "shape_layers_weights", "reshape", {"target_shape": [1 << 24] * 4}, False, ["target_shape"]),
    ("permute-axis-out-of-range", "shape_layers_weights", "perm", {"dims": [1, 3]}, False, ["dims"]),
    ("zero-padding1d-negative", "shape_layers_weights", "pad", {"padding": [1, -2]}, False, ["padding"]),
    ("cropping1d-leaves-nothing", "shape_layers_weights", "crop", {"cropping": [3, 3]}, False, ["cropping"]),
    ("upsampling1d-zero", "shape_layers_weights", "up", {"size": 0}, False, ["size"]),
    # Pooling: max1d, avg1d, max2d, avg2d, gap1d in pooling_layers_weights.
    ("maxpool1d-pool-zero", "pooling_layers_weights", "max1d", {"pool_size": [0]}, False, ["pool_size"]),
    ("maxpool2d-larger-than-input", "pooling_layers_weights", "max2d", {"pool_size": [5, 5]}, False, ["pool_size"]),
    ("avgpool2d-strides-negative", "pooling_layers_weights", "avg2d", {"strides": [1, -1]}, False, ["strides"]),
    ("global-pool-keepdims-string", "pooling_layers_weights", "gap1d", {"keepdims": "yes"}, False, ["keepdims"]),
    # An axis out of range.
    ("batch-norm-axis-out-of-range", "norm_act_chain_weights", "bn", {"axis": 7}, False, ["axis"]),
    ("softmax-axis-out-of-range", "norm_act_chain_weights", "sm", {"axis": -9}, False, ["axis"]),
    # ConvLSTM and the 2-D / 3-D layers (issue 14) in k3w_convlstm_chain.
    ("convlstm2d-filters-zero", "k3w_convlstm_chain", "clstm2d", {"filters": 0}, False, ["filters"]),
    ("convlstm2d-filters-1e12", "k3w_convlstm_chain", "clstm2d", {"filters": 1e12}, False, ["filters"]),
    ("convlstm2d-filters-string", "k3w_convlstm_chain", "clstm2d", {"filters": "2"}, False, ["filters"]),
    ("convlstm2d-kernel-larger-than-frames", "k3w_convlstm_chain", "clstm2d",
     {"kernel_size": [7, 7], "padding": "valid"}, False, ["kernel_size"]),
    ("convlstm2d-strides-zero", "k3w_convlstm_chain", "clstm2d", {"strides": [0, 1]}, False, ["strides"]),
    ("convlstm2d-dilation-huge", "k3w_convlstm_chain", "clstm2d", {"dilation_rate": [1 << 40, 1]}, False, ["dilation_rate"]),
    ("convlstm2d-padding-full", "k3w_convlstm_chain", "clstm2d", {"padding": "full"}, False, ["padding"]),
    ("convlstm2d-channels-first", "k3w_convlstm_chain", "clstm2d", {"data_format": "channels_first"}, False,
     ["channels_first"]),
    ("convlstm2d-recurrent-softmax", "k3w_convlstm_chain", "clstm2d", {"recurrent_activation": "softmax"}, False,
     ["softmax"]),
    ("convlstm1d-kernel-fractional", "k3w_convlstm_chain", "clstm1d", {"kernel_size": [1.5]}, False, ["kernel_size"]),
    ("convlstm1d-kernel-larger-than-frames", "k3w_convlstm_chain", "clstm1d", {"kernel_size": [9]}, False, ["kernel_size"]),
    ("convlstm3d-filters-huge", "k3w_convlstm_chain", "clstm3d", {"filters": 1 << 40}, False, ["filters"]),
    ("convlstm3d-kernel-wrong-count", "k3w_convlstm_chain", "clstm3d", {"kernel_size": [2, 2]}, False, ["kernel_size"]),
    ("bidi-convlstm-filters-negative", "k3w_convlstm_chain", "bi", {"filters": -2}, True, ["filters"]),
    ("bidi-convlstm-merge-mode", "k3w_convlstm_chain", "bi", {"merge_mode": "max"}, False, ["merge_mode"]),
    ("zero-padding2d-huge", "k3w_convlstm_chain", "pad2d", {"padding": 1e9}, True, ["padding"]),
    ("zero-padding3d-wrong-type", "k3w_convlstm_chain", "pad3d", {"padding": "1"}, True, ["padding"]),
    ("cropping2d-leaves-nothing", "k3w_convlstm_chain", "crop2d", {"cropping": [[4, 4], [0, 0]]}, True, ["cropping"]),
    ("cropping3d-negative", "k3w_convlstm_chain", "crop3d", {"cropping": [0, -1, 0]}, True, ["cropping"]),
    ("upsampling2d-zero", "k3w_convlstm_chain", "up2d", {"size": [0, 2]}, True, ["size"]),
    ("upsampling2d-bicubic", "k3w_convlstm_chain", "up2d", {"interpolation": "bicubic"}, True, ["bicubic"]),
    ("upsampling3d-1e12", "k3w_convlstm_chain", "up3d", {"size": 1e12}, True, ["size"]),
    ("maxpool2d-pool-fractional", "k3w_convlstm_chain", "pool2d", {"pool_size": [2.5, 2]}, True, ["pool_size"]),
    ("avgpool3d-larger-than-input", "k3w_convlstm_chain", "pool3d", {"pool_size": [6, 2, 2]}, True, ["pool_size"]),
    ("conv2d-kernel-larger-than-input", "k3w_convlstm_chain", "conv2d", {"kernel_size": [8, 8]}, True, ["kernel_size"]),
    ("conv3d-groups-not-dividing", "k3w_convlstm_chain", "conv3d", {"groups": 3}, True, ["groups"]),
]

assert {c[1] for c in LAYER_CONFIGS} <= set(LAYER_FIXTURES), "a layer-config case on an undeclared fixture"
for _name, _fixture, _layer, _changes, _inner, _words in LAYER_CONFIGS:
    case(f"layer-config/{_name}", "layer-config", 2, [_layer] + _words,
         note=f"{_fixture}: {_layer}{' (wrapped layer)' if _inner else ''} {_changes}")(
        layer_config_case(_fixture, _layer, _changes, _inner))

# Sizes each within its limit whose run would need gigabytes: refused before any allocation,
# under a 64 MB --max-read-bytes (peak memory bounded well below what the run would need).
case("layer-config/repeat-vector-at-the-limit", "layer-config", 2, ["'head'", "(kernel)", "67108864"], mem_mb=300,
     note="RepeatVector(n=16777216) (the limit): the Flatten -> Dense after it would need a (67108864, 2) "
          "kernel, refused against the weights on file before anything is allocated")(
    layer_config_case("shape_layers_weights", "repeat", {"n": 1 << 24}, args=("--max-read-bytes", "64000000")))
case("layer-config/budget-upsampling2d", "layer-config", 2, ["--max-read-bytes"], mem_mb=300,
     note="UpSampling2D((4096, 4096)) inside TimeDistributed (only poolings and convolutions follow)")(
    layer_config_case("k3w_convlstm_chain", "up2d", {"size": [1 << 12] * 2}, inner=True,
                      args=("--max-read-bytes", "64000000")))
case("layer-config/budget-zero-padding2d", "layer-config", 2, ["--max-read-bytes"], mem_mb=300,
     note="ZeroPadding2D(16777216) inside TimeDistributed")(
    layer_config_case("k3w_convlstm_chain", "pad2d", {"padding": 1 << 24}, inner=True,
                      args=("--max-read-bytes", "64000000")))
case("layer-config/budget-convlstm-same-kernel", "layer-config", 2, ["clstm2d"], mem_mb=300,
     note="ConvLSTM2D with a 65536 x 65536 same-padded kernel: the weights on file disagree")(
    layer_config_case("k3w_convlstm_chain", "clstm2d", {"kernel_size": [1 << 16, 1 << 16]},
                      args=("--max-read-bytes", "64000000")))


# ---- weights (HDF5 inside the archive) ---------------------------------------------------------

@case("weights/gzip-chunk-2GiB", "weights", 2, ["model.keras", "model.weights.h5", "/layers/lstm/cell/vars/2"],
      note="a 2 GiB chunk of zeros, gzip'd to 2 MB")
def _(d):
    def edit(f):
        del f["layers/lstm/cell/vars/2"]
        bomb_dataset(f["layers/lstm/cell/vars"], "2", 2048 * MB, shape=(16,))
    return compare_case(d, archive({"model.weights.h5": weights_with(edit)}))


@case("weights/gzip-overinflating-chunk", "weights", 2, ["model.keras", "/layers/lstm/cell/vars/2"],
      note="a 64 KB chunk whose stored stream inflates to 1 GiB")
def _(d):
    def edit(f):
        del f["layers/lstm/cell/vars/2"]
        inflating_chunk(f["layers/lstm/cell/vars"], "2", (16,), (16384,), 1024 * MB)  # the bias: 16 floats
    return compare_case(d, archive({"model.weights.h5": weights_with(edit)}))


@case("weights/hard-link-cycle", "weights", 2, ["model.keras", "/layers"])
def _(d):
    def edit(f):
        f["layers/lstm/loop"] = f["layers"]
    return compare_case(d, archive({"model.weights.h5": weights_with(edit)}))


@case("weights/soft-link-to-ancestor", "weights", 2, ["model.keras", "/layers"])
def _(d):
    def edit(f):
        f["layers/lstm/up"] = h5py.SoftLink("/layers")
    return compare_case(d, archive({"model.weights.h5": weights_with(edit)}))


@case("weights/soft-link-to-ancestor-inspect", "weights", 2, ["model.keras", "/layers"])
def _(d):
    def edit(f):
        f["layers/lstm/up"] = h5py.SoftLink("/layers")
    m = write(os.path.join(d, "model.keras"), archive({"model.weights.h5": weights_with(edit)}))
    return {"argv": ["inspect", m], "keep": [m]}


@case("weights/nested-groups-20000", "weights", 2, ["model.keras", "/layers/lstm"])
def _(d):
    def edit(f):
        g = f["layers/lstm"].create_group("n")
        for _ in range(20000):
            g = g.create_group("n")
    return compare_case(d, archive({"model.weights.h5": weights_with(edit)}), args=["--case-timeout", "60"])


@case("weights/k2-gzip-chunk-2GiB", "weights", 2, ["model.h5"],
      note="the same bomb in a tf-keras full-model .h5")
def _(d):
    path = os.path.join(d, "model.h5")
    write(path, K2_MODEL)
    with h5py.File(path, "r+") as f:
        group = f["model_weights"]
        layer = [n for n in group.attrs["layer_names"] if len(group[n].attrs.get("weight_names", [])) > 0][0]
        layer = layer.decode() if isinstance(layer, bytes) else layer
        names = [n.decode() if isinstance(n, bytes) else n for n in group[layer].attrs["weight_names"]]
        target = names[-1]
        shape = group[layer][target].shape
        del group[layer][target]
        parent, leaf = os.path.split(target)
        bomb_dataset(group[layer].require_group(parent) if parent else group[layer], leaf, 2048 * MB, shape=shape)
    r = write_reference(os.path.join(d, "ref.h5"), inputs=K2_INPUTS, outputs=K2_OUTPUTS)
    return {"argv": ["compare", path, r], "keep": [r]}


# ---- reference -----------------------------------------------------------------------------

@case("reference/batch-0", "reference", 2, ["ref.h5", "/input_0", "no elements"],
      note="a reference of batch 0: nothing would be compared")
def _(d):
    r = write_reference(os.path.join(d, "ref.h5"), inputs=[x[:0] for x in INPUTS],
                        outputs=[(y[:0], n) for y, n in OUTPUTS])
    return compare_case(d, MODEL, ref=r)


@case("reference/outputs-batch-0", "reference", 2, ["ref.h5", "/output_0", "no elements"])
def _(d):
    r = write_reference(os.path.join(d, "ref.h5"), outputs=[(y[:0], n) for y, n in OUTPUTS])
    return compare_case(d, MODEL, ref=r)


def empty_huge_input(f_path):
    with h5py.File(f_path, "w") as f:
        f.create_dataset("input_0", shape=(0, 10**12, 3), dtype="f4", maxshape=(None, None, 3), chunks=(1, 1, 3))
        for i, (y, _) in enumerate(OUTPUTS):
            f[f"output_{i}"] = y


@case("reference/shape-0x1e12x3", "reference", 2, ["ref.h5", "/input_0"])
def _(d):
    r = os.path.join(d, "ref.h5")
    empty_huge_input(r)
    return compare_case(d, ANY_LENGTH_MODEL, ref=r)


@case("reference/shape-0x1e12x3-run", "reference", 2, ["in.h5", "/input_0"])
def _(d):
    r = os.path.join(d, "in.h5")
    empty_huge_input(r)
    m = write(os.path.join(d, "model.keras"), ANY_LENGTH_MODEL)
    return {"argv": ["run", m, r, "-o", os.path.join(d, "out.h5")], "keep": [m, r]}


@case("reference/never-written-input-run", "reference", 2, ["in.h5", "/input_0"],
      note="a 4 KB file declaring a 960 MB input that was never written")
def _(d):
    r = os.path.join(d, "in.h5")
    with h5py.File(r, "w") as f:
        f.create_dataset("input_0", shape=(1, 80_000_000, 3), dtype="f4", chunks=(1, 1024, 3))
    m = write(os.path.join(d, "model.keras"), ANY_LENGTH_MODEL)
    return {"argv": ["run", m, r, "-o", os.path.join(d, "out.h5")], "keep": [m, r]}


@case("reference/never-written-contiguous", "reference", 2, ["ref.h5", "/output_0"])
def _(d):
    def extra(f):
        del f["output_0"]
        f.create_dataset("output_0", shape=OUTPUTS[0][0].shape, dtype="f4")
    r = write_reference(os.path.join(d, "ref.h5"), extra=extra)
    return compare_case(d, MODEL, ref=r)


@case("reference/long-input-run", "reference", 2, ["in.h5", "/input_0"],
      note="a written (gzip'd) input of 10 million steps: the run would allocate gigabytes")
def _(d):
    r = os.path.join(d, "in.h5")
    with h5py.File(r, "w") as f:
        ds = f.create_dataset("input_0", shape=(1, 10_000_000, 3), dtype="f4", chunks=(1, 1_000_000, 3),
                              compression="gzip")
        ds[0, :1_000_000, :] = 0.0
        for k in range(1, 10):
            ds[0, k * 1_000_000:(k + 1) * 1_000_000, :] = 0.0
    m = write(os.path.join(d, "model.keras"), ANY_LENGTH_MODEL)
    return {"argv": ["run", m, r, "-o", os.path.join(d, "out.h5")], "keep": [m, r]}


@case("reference/gzip-chunk-2GiB-output", "reference", 2, ["ref.h5", "/output_1"])
def _(d):
    def extra(f):
        del f["output_1"]
        bomb_dataset(f, "output_1", 2048 * MB, shape=OUTPUTS[1][0].shape)
    return compare_case(d, MODEL, ref=write_reference(os.path.join(d, "ref.h5"), extra=extra))


@case("reference/gzip-overinflating-input", "reference", 2, ["ref.h5", "/input_0"])
def _(d):
    def extra(f):
        del f["input_0"]
        inflating_chunk(f, "input_0", (2, 5, 3), (2, 5, 4096), 1024 * MB)
    return compare_case(d, MODEL, ref=write_reference(os.path.join(d, "ref.h5"), extra=extra))


@case("reference/control-characters-in-name", "reference", 1, ["output\\u{1B}[31m"],
      note="raw control characters in an output's @name never reach the terminal (a perturbed output, to print it)")
def _(d):
    outs = [(y.copy(), n) for y, n in OUTPUTS]
    outs[0] = (outs[0][0] + 0.5, "output\x1b[31m\x07")
    return compare_case(d, MODEL, ref=write_reference(os.path.join(d, "ref.h5"), outputs=outs))


# ---- fixture -------------------------------------------------------------------------------

def perturbed_outputs(delta):
    return [(y + delta if i == 0 else y, n) for i, (y, n) in enumerate(OUTPUTS)]


def fixture_case(d, name="fx.h5", args=(), **kw):
    p = write_reference(os.path.join(d, name), fixture=True, **kw)
    return {"argv": ["verify", p, *args], "keep": [p]}


@case("fixture/atol-inf", "fixture", 2, ["fx.h5", "/tolerances@atol"], note="outputs 123 away, atol inf")
def _(d):
    return fixture_case(d, outputs=perturbed_outputs(123.0), tolerances={"atol": np.inf, "reason": "trust me"})


@case("fixture/atol-1e300", "fixture", 2, ["fx.h5", "/tolerances@atol"])
def _(d):
    return fixture_case(d, outputs=perturbed_outputs(123.0), tolerances={"atol": 1e300})


@case("fixture/rtol-inf", "fixture", 2, ["fx.h5", "/tolerances@rtol"])
def _(d):
    return fixture_case(d, outputs=perturbed_outputs(123.0), tolerances={"rtol": np.inf})


@case("fixture/rtol-nan", "fixture", 2, ["fx.h5", "/tolerances@rtol"])
def _(d):
    return fixture_case(d, tolerances={"rtol": np.nan})


@case("fixture/atol-negative", "fixture", 2, ["fx.h5", "/tolerances@atol"])
def _(d):
    return fixture_case(d, tolerances={"atol": -1.0})


@case("fixture/atol-string", "fixture", 2, ["fx.h5", "/tolerances@atol"])
def _(d):
    return fixture_case(d, tolerances={"atol": "0.5"})


@case("fixture/atol-0.5", "fixture", 2, ["fx.h5", "/tolerances@atol"], note="above the ceiling of 1e-3")
def _(d):
    return fixture_case(d, outputs=perturbed_outputs(0.01), tolerances={"atol": 0.5})


@case("fixture/command-line-wins", "fixture", 1, [],
      note="a fixture atol of 5e-4 does not override an explicit --atol 0 --rtol 0")
def _(d):
    return fixture_case(d, outputs=perturbed_outputs(1e-4), tolerances={"atol": 5e-4, "reason": "loose"},
                        args=["--atol", "0", "--rtol", "0"])


@case("fixture/sane-tolerance-passes", "fixture", 0, note="a fixture atol of 5e-4 over a 1e-4 perturbation: a pass")
def _(d):
    return fixture_case(d, outputs=perturbed_outputs(1e-4), tolerances={"atol": 5e-4, "reason": "documented"})


@case("fixture/batch-0", "fixture", 2, ["fx.h5", "no elements"])
def _(d):
    return fixture_case(d, inputs=[x[:0] for x in INPUTS], outputs=[(y[:0], n) for y, n in OUTPUTS])


@case("fixture/model-file-gzip-chunk-2GiB", "fixture", 2, ["fx.h5", "/model/file"])
def _(d):
    p = write_reference(os.path.join(d, "fx.h5"), fixture=True)
    with h5py.File(p, "r+") as f:
        del f["model/file"]
        bomb_dataset(f["model"], "file", 2048 * MB, shape=(len(MODEL),), dtype="u1")
    return {"argv": ["verify", p], "keep": [p]}


@case("fixture/control-characters-in-name", "fixture", 1, ["fx\\u{1B}]0;pwned\\u{7}"],
      note="a fixture @name with an escape sequence is printed escaped")
def _(d):
    attrs = dict(ATTRS)
    attrs["name"] = "fx\x1b]0;pwned\x07"
    return fixture_case(d, attrs=attrs, outputs=perturbed_outputs(1.0))


# ---- output paths --------------------------------------------------------------------------

def run_setup(d):
    m = write(os.path.join(d, "model.keras"), MODEL)
    i = write_reference(os.path.join(d, "in.h5"), outputs=[])
    return m, i


def sentinel(d):
    return write(os.path.join(d, "sentinel.txt"), b"do not touch\n")


@case("output/planted-temp-symlinks", "output", 0,
      note="symlinks at every name the old temporary could take point at a sentinel: it stays untouched")
def _(d):
    m, i = run_setup(d)
    s = sentinel(d)
    out = os.path.join(d, "out.h5")
    try:
        with open("/proc/sys/kernel/ns_last_pid") as f:
            last = int(f.read())
    except OSError:
        last = os.getpid()
    for pid in range(last, last + 400):
        os.symlink(s, os.path.join(d, f".out.h5.{pid}.tmp"))
    return {"argv": ["run", m, i, "-o", out], "keep": [m, i, s], "outputs": [out]}


def run_to_special(d, name, make, kind):
    """`run -o` onto a target that `make(path)` creates and that must still be a `kind` after."""
    m, i = run_setup(d)
    out = os.path.join(d, name)
    if make(out) is False:
        return None
    return {"argv": ["run", m, i, "-o", out], "keep": [m, i], "still": {out: kind}}


def make_device(path):
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # a copy of /dev/null
    except PermissionError:
        return False  # not root: skipped


@case("output/target-is-fifo", "output", 2, ["out.h5", "FIFO"])
def _(d):
    return run_to_special(d, "out.h5", os.mkfifo, "fifo")


@case("output/target-is-device", "output", 2, ["null", "not a regular file"])
def _(d):
    return run_to_special(d, "null", make_device, "chr")


@case("output/target-is-symlink", "output", 2, ["out.h5", "symbolic link"])
def _(d):
    s = sentinel(d)
    spec = run_to_special(d, "out.h5", lambda p: os.symlink(s, p), "lnk")
    spec["keep"].append(s)
    return spec


@case("output/target-is-directory", "output", 2, ["outdir"])
def _(d):
    return run_to_special(d, "outdir", os.mkdir, "dir")


@case("output/run-over-input", "output", 2, ["in.h5", "input"])
def _(d):
    m, i = run_setup(d)
    return {"argv": ["run", m, i, "-o", i], "keep": [m, i]}


@case("output/report-over-model", "output", 2, ["model.keras", "input"],
      note="compare --format json -o model.keras would overwrite the model with the report")
def _(d):
    spec = compare_case(d, MODEL)
    spec["argv"] += ["--format", "json", "-o", spec["keep"][0]]
    return spec


@case("output/report-over-reference", "output", 2, ["ref.h5", "input"])
def _(d):
    spec = compare_case(d, MODEL)
    spec["argv"] += ["--format", "junit", "-o", spec["keep"][1]]
    return spec


@case("output/report-over-fixture", "output", 2, ["fx.h5", "input"])
def _(d):
    spec = fixture_case(d)
    spec["argv"] += ["--format", "json", "-o", spec["keep"][0]]
    return spec


@case("output/report-over-fixture-in-folder", "output", 2, ["fx.h5", "input"])
def _(d):
    spec = fixture_case(d)
    spec["argv"] = ["verify", d, "--format", "html", "-o", spec["keep"][0]]
    return spec


@case("output/report-through-symlink-to-model", "output", 2, ["report.json", "symbolic link"])
def _(d):
    spec = compare_case(d, MODEL)
    link = os.path.join(d, "report.json")
    os.symlink(spec["keep"][0], link)
    spec["argv"] += ["--format", "json", "-o", link]
    spec["still"] = {link: "lnk"}
    return spec


@case("output/report-to-fifo", "output", 2, ["report.json", "FIFO"])
def _(d):
    spec = compare_case(d, MODEL)
    out = os.path.join(d, "report.json")
    os.mkfifo(out)
    spec["argv"] += ["--format", "json", "-o", out]
    spec["still"] = {out: "fifo"}
    return spec


@case("output/report-written", "output", 0, note="a report to a new name is written")
def _(d):
    spec = compare_case(d, MODEL)
    out = os.path.join(d, "report.json")
    spec["argv"] += ["--format", "json", "-o", out]
    spec["outputs"] = [out]
    return spec


# ---- model files (rnncheck export, .rnn) ---------------------------------------------------

RNNCHECK = os.path.join(ROOT, ".build", "release", "rnncheck")  # set by main()


@functools.lru_cache(maxsize=None)
def exported():
    """The base model exported by the rnncheck under test, as a ModelFile."""
    work = tempfile.mkdtemp(prefix="hostile-export-")
    try:
        m = write(os.path.join(work, "model.keras"), MODEL)
        out = os.path.join(work, "model.rnn")
        subprocess.run([RNNCHECK, "export", m, "-o", out], check=True, capture_output=True)
        with open(out, "rb") as f:
            return ModelFile.parse(f.read())
    finally:
        shutil.rmtree(work, ignore_errors=True)


def model_file_case(d, data, command="compare"):
    """`rnncheck compare model.rnn ref.h5` (or inspect / run) on a model file's bytes."""
    m = write(os.path.join(d, "model.rnn"), data)
    if command == "inspect":
        return {"argv": ["inspect", m], "keep": [m]}
    r = write_reference(os.path.join(d, "ref.h5"))
    if command == "run":
        out = os.path.join(d, "out.h5")
        return {"argv": ["run", m, r, "-o", out], "keep": [m, r], "outputs": [out]}
    return {"argv": ["compare", m, r], "keep": [m, r]}


def edited_description(old, new, count=1):
    mf = exported()
    text = mf.description.decode()
    assert old in text, f"the exported description lacks {old!r}"
    return ModelFile(description=text.replace(old, new, count).encode(), data=mf.data).to_bytes()


@case("modelfile/export", "modelfile", 0, ["wrote", "model.rnn", "format version 1"])
def _(d):
    m = write(os.path.join(d, "model.keras"), MODEL)
    out = os.path.join(d, "model.rnn")
    return {"argv": ["export", m, "-o", out], "keep": [m], "outputs": [out]}


@case("modelfile/compare-exported", "modelfile", 0, ["PASSED"], note="the exported model against Keras's outputs")
def _(d):
    return model_file_case(d, exported().to_bytes())


@case("modelfile/run-exported", "modelfile", 0, ["wrote"])
def _(d):
    return model_file_case(d, exported().to_bytes(), command="run")


@case("modelfile/inspect-exported", "modelfile", 0, ["rnncheck model file (.rnn)", "tensor 0: float32"])
def _(d):
    return model_file_case(d, exported().to_bytes(), command="inspect")


@case("modelfile/export-onto-model", "modelfile", 2, ["model.keras", "is also an input"])
def _(d):
    m = write(os.path.join(d, "model.keras"), MODEL)
    return {"argv": ["export", m, "-o", m], "keep": [m]}


@case("modelfile/with-config", "modelfile", 2, ["model.rnn", "carries its own model", "--config"])
def _(d):
    spec = model_file_case(d, exported().to_bytes())
    c = write(os.path.join(d, "config.json"), dict(MEMBERS)["config.json"])
    spec["argv"] += ["--config", c]
    spec["keep"].append(c)
    return spec


@case("modelfile/over-max-read-bytes", "modelfile", 2, ["model.rnn", "over the 1000-byte read limit (--max-read-bytes)"],
      note="an exported file larger than --max-read-bytes: refused before it is read")
def _(d):
    spec = model_file_case(d, exported().to_bytes())
    spec["argv"] += ["--max-read-bytes", "1000"]
    return spec


@case("modelfile/truncated-preamble", "modelfile", 2, ["model.rnn", "shorter than the 40-byte preamble"])
def _(d):
    return model_file_case(d, exported().to_bytes()[:20], command="inspect")


@case("modelfile/truncated-data", "modelfile", 2, ["model.rnn", "truncated"])
def _(d):
    return model_file_case(d, exported().to_bytes()[:-9])


@case("modelfile/bad-signature", "modelfile", 2, ["model.rnn", "not a Keras model file", "rnncheck .rnn"])
def _(d):
    data = bytearray(exported().to_bytes())
    data[1] ^= 0x01
    return model_file_case(d, bytes(data), command="inspect")


@case("modelfile/version-2", "modelfile", 2, ["model.rnn", "format version 2", "reads version 1"])
def _(d):
    mf = exported()
    return model_file_case(d, ModelFile(description=mf.description, data=mf.data, version=2).to_bytes())


@case("modelfile/reserved-flags", "modelfile", 2, ["model.rnn", "sets flags"])
def _(d):
    mf = exported()
    return model_file_case(d, ModelFile(description=mf.description, data=mf.data, flags=0x80000000).to_bytes())


@case("modelfile/description-length-max", "modelfile", 2, ["model.rnn", "declares a model description of 18446744073709551615 bytes"],
      note="a length of 2^64 - 1 (all bits set): refused before any allocation")
def _(d):
    return model_file_case(d, exported().to_bytes(description_length=(1 << 64) - 1))


@case("modelfile/data-length-huge", "modelfile", 2, ["model.rnn", "bytes of data"])
def _(d):
    return model_file_case(d, exported().to_bytes(data_length=1 << 62))


@case("modelfile/trailing-bytes", "modelfile", 2, ["model.rnn", "nothing may follow"])
def _(d):
    return model_file_case(d, exported().to_bytes() + b"\0" * 64)


@case("modelfile/description-crc", "modelfile", 2, ["model.rnn", "model description is corrupt"])
def _(d):
    return model_file_case(d, exported().to_bytes(description_crc=0))


@case("modelfile/data-crc", "modelfile", 2, ["model.rnn", "weight data is corrupt"])
def _(d):
    mf = exported()
    data = bytearray(mf.data)
    data[5] ^= 0x40
    return model_file_case(d, ModelFile(description=mf.description, data=bytes(data)).to_bytes(data_crc=zlib.crc32(mf.data)))


@case("modelfile/not-json", "modelfile", 2, ["model.rnn", "not valid JSON"])
def _(d):
    mf = exported()
    return model_file_case(d, ModelFile(description=mf.description[:-3], data=mf.data).to_bytes())


@case("modelfile/nan-in-shape", "modelfile", 2, ["model.rnn", "not valid JSON", "NaN"])
def _(d):
    return model_file_case(d, edited_description('"shape":[', '"shape":[NaN,'))


@case("modelfile/duplicate-key", "modelfile", 2, ["model.rnn", "appears twice"])
def _(d):
    return model_file_case(d, edited_description('{"metadata":{', '{"metadata":{"source":"a",'))


@case("modelfile/unknown-layer-type", "modelfile", 2, ["model.rnn", "unknown layer type 'QuantumLayer'"])
def _(d):
    return model_file_case(d, edited_description('"type":"RecurrentLayer"', '"type":"QuantumLayer"'))


@case("modelfile/unknown-key", "modelfile", 2, ["model.rnn", "unknown key 'stateful'"])
def _(d):
    return model_file_case(d, edited_description('"unroll":false', '"unroll":false,"stateful":true'))


@case("modelfile/weight-shape-mismatch", "modelfile", 2, ["model.rnn", "the layer needs"])
def _(d):
    return model_file_case(d, edited_description('"units":4,', '"units":5,'))


@case("modelfile/huge-tensor-shape", "modelfile", 2, ["model.rnn", "needs more bytes than"],
      note="a tensor claiming 10^12 × 10^12 elements in a 1 KB file")
def _(d):
    mf = exported()
    j = mf.json
    j["tensors"][0]["shape"] = [10**12, 10**12]
    return model_file_case(d, mf.with_json(j).to_bytes())


@case("modelfile/negative-and-fractional-sizes", "modelfile", 2, ["model.rnn", "must be a whole number"])
def _(d):
    return model_file_case(d, edited_description('"units":4,', '"units":-4.5,'))


@case("modelfile/200000-brackets", "modelfile", 2, ["model.rnn", "nested more than 256 deep"])
def _(d):
    mf = exported()
    text = mf.description.decode().replace('{"metadata":{', '{"metadata":{"x":' + "[" * 200000 + "]" * 200000 + ",", 1)
    return model_file_case(d, ModelFile(description=text.encode(), data=mf.data).to_bytes())


@case("modelfile/5-million-values", "modelfile", 2, ["model.rnn", "more than 4000000 values"],
      note="a 10 MB description of zeros: the parser stops counting at 4 million")
def _(d):
    mf = exported()
    text = mf.description.decode().replace('{"metadata":{', '{"metadata":{"x":[' + ",".join(["0"] * 5_000_000) + "],", 1)
    return model_file_case(d, ModelFile(description=text.encode(), data=mf.data).to_bytes())


# ---- signals -------------------------------------------------------------------------------

def hang_compare(d):
    spec = compare_case(d, MODEL)
    spec["env"] = {"RNNCHECK_TEST_WORKER_HANG_ON": "model.keras"}
    return spec


for _sig in ("SIGTERM", "SIGINT", "SIGKILL"):
    def _make(sig):
        @case(f"signal/compare-{sig}-mid-case", "signal", None,
              note=f"{sig} to compare while its worker reads: the worker goes too, nothing left in TMPDIR")
        def _(d):
            spec = hang_compare(d)
            spec["signal"] = (getattr(signal, sig), 1.0)
            return spec

        @case(f"signal/verify-{sig}-mid-case", "signal", None)
        def _(d):
            spec = fixture_case(d)
            spec["env"] = {"RNNCHECK_TEST_WORKER_HANG_ON": "fx.h5"}
            spec["signal"] = (getattr(signal, sig), 1.0)
            return spec

        for delay in (0.15, 0.3, 0.5):
            @case(f"signal/run-{sig}-at-{delay}s", "signal", None,
                  note="a killed run leaves no partial output and no temporary file")
            def _(d, delay=delay):
                m = write(os.path.join(d, "model.keras"), ANY_LENGTH_MODEL)
                i = os.path.join(d, "in.h5")
                with h5py.File(i, "w") as f:
                    f["input_0"] = np.random.default_rng(1).standard_normal((256, 4000, 3)).astype("f4")
                out = os.path.join(d, "out.h5")
                return {"argv": ["run", m, i, "-o", out], "keep": [m, i], "outputs": [out],
                        "signal": (getattr(signal, sig), delay), "complete_or_absent": out}
    _make(_sig)


# ---- arguments -----------------------------------------------------------------------------

@case("argument/max-read-bytes-int-max", "argument", 0, note="--max-read-bytes 9223372036854775807: no trap")
def _(d):
    return compare_case(d, MODEL, args=["--max-read-bytes", "9223372036854775807"])


@case("argument/negative-atol", "argument", 2, ["--atol", "-1"], note="reported as a negative value, not a missing one")
def _(d):
    return compare_case(d, MODEL, args=["--atol", "-1"])


@case("argument/negative-max-read-bytes", "argument", 2, ["--max-read-bytes", "-5"])
def _(d):
    return compare_case(d, MODEL, args=["--max-read-bytes", "-5"])


@case("argument/atol-inf", "argument", 2, ["--atol"])
def _(d):
    return compare_case(d, MODEL, args=["--atol", "inf"])


@case("argument/model-is-fifo", "argument", 2, ["model.keras", "FIFO"], note="a FIFO as the model never blocks")
def _(d):
    m = os.path.join(d, "model.keras")
    os.mkfifo(m)
    r = write_reference(os.path.join(d, "ref.h5"))
    return {"argv": ["compare", m, r], "keep": [r]}


@case("argument/model-is-fifo-inspect", "argument", 2, ["model.keras", "FIFO"])
def _(d):
    m = os.path.join(d, "model.keras")
    os.mkfifo(m)
    return {"argv": ["inspect", m], "keep": []}


@case("argument/config-is-fifo", "argument", 2, ["config.json", "FIFO"])
def _(d):
    m = write(os.path.join(d, "model.weights.h5"), WEIGHTS)
    c = os.path.join(d, "config.json")
    os.mkfifo(c)
    r = write_reference(os.path.join(d, "ref.h5"))
    return {"argv": ["compare", m, r, "--config", c], "keep": [m, r]}


@case("argument/reference-is-fifo", "argument", 2, ["ref.h5"])
def _(d):
    m = write(os.path.join(d, "model.keras"), MODEL)
    r = os.path.join(d, "ref.h5")
    os.mkfifo(r)
    return {"argv": ["compare", m, r], "keep": [m]}


@case("argument/unreadable-model", "argument", 2, ["model.keras"], note="permission denied, said so")
def _(d):
    if os.geteuid() == 0:
        return None  # root reads anything: skipped
    m = write(os.path.join(d, "model.keras"), MODEL)
    os.chmod(m, 0)
    r = write_reference(os.path.join(d, "ref.h5"))
    return {"argv": ["compare", m, r], "keep": [r]}


@case("argument/worker-crash-names-model", "argument", 2, ["model.keras", "crashed"],
      note="a worker crash while the model is read names the model, not the reference")
def _(d):
    spec = compare_case(d, MODEL)
    spec["env"] = {"RNNCHECK_TEST_WORKER_CRASH_ON": "model.keras"}
    spec["not_contains"] = ["ref.h5: reading it crashed"]
    return spec


# --------------------------------------------------------------------------------------------
# Running a case.


def processes_naming(text):
    """PIDs of processes whose command line contains `text`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if text.encode() in f.read():
                    found.append(int(entry))
        except OSError:
            pass
    return found


def snapshot(d):
    """Every path under `d` with its type and, for regular files, a hash."""
    result = {}
    for base, dirs, files in os.walk(d):
        for n in dirs + files:
            p = os.path.join(base, n)
            st = os.lstat(p)
            kind = {stat.S_IFREG: "reg", stat.S_IFDIR: "dir", stat.S_IFLNK: "lnk", stat.S_IFIFO: "fifo",
                    stat.S_IFCHR: "chr"}.get(stat.S_IFMT(st.st_mode), "other")
            digest = None
            if kind == "reg" and st.st_mode & 0o444 and st.st_size < 64 * MB:
                try:
                    with open(p, "rb") as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                except OSError:
                    digest = "unreadable"
            elif kind == "reg":
                digest = f"size {st.st_size}"
            result[p] = (kind, digest)
    return result


def descendants_hwm_kb(root):
    """The sum of VmHWM (peak resident memory, kB) of `root` and every live descendant."""
    parents, hwm = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass
    family, changed = {root}, True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in family and pid not in family:
                family.add(pid)
                changed = True
    total = 0
    for pid in family:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def run_bounded(argv, env, cwd, hard_timeout, sig=None):
    """Runs argv; returns (status, signal, stdout, stderr, seconds, peak RSS in MB of it and its children)."""
    out_path, err_path = os.path.join(cwd, "stdout"), os.path.join(cwd, "stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.monotonic()
        p = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        timer_fired = []

        def stop():
            timer_fired.append(True)
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        timer = threading.Timer(hard_timeout, stop)
        timer.start()
        # Peak memory: the child's rusage after exit also counts this (forked) Python process's
        # own peak, so it is exact only when larger than that; below it, sample the peaks
        # (VmHWM) of rnncheck and its workers while they run.
        inherited_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sampled = [0]
        running = [True]

        def sample():
            while running[0]:
                sampled[0] = max(sampled[0], descendants_hwm_kb(p.pid))
                time.sleep(0.02)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        if sig is not None:
            s, delay = sig
            time.sleep(delay)
            try:
                os.kill(p.pid, s)
            except ProcessLookupError:
                pass
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = 0  # reaped here
        seconds = time.monotonic() - start
        timer.cancel()
        running[0] = False
        sampler.join()
        peak_kb = usage.ru_maxrss if usage.ru_maxrss > inherited_kb else sampled[0]
    with open(out_path, "rb") as f:
        stdout = f.read().decode("utf-8", "replace")
    with open(err_path, "rb") as f:
        stderr = f.read().decode("utf-8", "replace")
    os.unlink(out_path)
    os.unlink(err_path)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
    signo = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    return code, signo, stdout, stderr, seconds, peak_kb / 1024, bool(timer_fired)


def check(c, spec, rnncheck, work):
    """Runs one case; returns (verdict, detail, seconds, peak MB)."""
    d = os.path.join(work, "files")
    tmp = os.path.join(work, "tmp")
    os.makedirs(tmp, exist_ok=True)
    before = snapshot(d)
    env = dict(os.environ)
    env["TMPDIR"] = tmp
    env.update(spec.get("env", {}))
    argv = [rnncheck] + spec["argv"]
    sig = spec.get("signal")
    # A pending case is stopped sooner: it is expected to fail until its fix lands elsewhere.
    hard_timeout = 2 * c.time_s if c.pending else max(4 * c.time_s, 30)
    code, signo, stdout, stderr, seconds, peak, timed_out = run_bounded(argv, env, work, hard_timeout, sig=sig)
    problems = []
    # processes left behind: anything naming the case folder
    time.sleep(0.3 if sig else 0.05)
    orphans = processes_naming(work)
    if orphans:
        problems.append(f"processes left behind: {orphans}")
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if timed_out:
        problems.append(f"still running after {hard_timeout:.0f} s (killed)")
    expected_signal = sig[0] if sig else None
    if signo is not None and signo != expected_signal:
        problems.append(f"ended by signal {signo}")
    if sig is None and c.exit is not None and code != c.exit:
        problems.append(f"exit {code}, expected {c.exit}")
    if sig is not None and code is not None and code not in (0, 1, 2, 128 + sig[0]):
        problems.append(f"exit {code} after signal {sig[0]}")
    text = stdout + stderr
    for part in c.contains:
        if part not in text:
            problems.append(f"output lacks «{part}»")
    for part in spec.get("not_contains", []):
        if part in text:
            problems.append(f"output contains «{part}»")
    if c.exit == 2 and sig is None and not stderr.strip():
        problems.append("exit 2 without a sentence on stderr")
    if any(ch in stdout for ch in "\x1b\x07"):
        problems.append("raw control characters on stdout")
    if seconds > c.time_s and not sig:
        problems.append(f"took {seconds:.1f} s, bound {c.time_s:.0f} s")
    if peak > c.mem_mb:
        problems.append(f"peak memory {peak:.0f} MB, bound {c.mem_mb} MB")
    after = snapshot(d)
    outputs = set(spec.get("outputs", []))
    for p, info in before.items():
        if p not in after:
            problems.append(f"{os.path.relpath(p, d)} was removed")
        elif after[p] != info and p not in outputs:
            problems.append(f"{os.path.relpath(p, d)} was changed")
    for p in after:
        if p not in before and p not in outputs:
            problems.append(f"left behind: {os.path.relpath(p, d)}")
    for p, kind in spec.get("still", {}).items():
        if after.get(p, ("missing",))[0] != kind:
            problems.append(f"{os.path.relpath(p, d)} is no longer a {kind}")
    leftovers = os.listdir(tmp)
    if leftovers:
        problems.append(f"left in TMPDIR: {leftovers[:3]}")
    target = spec.get("complete_or_absent")
    if target and os.path.exists(target):
        try:
            with h5py.File(target, "r") as f:
                if "output_0" not in f:
                    problems.append("the output exists without output_0")
        except OSError as e:
            problems.append(f"a partial output was left: {e}")
    detail = "; ".join(problems)
    if not problems:
        detail = f"exit {code}" + (f" after {signal.Signals(sig[0]).name}" if sig else "")
    tail = (stderr.strip().splitlines() or [""])[-1][:300]
    return (not problems), detail, seconds, peak, tail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rnncheck", default=os.path.join(ROOT, ".build", "release", "rnncheck"))
    ap.add_argument("--filter", action="append", default=[], help="only cases whose name matches this glob")
    ap.add_argument("--keep", help="keep every case's files under this folder")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--verbose", "-v", action="store_true", help="print each case's last stderr line")
    args = ap.parse_args()
    cases = [c for c in CASES if not args.filter or any(fnmatch.fnmatch(c.name, g) for g in args.filter)]
    if args.list:
        for c in cases:
            print(f"{c.name:50s} {'exit ' + str(c.exit) if c.exit is not None else 'signal':8s} "
                  f"{'(pending: ' + c.pending + ') ' if c.pending else ''}{c.note}")
        return 0
    rnncheck = os.path.abspath(args.rnncheck)
    global RNNCHECK
    RNNCHECK = rnncheck
    root = args.keep or tempfile.mkdtemp(prefix="hostile-sweep-")
    failed, passed, pending, skipped = [], 0, [], 0
    started = time.monotonic()
    for c in cases:
        work = os.path.join(root, c.name.replace("/", "__"))
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(os.path.join(work, "files"))
        spec = c.build(os.path.join(work, "files"))
        if spec is None:
            print(f"SKIP     {c.name} (not possible as this user)")
            skipped += 1
            continue
        ok, detail, seconds, peak, tail = check(c, spec, rnncheck, work)
        status = "ok" if ok else "FAIL"
        if c.pending:
            status = "PENDING" if not ok else "PENDING-NOW-PASSES"
            pending.append((c, ok))
        elif ok:
            passed += 1
        else:
            failed.append(c)
        print(f"{status:8s} {c.name:48s} {seconds:5.2f} s {peak:6.0f} MB  {detail}")
        if args.verbose or (not ok):
            print(f"         stderr: {tail}")
        sys.stdout.flush()
        if not args.keep:
            # chmod back what a case made unreadable, then remove
            for base, dirs, files in os.walk(work):
                for n in files:
                    p = os.path.join(base, n)
                    if not os.path.islink(p):
                        try:
                            os.chmod(p, 0o644)
                        except OSError:
                            pass
            shutil.rmtree(work, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    print()
    for c, ok in pending:
        print(f"pending ({c.pending}): {c.name} — {'now passes: flip it (delete pending=)' if ok else 'still fails'}")
    print(f"hostile sweep: {passed} passed, {len(failed)} failed, {len(pending)} pending, {skipped} skipped "
          f"in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
