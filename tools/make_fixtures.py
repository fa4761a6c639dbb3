#!/usr/bin/env python3
"""Generate rnncheck fixtures (format v1, see fixtures/README.md) with real Keras.

    python tools/make_fixtures.py [--group v1|next|all] [--out DIR] [--only GLOB[,GLOB...]]
                                  [--list] [--seed N]

Each case in CASES builds a model with Keras, runs it on random float32 inputs and writes one
self-contained HDF5 file: the inputs, Keras's float32 outputs, the model file exactly as Keras
saved it, Keras's float64 outputs for the same weights and inputs, and provenance.

Cases come in groups: "v1" (this file; the fixtures the Swift side supports, written to
fixtures/) and "next" (tools/fixture_cases_next.py; layers the Swift side does not support yet,
also written to fixtures/). `--group` picks the group (default v1), `--out` overrides the
group's default directory, and `--only` filters inside the group.

Adding a case: write a builder `def build(K, rng) -> Built` (K is the Keras module for the
case's format: `keras` for "keras3", "keras3-weights" and "keras3-legacy-h5", `tf_keras` for
"keras2-h5", "keras2-weights" and "keras2-weights-v3") and call `add_case(...)`.
The builder must give every layer, input and the model an explicit name so that files do not
depend on which other cases ran before (Keras auto-names are global counters).
"""

import os

# Must be set before TensorFlow is imported anywhere.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
os.environ["KERAS_BACKEND"] = "tensorflow"

import argparse
import datetime
import fnmatch
import hashlib
import platform
import random
import shlex
import sys
import tempfile
import zlib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

FORMAT_VERSION = 1
DEFAULT_BASE_SEED = 20240302

# Default dimensions: batch, timesteps, input_dim, units (input_dim != units on purpose).
B, T, D, U = 2, 5, 3, 4


# --------------------------------------------------------------------------------------------
# Case registry
# --------------------------------------------------------------------------------------------

@dataclass
class Built:
    """What a case builder returns."""
    model: object                      # a built Keras model (Sequential or functional)
    inputs: List[np.ndarray]           # in model input order
    output_names: List[str]            # "<layer_name>/<what>", in model output order
    # Optional known-good values, e.g. numbers printed in a notebook:
    # {output_index: (array, atol, "where the numbers come from")}
    expected: Dict[int, tuple] = field(default_factory=dict)
    # Optional semantic checks on the float32 outputs: [(label, fn(outs) -> (ok, detail))].
    checks: List[tuple] = field(default_factory=list)


@dataclass
class Case:
    name: str
    description: str
    build: Callable[[object, np.random.Generator], Built]
    fmt: str = "keras3"                # key into FORMATS
    float64: bool = True               # also write /reference_float64
    tolerances: Optional[dict] = None  # {"atol": float, "rtol": float, "reason": str}
    group: str = "v1"                  # key into GROUPS
    seed_name: Optional[str] = None    # derive the seed from this name instead (shared seeds)


# Case groups and the directory each is written to by default.
GROUPS = {"v1": "fixtures", "next": "fixtures"}


CASES: Dict[str, Case] = {}


def add_case(name, description, build, **kw):
    if name in CASES:
        raise ValueError(f"duplicate case {name}")
    CASES[name] = Case(name, description, build, **kw)


def randn(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def rand_bias(K):
    """RandomUniform(-0.5, 0.5) bias initializer whose slices are all different.

    A Keras 3 initializer seeded with an int or None returns the same values on every call,
    and LSTMCell with unit_forget_bias=True calls it twice, for (u,) and (2u,): the i and c
    bias slices would then be equal, which would hide an i/c bias mix-up. A SeedGenerator
    seed (drawn from Python's `random`, seeded by set_random_seed) advances on every call.
    tf_keras has no SeedGenerator; its unseeded initializers repeat values across calls too
    (it warns), so keras2-h5 cases need their own fix if that matters."""
    if hasattr(K, "random") and hasattr(K.random, "SeedGenerator"):
        seed = K.random.SeedGenerator(random.randint(1, 2 ** 31 - 1))
        return K.initializers.RandomUniform(-0.5, 0.5, seed=seed)
    return K.initializers.RandomUniform(-0.5, 0.5)


# --------------------------------------------------------------------------------------------
# Keras modules and model-file formats
# --------------------------------------------------------------------------------------------

_MODULES = {}


def keras_module(fmt):
    """The Keras package that builds and saves models of this format."""
    kind = FORMATS[fmt]["module"]
    if kind not in _MODULES:
        if kind == "keras":
            import keras
            _MODULES[kind] = keras
        elif kind == "tf_keras":
            import tf_keras
            _MODULES[kind] = tf_keras
        else:
            raise ValueError(kind)
    return _MODULES[kind]


# A saver writes the model into tmpdir and returns (path, config_text): the file whose bytes
# are stored in /model/file, and the text stored in /model/config (None: no /model/config).
# A loader rebuilds the model from (path, config_text), the way a user would.

def _save_keras3(K, model, tmpdir):
    path = os.path.join(tmpdir, "model.keras")
    model.save(path)
    return path, None


def _save_keras2_h5(K, model, tmpdir):
    path = os.path.join(tmpdir, "model.h5")
    model.save(path, save_format="h5")
    return path, None


def _save_keras3_legacy_h5(K, model, tmpdir):
    path = os.path.join(tmpdir, "model.h5")
    model.save(path)               # Keras 3 picks the legacy HDF5 writer from the suffix
    return path, None


def _weights_saver(filename):
    """save_weights(filename) plus model.to_json() as the config text. Keras 3: to_json() is
    json.dumps(serialize_keras_object(model)), the same text model.save() writes as
    config.json. tf_keras: the Keras 2 model JSON. tf_keras picks the writer from the name: a
    name ending in ".weights.h5" gets its Keras-3-style ("keras_v3") layout, any other ".h5"
    name the legacy Keras 2 layout."""
    def save(K, model, tmpdir):
        path = os.path.join(tmpdir, filename)
        model.save_weights(path)
        return path, model.to_json()
    return save


def _load_model_file(K, path, config):
    return K.models.load_model(path, compile=False)


def _load_json_and_weights(K, path, config):
    model = K.models.model_from_json(config)
    model.load_weights(path)
    return model


def _set_floatx(K, name):
    if hasattr(K, "config") and hasattr(K.config, "set_floatx"):
        K.config.set_floatx(name)      # keras 3
    else:
        K.backend.set_floatx(name)     # tf_keras


def _floatx(K):
    if hasattr(K, "config") and hasattr(K.config, "floatx"):
        return K.config.floatx()
    return K.backend.floatx()


FORMATS = {
    # Keras 3 model.save("model.keras"): zip of config.json, metadata.json, model.weights.h5.
    "keras3": {"module": "keras", "save": _save_keras3, "load": _load_model_file,
               "filename": "model.keras"},
    # Keras 3 model.save_weights("model.weights.h5") (the same HDF5 layout as the archive's
    # model.weights.h5) plus model.to_json() in /model/config.
    "keras3-weights": {"module": "keras", "save": _weights_saver("model.weights.h5"),
                       "load": _load_json_and_weights, "filename": "model.weights.h5"},
    # Keras 3 model.save("model.h5"): the legacy full-model HDF5 writer.
    "keras3-legacy-h5": {"module": "keras", "save": _save_keras3_legacy_h5,
                         "load": _load_model_file, "filename": "model.h5"},
    # tf_keras 2.x model.save("model.h5", save_format="h5"): Keras 2 full-model HDF5.
    "keras2-h5": {"module": "tf_keras", "save": _save_keras2_h5, "load": _load_model_file,
                  "filename": "model.h5"},
    # tf_keras 2.x model.save_weights("model_weights.h5"): the legacy Keras 2 weights-only
    # HDF5 layout, plus model.to_json() in /model/config.
    "keras2-weights": {"module": "tf_keras", "save": _weights_saver("model_weights.h5"),
                       "load": _load_json_and_weights, "filename": "model_weights.h5"},
    # tf_keras 2.x model.save_weights("model.weights.h5"): because of the ".weights.h5"
    # suffix tf_keras writes its Keras-3-style layout (layers/<key>/cell/vars/0, no @name
    # attributes), plus the Keras 2 model.to_json() in /model/config.
    "keras2-weights-v3": {"module": "tf_keras", "save": _weights_saver("model.weights.h5"),
                          "load": _load_json_and_weights, "filename": "model.weights.h5"},
}


# --------------------------------------------------------------------------------------------
# Running models
# --------------------------------------------------------------------------------------------

def run_model(K, model, inputs):
    feed = inputs[0] if len(inputs) == 1 else list(inputs)
    out = model(feed, training=False)
    if not isinstance(out, (list, tuple)):
        out = [out]
    return [np.asarray(o) for o in out]


def _to_float64_config(obj):
    """Copy of a model config with every float32 dtype (policy or string) made float64."""
    if isinstance(obj, dict):
        res = {}
        for k, v in obj.items():
            if k == "dtype":
                if v == "float32":
                    v = "float64"
                elif isinstance(v, dict) and v.get("class_name") == "DTypePolicy":
                    v = dict(v, config=dict(v["config"], name="float64"))
                    res[k] = v
                    continue
            res[k] = _to_float64_config(v)
        return res
    if isinstance(obj, list):
        return [_to_float64_config(v) for v in obj]
    return obj


def run_float64(K, model, inputs):
    """Rebuild the architecture in float64, load the same weights cast to float64, run.

    Returns (outputs, None) or (None, reason) when it cannot be done."""
    cfg64 = _to_float64_config(model.get_config())
    prev = _floatx(K)
    _set_floatx(K, "float64")
    try:
        m64 = type(model).from_config(cfg64)
        weights = model.get_weights()
        m64.set_weights([np.asarray(w, dtype=np.float64) for w in weights])
        bad = [w.path if hasattr(w, "path") else w.name for w in m64.weights
               if str(getattr(w.dtype, "name", w.dtype)) != "float64"]
        if bad:
            return None, f"float64 clone still has non-float64 weights: {bad}"
        outs = run_model(K, m64, [x.astype(np.float64) if x.dtype.kind == "f" else x
                                  for x in inputs])
    except Exception as e:  # report and skip the group for this case
        return None, f"float64 rebuild failed: {type(e).__name__}: {e}"
    finally:
        _set_floatx(K, prev)
    for i, o in enumerate(outs):
        if o.dtype != np.float64:
            return None, f"float64 clone output {i} has dtype {o.dtype}"
    # Proof that it really computed in float64: most values are not float32-representable.
    # Exact zeros (masked steps, relu) are representable in any precision: leave them out.
    flat = np.concatenate([o.ravel() for o in outs])
    flat = flat[flat != 0]
    frac = np.mean(flat != flat.astype(np.float32).astype(np.float64)) if flat.size else 0.0
    if frac < 0.5:
        return None, (f"float64 clone outputs look like float32 values "
                      f"(only {frac:.0%} not float32-representable)")
    return outs, None


# --------------------------------------------------------------------------------------------
# Writing one fixture
# --------------------------------------------------------------------------------------------

def _str_attr(obj, key, value):
    import h5py
    obj.attrs.create(key, data=value, dtype=h5py.string_dtype("utf-8"))


def _generator_sha256():
    """sha256 of this file followed by tools/fixture_cases_next.py (the whole generator)."""
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in (os.path.basename(__file__), "fixture_cases_next.py"):
        with open(os.path.join(here, name), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def case_seed(base_seed, name):
    """Per-case seed: stable across runs and independent of which other cases exist."""
    return (base_seed + zlib.crc32(name.encode("utf-8"))) % (2 ** 31)


def make_fixture(case, out_dir, base_seed, command, generator_sha256):
    import h5py
    import tensorflow as tf

    K = keras_module(case.fmt)
    fmtinfo = FORMATS[case.fmt]
    seed = case_seed(base_seed, case.seed_name or case.name)

    K.backend.clear_session()
    K.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    built = case.build(K, rng)
    model, inputs = built.model, [np.asarray(x) for x in built.inputs]
    for x in inputs:
        assert x.dtype in (np.float32, np.int32), x.dtype

    outs = run_model(K, model, inputs)
    if len(outs) != len(built.output_names):
        raise RuntimeError(f"{case.name}: model has {len(outs)} outputs, "
                           f"{len(built.output_names)} names given")
    for i, o in enumerate(outs):
        if o.dtype != np.float32:
            raise RuntimeError(f"{case.name}: output {i} dtype {o.dtype}")

    problems = []
    # Known values (notebook numbers).
    for idx, (want, atol, source) in built.expected.items():
        want = np.asarray(want, dtype=np.float64)
        got = outs[idx].astype(np.float64)
        diff = float(np.max(np.abs(got - want))) if got.shape == want.shape else float("inf")
        ok = diff <= atol
        print(f"    check {built.output_names[idx]} vs {source}: max|diff|={diff:.3g} "
              f"(atol {atol}) {'MATCH' if ok else '*** MISMATCH ***'}")
        if not ok:
            print(f"      keras:    {np.array2string(got, precision=7)}")
            print(f"      expected: {np.array2string(want, precision=7)}")
            problems.append(f"{case.name}: {built.output_names[idx]} does not match {source}")

    for label, fn in built.checks:
        ok, detail = fn(outs)
        print(f"    check {label}: {detail} {'OK' if ok else '*** FAILED ***'}")
        if not ok:
            problems.append(f"{case.name}: check failed: {label}: {detail}")

    with tempfile.TemporaryDirectory(prefix="rnncheck-fixture-") as tmpdir:
        path, config_text = fmtinfo["save"](K, model, tmpdir)
        with open(path, "rb") as f:
            model_bytes = f.read()
        # The stored file must reproduce the outputs bit for bit.
        reloaded = fmtinfo["load"](K, path, config_text)
        re_outs = run_model(K, reloaded, inputs)
        for i, (a, b) in enumerate(zip(outs, re_outs)):
            if not np.array_equal(a, b):
                problems.append(f"{case.name}: reloaded model output {i} differs by "
                                f"{np.max(np.abs(a - b)):.3g}")

    ref64, why = (None, "case disables float64") if not case.float64 else \
        run_float64(K, model, inputs)
    if ref64 is None:
        print(f"    no /reference_float64: {why}")

    tmp_path = os.path.join(out_dir, case.name + ".h5.tmp")
    final_path = os.path.join(out_dir, case.name + ".h5")
    with h5py.File(tmp_path, "w", libver="earliest") as f:
        f.attrs.create("rnncheck_fixture", np.int64(FORMAT_VERSION))
        _str_attr(f, "name", case.name)
        _str_attr(f, "description", case.description)
        for i, x in enumerate(inputs):
            d = f.create_dataset(f"input_{i}", data=x)
            if hasattr(model, "inputs") and model.inputs and i < len(model.inputs):
                nm = getattr(model.inputs[i], "name", None)
                if nm:
                    _str_attr(d, "name", nm.split(":")[0])
        for i, (o, nm) in enumerate(zip(outs, built.output_names)):
            d = f.create_dataset(f"output_{i}", data=o.astype(np.float32))
            _str_attr(d, "name", nm)
        g = f.create_group("model")
        _str_attr(g, "format", case.fmt)
        _str_attr(g, "filename", fmtinfo["filename"])
        g.create_dataset("file", data=np.frombuffer(model_bytes, dtype=np.uint8))
        if config_text is not None:
            g.create_dataset("config", data=config_text,
                             dtype=h5py.string_dtype("utf-8"))
        if ref64 is not None:
            r = f.create_group("reference_float64")
            for i, (o, nm) in enumerate(zip(ref64, built.output_names)):
                d = r.create_dataset(f"output_{i}", data=o.astype(np.float64))
                _str_attr(d, "name", nm)
        if case.tolerances:
            t = f.create_group("tolerances")
            t.attrs.create("atol", np.float64(case.tolerances["atol"]))
            t.attrs.create("rtol", np.float64(case.tolerances["rtol"]))
            _str_attr(t, "reason", case.tolerances["reason"])
        p = f.create_group("provenance")
        import keras as keras3
        _str_attr(p, "keras_version", K.__version__ if FORMATS[case.fmt]["module"] != "keras"
                  else keras3.__version__)
        _str_attr(p, "tensorflow_version", tf.__version__)
        _str_attr(p, "backend", "tensorflow")
        _str_attr(p, "python_version", platform.python_version())
        _str_attr(p, "numpy_version", np.__version__)
        _str_attr(p, "h5py_version", h5py.__version__)
        p.attrs.create("seed", np.int64(seed))
        p.attrs.create("base_seed", np.int64(base_seed))
        _str_attr(p, "command", command)
        _str_attr(p, "generator_sha256", generator_sha256)
        _str_attr(p, "created", datetime.datetime.now(datetime.timezone.utc)
                  .replace(microsecond=0).isoformat().replace("+00:00", "Z"))
        _str_attr(p, "onednn", "off")
    os.replace(tmp_path, final_path)

    summary = []
    for i, nm in enumerate(built.output_names):
        s = f"    output_{i} {nm:28s} {str(outs[i].shape):14s}"
        if ref64 is not None:
            s += f" max|f32-f64|={np.max(np.abs(outs[i] - ref64[i])):.3g}"
        summary.append(s)
    print("\n".join(summary))
    return problems


# --------------------------------------------------------------------------------------------
# Case builders
# --------------------------------------------------------------------------------------------

def _lstm_names(layer, return_state):
    return [f"{layer}/output"] + ([f"{layer}/state_h", f"{layer}/state_c"] if return_state else [])


def _bidi_names(layer, merge_mode, return_state):
    if merge_mode is None:
        names = [f"{layer}/forward_output", f"{layer}/backward_output"]
    else:
        names = [f"{layer}/output"]
    if return_state:
        names += [f"{layer}/forward_h", f"{layer}/forward_c",
                  f"{layer}/backward_h", f"{layer}/backward_c"]
    return names


def lstm_builder(*, batch=B, steps=T, dim=D, units=U, return_sequences=False,
                 return_state=False, sequential=None, bias=True, input_scale=1.0, **lstm_kw):
    """One LSTM layer named 'rnn' on input 'x'. Sequential when it has a single output
    (unless sequential=False), functional otherwise."""
    if sequential is None:
        sequential = not return_state

    def build(K, rng):
        kw = dict(lstm_kw)
        if bias and kw.get("use_bias", True) and "bias_initializer" not in kw:
            kw["bias_initializer"] = rand_bias(K)
        layer = K.layers.LSTM(units, return_sequences=return_sequences,
                              return_state=return_state, name="rnn", **kw)
        x = K.Input((steps, dim), name="x")
        if sequential:
            model = K.Sequential([x, layer], name="model")
        else:
            model = K.Model(x, layer(x), name="model")
        x_in = (randn(rng, batch, steps, dim) * np.float32(input_scale)).astype(np.float32)
        return Built(model, [x_in], _lstm_names("rnn", return_state))
    return build


def bidi_builder(*, merge_mode="concat", return_sequences=False, return_state=False,
                 go_backwards=False, backward_name=None, sequential=False, units=U, batch=B,
                 steps=T, dim=D):
    """Bidirectional 'bi' around LSTM 'lstm'. backward_name: pass an explicit backward_layer
    LSTM of that name, with go_backwards = not go_backwards."""
    def build(K, rng):
        def lstm(name, gb):
            return K.layers.LSTM(units, return_sequences=return_sequences,
                                 return_state=return_state, go_backwards=gb,
                                 bias_initializer=rand_bias(K), name=name)
        inner = lstm("lstm", go_backwards)
        back = lstm(backward_name, not go_backwards) if backward_name else None
        bi = K.layers.Bidirectional(inner, merge_mode=merge_mode, backward_layer=back, name="bi")
        x = K.Input((steps, dim), name="x")
        if sequential:
            model = K.Sequential([x, bi], name="model")
        else:
            model = K.Model(x, bi(x), name="model")
        return Built(model, [randn(rng, batch, steps, dim)],
                     _bidi_names("bi", merge_mode, return_state))
    return build


def build_lstm_initial_state(K, rng):
    x = K.Input((T, D), name="x")
    h0 = K.Input((U,), name="h0")
    c0 = K.Input((U,), name="c0")
    layer = K.layers.LSTM(U, return_sequences=True, return_state=True,
                          bias_initializer=rand_bias(K), name="rnn")
    model = K.Model([x, h0, c0], layer(x, initial_state=[h0, c0]), name="model")
    inputs = [randn(rng, B, T, D), randn(rng, B, U), randn(rng, B, U)]
    return Built(model, inputs, _lstm_names("rnn", True))


def build_bidi_initial_state(K, rng):
    x = K.Input((T, D), name="x")
    states = [K.Input((U,), name=n) for n in ("fh", "fc", "bh", "bc")]
    bi = K.layers.Bidirectional(
        K.layers.LSTM(U, return_sequences=True, return_state=True,
                      bias_initializer=rand_bias(K), name="lstm"), name="bi")
    model = K.Model([x] + states, bi(x, initial_state=states), name="model")
    inputs = [randn(rng, B, T, D)] + [randn(rng, B, U) for _ in range(4)]
    return Built(model, inputs, _bidi_names("bi", "concat", True))


def build_stack(K, rng):
    model = K.Sequential([
        K.Input((T, D), name="x"),
        K.layers.LSTM(4, return_sequences=True, bias_initializer=rand_bias(K), name="enc"),
        K.layers.Bidirectional(
            K.layers.LSTM(3, return_sequences=True, bias_initializer=rand_bias(K),
                          name="mid_lstm"), merge_mode="concat", name="mid"),
        K.layers.LSTM(5, bias_initializer=rand_bias(K), name="dec"),
    ], name="model")
    return Built(model, [randn(rng, B, T, D)], ["dec/output"])


# The notebook /work/shared/seeds/000_190bb7a0b4683a1d.txt (tf.keras, 2024) and its printed outputs.
SEED_X = np.array([[[0.1, 4.2, 1.5, 1.1, 2.8], [1.0, 3.1, 2.5, 0.7, 1.1],
                    [0.3, 2.1, 1.5, 2.1, 0.1], [2.2, 1.4, 0.5, 0.9, 1.1]]], dtype=np.float32)
_NB = "notebook 000_190bb7a0b4683a1d"
_NB_ATOL = 1e-6   # the notebook prints 7-8 significant digits
SEED_LAST_MERGED = [[0.6303138] * 3 + [0.7038734] * 3]
SEED_SEQ_MERGED = [[[0.35906473] * 3 + [0.7038734] * 3,
                    [0.55111325] * 3 + [0.58863586] * 3,
                    [0.59115744] * 3 + [0.3951699] * 3,
                    [0.6303138] * 3 + [0.21942244] * 3]]
SEED_FH = [[0.6303138] * 3]
SEED_BH = [[0.7038734] * 3]


def _const_lstm(K, **kw):
    return K.layers.LSTM(3, kernel_initializer=K.initializers.Constant(0.1),
                         bias_initializer=K.initializers.Constant(0.0),
                         recurrent_initializer=K.initializers.Constant(0.1), **kw)


def seed_bidi_builder(return_sequences):
    def build(K, rng):
        x = K.Input((4, 5), name="x")
        bi = K.layers.Bidirectional(
            _const_lstm(K, return_sequences=return_sequences, return_state=True, name="lstm"),
            name="bi")
        model = K.Model(x, bi(x), name="model")
        merged = SEED_SEQ_MERGED if return_sequences else SEED_LAST_MERGED
        expected = {0: (merged, _NB_ATOL, _NB), 1: (SEED_FH, _NB_ATOL, _NB),
                    3: (SEED_BH, _NB_ATOL, _NB)}
        return Built(model, [SEED_X.copy()], _bidi_names("bi", "concat", True), expected)
    return build


def build_seed_lstm_const(K, rng):
    x = K.Input((4, 5), name="x")
    layer = _const_lstm(K, return_sequences=True, return_state=True, name="lstm")
    model = K.Model(x, layer(x), name="model")
    return Built(model, [SEED_X.copy()], _lstm_names("lstm", True))


# --------------------------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------------------------

_RB = ("default kernel and recurrent initializers, biases RandomUniform(-0.5, 0.5) with a "
       "SeedGenerator seed (forget slice 1.0 from unit_forget_bias)")


def _tf(v):
    return "T" if v else "F"


def register_cases():
    for seq in (False, True):
        for st in (False, True):
            kind = "Functional" if st else "Sequential"
            add_case(f"lstm_seq{_tf(seq)}_state{_tf(st)}",
                     f"{kind} LSTM({U}) 'rnn', return_sequences={seq}, return_state={st}, "
                     f"on x ({B},{T},{D}); {_RB}.",
                     lstm_builder(return_sequences=seq, return_state=st))
    add_case("lstm_go_backwards",
             f"Functional LSTM({U}) 'rnn', go_backwards=True, return_sequences=True, "
             f"return_state=True, on x ({B},{T},{D}); the sequence output is in processing "
             f"(reversed) order; {_RB}.",
             lstm_builder(return_sequences=True, return_state=True, go_backwards=True))
    add_case("lstm_go_backwards_last",
             f"Functional LSTM({U}) 'rnn', go_backwards=True, return_sequences=False, "
             f"return_state=True, on x ({B},{T},{D}); {_RB}.",
             lstm_builder(return_sequences=False, return_state=True, go_backwards=True))
    add_case("lstm_initial_state",
             f"Functional LSTM({U}) 'rnn' called as rnn(x, initial_state=[h0, c0]), "
             f"return_sequences=True, return_state=True; inputs x ({B},{T},{D}), "
             f"h0 and c0 ({B},{U}) random normal; {_RB}.",
             build_lstm_initial_state)
    add_case("lstm_no_bias",
             f"Functional LSTM({U}) 'rnn', use_bias=False (only kernel and recurrent_kernel), "
             f"return_sequences=True, return_state=True, on x ({B},{T},{D}).",
             lstm_builder(return_sequences=True, return_state=True, use_bias=False))
    add_case("lstm_activations",
             f"Functional LSTM({U}) 'rnn', activation='relu', recurrent_activation="
             f"'hard_sigmoid' (Keras 3: relu6(x+3)/6), return_sequences=True, "
             f"return_state=True, on x ({B},{T},{D}) scaled by 4 so that both hard_sigmoid "
             f"clips are reached; {_RB}.",
             lstm_builder(return_sequences=True, return_state=True, activation="relu",
                          recurrent_activation="hard_sigmoid", input_scale=4.0))
    add_case("lstm_linear",
             f"Functional LSTM({U}) 'rnn', activation='linear', recurrent_activation='sigmoid', "
             f"return_sequences=True, return_state=True, on x ({B},{T},{D}); {_RB}.",
             lstm_builder(return_sequences=True, return_state=True, activation="linear",
                          recurrent_activation="sigmoid"))
    add_case("lstm_forget_bias_random",
             f"Functional LSTM({U}) 'rnn', unit_forget_bias=False so that all four bias "
             f"slices (i, f, c, o) are RandomUniform(-0.5, 0.5), return_sequences=True, "
             f"return_state=True, on x ({B},{T},{D}).",
             lstm_builder(return_sequences=True, return_state=True, unit_forget_bias=False))
    add_case("lstm_b1_t1",
             f"Functional LSTM({U}) 'rnn', return_sequences=True, return_state=True, on a "
             f"single step of a single sample x (1,1,{D}); {_RB}.",
             lstm_builder(batch=1, steps=1, return_sequences=True, return_state=True))
    add_case("lstm_long",
             f"Sequential LSTM({U}) 'rnn', return_sequences=True, on a long sequence "
             f"x (3,250,{D}); {_RB}.",
             lstm_builder(batch=3, steps=250, return_sequences=True))
    add_case("lstm_wide",
             "Functional LSTM(32) 'rnn', return_sequences=True, return_state=True, on "
             f"x (4,7,16); {_RB}.",
             lstm_builder(batch=4, steps=7, dim=16, units=32, return_sequences=True,
                          return_state=True))

    for mm in ("concat", "sum", "mul", "ave", None):
        for seq in (False, True):
            for st in (False, True):
                tag = "none" if mm is None else mm
                add_case(f"bidi_{tag}_seq{_tf(seq)}_state{_tf(st)}",
                         f"Functional Bidirectional(LSTM({U}) 'lstm') 'bi', merge_mode="
                         f"{mm!r}, return_sequences={seq}, return_state={st}, on x "
                         f"({B},{T},{D}); {_RB}.",
                         bidi_builder(merge_mode=mm, return_sequences=seq, return_state=st))
    # Keras 3 always makes the implicit backward copy go_backwards=True, so
    # Bidirectional(LSTM(go_backwards=True)) raises ValueError there (tf_keras flips it
    # instead). An explicit backward_layer with go_backwards=False is the Keras 3 way.
    add_case("bidi_go_backwards",
             f"Sequential Bidirectional(LSTM({U}, go_backwards=True, return_sequences=True) "
             f"'lstm', backward_layer=LSTM({U}, go_backwards=False, return_sequences=True) "
             f"'lstm_back') 'bi', merge_mode='concat', on x ({B},{T},{D}); {_RB}.",
             bidi_builder(return_sequences=True, go_backwards=True, backward_name="lstm_back",
                          sequential=True))
    add_case("bidi_initial_state",
             f"Functional Bidirectional(LSTM({U}, return_sequences=True, return_state=True) "
             f"'lstm') 'bi' called as bi(x, initial_state=[fh, fc, bh, bc]), merge_mode="
             f"'concat'; inputs x ({B},{T},{D}) and four ({B},{U}) states, random normal; {_RB}.",
             build_bidi_initial_state)
    add_case("stack_lstm_bidi",
             f"Sequential stack on x ({B},{T},{D}): LSTM(4, return_sequences=True) 'enc' -> "
             "Bidirectional(LSTM(3, return_sequences=True) 'mid_lstm', merge_mode='concat') "
             f"'mid' -> LSTM(5) 'dec'; {_RB}.",
             build_stack)
    add_case("seed_bidi_last",
             "The seed notebook's Bidirectional(LSTM(3, return_sequences=False, "
             "return_state=True)) 'bi' with kernel and recurrent Constant(0.1), bias "
             "Constant(0) (forget slice 1.0), on its (1,4,5) train_X.",
             seed_bidi_builder(False))
    add_case("seed_bidi_seq",
             "The seed notebook's Bidirectional(LSTM(3, return_sequences=True, "
             "return_state=True)) 'bi' with kernel and recurrent Constant(0.1), bias "
             "Constant(0) (forget slice 1.0), on its (1,4,5) train_X.",
             seed_bidi_builder(True))
    add_case("seed_lstm_const",
             "Functional LSTM(3, return_sequences=True, return_state=True) 'lstm' with kernel "
             "and recurrent Constant(0.1), bias Constant(0) (forget slice 1.0), on the seed "
             "notebook's (1,4,5) train_X.",
             build_seed_lstm_const)


register_cases()

import fixture_cases_next  # noqa: E402  (tools/ is on sys.path when this file is run)
fixture_cases_next.register(sys.modules[__name__])


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

def select(patterns: Optional[str], group: str = "all") -> List[str]:
    names = [n for n, c in CASES.items() if group == "all" or c.group == group]
    if not patterns:
        return names
    pats = [p.strip() for p in patterns.split(",") if p.strip()]
    return [n for n in names if any(fnmatch.fnmatchcase(n, p) for p in pats)]


def main(argv: Sequence[str] = None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--group", choices=sorted(GROUPS) + ["all"], default="v1",
                    help="case group: v1 (default; the fixtures/ cases), next (the "
                         "coverage cases, also in fixtures/) or all")
    ap.add_argument("--out", help="output directory (default: the group's own, "
                                  + ", ".join(f"{g} -> {d}" for g, d in GROUPS.items()) + ")")
    ap.add_argument("--only", help="comma-separated fnmatch globs over case names, "
                                   "within the group")
    ap.add_argument("--list", action="store_true", help="list the selected cases and exit")
    ap.add_argument("--seed", type=int, default=DEFAULT_BASE_SEED,
                    help=f"base seed (default {DEFAULT_BASE_SEED})")
    args = ap.parse_args(argv)

    names = select(args.only, args.group)
    if args.list:
        for n in names:
            c = CASES[n]
            print(f"{n:30s} [{c.group}, {c.fmt}] {c.description}")
        return 0
    if not names:
        print(f"no case in group {args.group!r} matches {args.only!r}", file=sys.stderr)
        return 2

    def out_dir(case):
        return args.out if args.out else GROUPS[case.group]

    for d in sorted({out_dir(CASES[n]) for n in names}):
        os.makedirs(d, exist_ok=True)
    command = shlex.join(["python"] + list(sys.argv))
    generator_sha256 = _generator_sha256()
    problems = []
    for n in names:
        print(f"{n}  (seed {case_seed(args.seed, CASES[n].seed_name or n)})", flush=True)
        problems += make_fixture(CASES[n], out_dir(CASES[n]), args.seed, command,
                                 generator_sha256)
    print(f"wrote {len(names)} fixture(s) to "
          + ", ".join(sorted({out_dir(CASES[n]) for n in names})))
    if problems:
        print("\n*** PROBLEMS ***", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
