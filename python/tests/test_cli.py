"""Model-file mistakes, flags, and the installed entry points."""

import os
import subprocess
import sys

import ref_models


def test_missing_model_file(tmp_path, ref_error):
    assert f"{tmp_path}/nope.keras: no such file" in ref_error(tmp_path / "nope.keras")


def test_saved_model_directory(tmp_path, ref_error):
    saved = tmp_path / "exported"
    saved.mkdir()
    (saved / "saved_model.pb").write_bytes(b"")
    err = ref_error(saved)
    assert "TensorFlow SavedModel directory" in err and 'model.save("model.keras")' in err


def test_not_a_model_file(tmp_path, ref_error):
    (tmp_path / "notes.txt").write_text("hello")
    assert "neither a .keras archive nor an HDF5 file" in ref_error(tmp_path / "notes.txt")


def test_weights_only_needs_config_then_works(folder, tmp_path, ref_error, write_ref):
    import keras
    model = ref_models.load(ref_models.single_input_k3(folder))
    weights = str(tmp_path / "single.weights.h5")
    model.save_weights(weights)
    assert "holds only weights: give the architecture with --config" in ref_error(weights)
    config = tmp_path / "config.json"
    config.write_text(model.to_json())
    ref = write_ref(weights, "--config", config)
    assert ref.model["format"] == "keras3-weights" and ref.config == model.to_json()
    want = model(ref.inputs[0], training=False)
    assert (ref.outputs[0] == keras.ops.convert_to_numpy(want)).all()


def test_unknown_extent_other_than_time(tmp_path, ref_error, write_ref):
    import keras
    keras.utils.set_random_seed(16)
    x = keras.Input((None, None, 2), name="img")
    model = keras.Model(x, keras.layers.Conv2D(1, 1, name="conv")(x), name="conv_model")
    path = str(tmp_path / "conv.keras")
    model.save(path)
    err = ref_error(path)
    assert "unknown size on axis 2" in err and "--shape img=8,8,2" in err
    ref = write_ref(path, "--shape", "img=3,4,2")
    assert ref.inputs[0].shape == (2, 3, 4, 2)
    assert "axis 3 of input" in ref_error(path, "--shape", "img=3,4,5")


def test_integer_input_without_embedding(tmp_path, ref_error, write_ref):
    import keras
    x = keras.Input((3,), dtype="int32", name="n")
    y = keras.layers.Dense(1, name="d")(keras.ops.cast(x, "float32"))
    path = str(tmp_path / "ints.keras")
    keras.Model(x, y, name="ints").save(path)
    assert "--vocab N" in ref_error(path)
    ref = write_ref(path, "--vocab", 4)
    assert ref.inputs[0].max() < 4 and str(ref.inputs[0].dtype) == "int32"


def test_help_and_module_entry_point():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=here + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-m", "rnncheck_ref", "--help"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert out.startswith("usage: rnncheck-ref [-h] -o REF.h5")
    for flag in ("--inputs", "--batch", "--time", "--pad", "--seed", "--float64", "--layers",
                 "--keras", "--config", "--shape", "--vocab"):
        assert flag in out


def test_output_must_not_be_the_model(folder, ref_error, capsys):
    from rnncheck_ref import cli
    path = ref_models.single_input_k3(folder)
    assert cli.main([path, "-o", path]) == 2
    assert "also an input of this run" in capsys.readouterr().err
