"""--inputs: the user's .npy / .npz arrays, and the mistakes rnncheck-ref names."""


import numpy as np
import pytest

import ref_models
from conftest import call


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("models"))
    return {"single": ref_models.single_input_k3(folder), "two": ref_models.two_input_tf_keras(folder),
            "dict": ref_models.dict_input_k3(folder), "tokens": ref_models.tokens_k3(folder)}


def _save(tmp_path, name, array):
    path = str(tmp_path / name)
    np.save(path, array)
    return path


def test_npy_per_input(models, tmp_path, write_ref):
    rng = np.random.default_rng(1)
    x1, x2 = rng.standard_normal((3, 5, 3)), rng.standard_normal((3, 7, 2)).astype(np.float32)
    ref = write_ref(models["two"], "--inputs", _save(tmp_path, "x1.npy", x1),
                    "--inputs", _save(tmp_path, "x2.npy", x2))
    np.testing.assert_array_equal(ref.inputs[0], x1.astype(np.float32))     # float64 -> float32
    np.testing.assert_array_equal(ref.inputs[1], x2)
    want = call(ref_models.load(models["two"]), [x1.astype(np.float32), x2])
    for got, w in zip(ref.outputs, want):
        np.testing.assert_array_equal(got, w)
    assert ref.provenance["inputs"].startswith("given: ")


def test_npz_by_input_name_and_positional(models, tmp_path, write_ref):
    rng = np.random.default_rng(2)
    seq, aux = rng.standard_normal((4, 5, 3)), rng.standard_normal((4, 2))
    np.savez(tmp_path / "named.npz", seq=seq, aux=aux)                  # dict model: by key
    ref = write_ref(models["dict"], "--inputs", tmp_path / "named.npz")
    np.testing.assert_array_equal(ref.inputs[0], aux.astype(np.float32))
    np.testing.assert_array_equal(ref.inputs[1], seq.astype(np.float32))
    np.savez(tmp_path / "pos.npz", aux, seq)                             # arr_0, arr_1: in order
    ref2 = write_ref(models["dict"], "--inputs", tmp_path / "pos.npz", out="pos.h5")
    np.testing.assert_array_equal(ref2.outputs[0], ref.outputs[0])


def test_token_ids_given_as_floats_and_ints(models, tmp_path, write_ref):
    ids = np.array([[1, 2, 0, 0], [5, 4, 3, 2]])
    fids = np.array([[0.0, 8.0, 1.0, 2.0], [3.0, 3.0, 4.0, 5.0]])
    x = np.zeros((2, 4, 2)) - 1.0
    np.savez(tmp_path / "t.npz", ids=ids, fids=fids, x=x)
    ref = write_ref(models["tokens"], "--inputs", tmp_path / "t.npz")
    assert ref.inputs[0].dtype == np.int32 and ref.inputs[1].dtype == np.float32
    np.testing.assert_array_equal(ref.inputs[0], ids)


def test_wrong_number_of_arrays_names_the_inputs(models, tmp_path, ref_error):
    err = ref_error(models["two"], "--inputs", _save(tmp_path, "x1.npy", np.zeros((2, 5, 3))))
    assert "the model has 2 input(s): 'x1' (None, 5, 3) float32, 'x2' (None, None, 2) float32" in err
    assert "1 array(s) were given" in err


def test_shape_that_does_not_fit_names_the_axis(models, tmp_path, ref_error):
    err = ref_error(models["single"], "--inputs", _save(tmp_path, "x.npy", np.zeros((2, 5, 4))))
    assert "axis 2 is 4, but input 'x' (None, None, 3) float32 has 3 there" in err
    err = ref_error(models["single"], "--inputs", _save(tmp_path, "x.npy", np.zeros((2, 5, 3, 1))))
    assert "4 axes" in err and "takes 3 axes" in err


def test_one_array_per_batch_row(models, tmp_path, ref_error):
    """The README's old trap: one dataset per row of a single input's batch."""
    rows = [_save(tmp_path, f"row{i}.npy", np.zeros((5, 3))) for i in range(4)]
    err = ref_error(models["single"], *[a for r in rows for a in ("--inputs", r)])
    assert "look like one array per row" in err and "np.stack(rows)" in err
    np.savez(tmp_path / "rows.npz", *[np.zeros((5, 3))] * 4)
    err = ref_error(models["single"], "--inputs", tmp_path / "rows.npz")
    assert "look like one array per row" in err
    err = ref_error(models["single"], "--inputs", rows[0])
    assert "lacks the batch axis" in err and "x[None]" in err


def test_other_input_mistakes(models, tmp_path, ref_error):
    err = ref_error(models["single"], "--inputs", tmp_path / "missing.npy")
    assert "missing.npy: no such file" in err
    np.savez(tmp_path / "bad.npz", sequence=np.zeros((2, 5, 3)), aux=np.zeros((2, 2)))
    err = ref_error(models["dict"], "--inputs", tmp_path / "bad.npz")
    assert "named aux, sequence" in err and "'seq'" in err
    two = [_save(tmp_path, "a.npy", np.zeros((2, 5, 3))), _save(tmp_path, "b.npy", np.zeros((3, 4, 2)))]
    err = ref_error(models["two"], "--inputs", two[0], "--inputs", two[1])
    assert "batch size 3" in err
    np.savez(tmp_path / "t.npz", ids=np.array([[1, 6]]), fids=np.zeros((1, 4)), x=np.zeros((1, 2, 2)))
    err = ref_error(models["tokens"], "--inputs", tmp_path / "t.npz")
    assert "the id 6 at (0, 1), outside [0, 6) of Embedding 'emb'" in err
    err = ref_error(models["single"], "--inputs", two[0], "--batch", 3)
    assert "--batch" in err and "leave it out" in err
