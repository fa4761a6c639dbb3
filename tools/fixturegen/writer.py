"""One case -> one fixture file (format version 1, fixtures/README.md)."""

import hashlib
import os
import tempfile
from typing import List

import numpy as np
from rnncheck_ref import fixture_file, graph, runtime
from rnncheck_ref.keras_run import run_float64, run_model

from .formats import FORMATS, keras_module

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_REPO_DIR = os.path.dirname(os.path.dirname(_PACKAGE_DIR))
# The generator's source: its own package and the reference writer's, which it runs models with.
_SOURCE_DIRS = ("tools/fixturegen", "python/rnncheck_ref")


def source_files() -> List[str]:
    """The generator's source, in @generator_sha256 order: every .py file under
    tools/fixturegen/ and python/rnncheck_ref/ outside tests/ folders, as '/'-separated paths
    relative to the repository (e.g. "tools/fixturegen/cases/gru.py"), sorted by code point
    (as `LC_ALL=C sort` does)."""
    found = []
    for top in _SOURCE_DIRS:
        for folder, subdirs, files in os.walk(os.path.join(_REPO_DIR, top)):
            subdirs[:] = [d for d in subdirs if d not in ("tests", "__pycache__")]
            rel = os.path.relpath(folder, _REPO_DIR).replace(os.sep, "/")
            found += [f"{rel}/{name}" for name in files if name.endswith(".py")]
    return sorted(found)


def generator_sha256() -> str:
    """sha256 of the bytes of source_files(), concatenated in that order."""
    h = hashlib.sha256()
    for rel in source_files():
        with open(os.path.join(_REPO_DIR, rel), "rb") as f:
            h.update(f.read())
    return h.hexdigest()


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


def make_fixture(case, out_dir, base_seed, command, generator_sha) -> List[str]:
    """Build the case with its seed, run it, check it, save and reload the model, run the
    float64 clone, and write out_dir/<case.name>.h5 (through a .tmp file, so that an interrupted
    write never leaves a partial .h5). Prints the checks and a per-output summary.

    Returns the problems found (failed checks, a reload that changes the outputs, output names
    that differ from the ones rnncheck-ref gives); the file
    is written even then. Raises RuntimeError when the builder's outputs contradict its
    output names or are not float32."""
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

    named = graph.output_names(model)
    if named != list(built.output_names):
        problems.append(f"{case.name}: rnncheck-ref names the outputs {named}, the case "
                        f"{list(built.output_names)}")

    ref64, why = None, "case disables float64"
    if case.float64:
        clone = run_float64(K, model, inputs)
        ref64, why = clone.outputs, clone.why
    if ref64 is None:
        print(f"    no /reference_float64: {why}")

    provenance = runtime.provenance(K)
    provenance.update(seed=seed, base_seed=base_seed, command=command,
                      generator_sha256=generator_sha)
    fmt = FORMATS[case.fmt]
    fixture_file.write(
        os.path.join(out_dir, case.name + ".h5"), name=case.name,
        description=case.description, inputs=inputs,
        input_names=[getattr(t, "name", "").split(":")[0] for t in graph.model_inputs(model)],
        outputs=outs, output_names=built.output_names, model_bytes=model_bytes,
        model_format=case.fmt, model_filename=fmt.filename, model_config=config_text,
        float64=ref64, tolerances=case.tolerances, provenance=provenance)

    for i, nm in enumerate(built.output_names):
        s = f"    output_{i} {nm:28s} {str(outs[i].shape):14s}"
        if ref64 is not None:
            s += f" max|f32-f64|={np.max(np.abs(outs[i] - ref64[i])):.3g}"
        print(s)
    return problems
