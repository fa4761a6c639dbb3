"""One case -> one fixture file (format version 1, fixtures/README.md)."""

import datetime
import hashlib
import os
import platform
import tempfile
from typing import List

import numpy as np

from .formats import FORMATS, keras_module
from .keras_run import run_float64, run_model

FORMAT_VERSION = 1

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def source_files() -> List[str]:
    """The generator's source, in @generator_sha256 order: every .py file under
    tools/fixturegen/ outside tests/ folders, as '/'-separated paths relative to tools/
    (e.g. "fixturegen/cases/gru.py"), sorted by code point (as `LC_ALL=C sort` does)."""
    tools_dir = os.path.dirname(_PACKAGE_DIR)
    found = []
    for folder, subdirs, files in os.walk(_PACKAGE_DIR):
        subdirs[:] = [d for d in subdirs if d != "tests"]
        rel = os.path.relpath(folder, tools_dir).replace(os.sep, "/")
        found += [f"{rel}/{name}" for name in files if name.endswith(".py")]
    return sorted(found)


def generator_sha256() -> str:
    """sha256 of the bytes of source_files(), concatenated in that order."""
    h = hashlib.sha256()
    tools_dir = os.path.dirname(_PACKAGE_DIR)
    for rel in source_files():
        with open(os.path.join(tools_dir, rel), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def _str_attr(obj, key, value):
    import h5py
    obj.attrs.create(key, data=value, dtype=h5py.string_dtype("utf-8"))


def _expected_problems(case, built, outs):
    """Compare outputs with the builder's known values (notebook numbers), printing each."""
    problems = []
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
    return problems


def _check_problems(case, built, outs):
    """Run the builder's semantic checks on the outputs, printing each."""
    problems = []
    for label, fn in built.checks:
        ok, detail = fn(outs)
        print(f"    check {label}: {detail} {'OK' if ok else '*** FAILED ***'}")
        if not ok:
            problems.append(f"{case.name}: check failed: {label}: {detail}")
    return problems


def _save_and_reload(case, K, model, inputs, outs):
    """Save the model in the case's format; reload it the way a user would and require the
    same outputs bit for bit. Returns (file bytes, config text or None, problems)."""
    fmt = FORMATS[case.fmt]
    problems = []
    with tempfile.TemporaryDirectory(prefix="rnncheck-fixture-") as tmpdir:
        path, config_text = fmt.save(model, tmpdir)
        with open(path, "rb") as f:
            model_bytes = f.read()
        reloaded = fmt.load(K, path, config_text)
        re_outs = run_model(K, reloaded, inputs)
        for i, (a, b) in enumerate(zip(outs, re_outs)):
            if not np.array_equal(a, b):
                problems.append(f"{case.name}: reloaded model output {i} differs by "
                                f"{np.max(np.abs(a - b)):.3g}")
    return model_bytes, config_text, problems


def _write_provenance(f, case, K, seed, base_seed, command, generator_sha):
    import h5py
    import keras as keras3
    import tensorflow as tf

    p = f.create_group("provenance")
    _str_attr(p, "keras_version", K.__version__ if FORMATS[case.fmt].module != "keras"
              else keras3.__version__)
    _str_attr(p, "tensorflow_version", tf.__version__)
    _str_attr(p, "backend", "tensorflow")
    _str_attr(p, "python_version", platform.python_version())
    _str_attr(p, "numpy_version", np.__version__)
    _str_attr(p, "h5py_version", h5py.__version__)
    p.attrs.create("seed", np.int64(seed))
    p.attrs.create("base_seed", np.int64(base_seed))
    _str_attr(p, "command", command)
    _str_attr(p, "generator_sha256", generator_sha)
    _str_attr(p, "created", datetime.datetime.now(datetime.timezone.utc)
              .replace(microsecond=0).isoformat().replace("+00:00", "Z"))
    _str_attr(p, "onednn", "off")


def make_fixture(case, out_dir, base_seed, command, generator_sha) -> List[str]:
    """Build the case with its seed, run it, check it, save and reload the model, run the
    float64 clone, and write out_dir/<case.name>.h5 (through a .tmp file, so that an interrupted
    write never leaves a partial .h5). Prints the checks and a per-output summary.

    Returns the problems found (failed checks, a reload that changes the outputs); the file
    is written even then. Raises RuntimeError when the builder's outputs contradict its
    output names or are not float32."""
    import h5py

    K = keras_module(case.fmt)
    seed = case.seed(base_seed)

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

    problems = _expected_problems(case, built, outs) + _check_problems(case, built, outs)
    model_bytes, config_text, reload_problems = _save_and_reload(case, K, model, inputs, outs)
    problems += reload_problems

    ref64, why = (None, "case disables float64") if not case.float64 else \
        run_float64(K, model, inputs)
    if ref64 is None:
        print(f"    no /reference_float64: {why}")

    tmp_path = os.path.join(out_dir, case.name + ".h5.tmp")
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
        _str_attr(g, "filename", FORMATS[case.fmt].filename)
        g.create_dataset("file", data=np.frombuffer(model_bytes, dtype=np.uint8))
        if config_text is not None:
            g.create_dataset("config", data=config_text, dtype=h5py.string_dtype("utf-8"))
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
        _write_provenance(f, case, K, seed, base_seed, command, generator_sha)
    os.replace(tmp_path, os.path.join(out_dir, case.name + ".h5"))

    for i, nm in enumerate(built.output_names):
        s = f"    output_{i} {nm:28s} {str(outs[i].shape):14s}"
        if ref64 is not None:
            s += f" max|f32-f64|={np.max(np.abs(outs[i] - ref64[i])):.3g}"
        print(s)
    return problems
