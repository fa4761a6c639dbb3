"""The case registry against the shipped fixtures: a case's name, description, format and seed
are part of its fixture, so none may change without regenerating it. Needs no Keras."""

import glob
import os

import h5py
import pytest

from ..case import DEFAULT_BASE_SEED
from ..cases import FAMILIES, MODULES, all_cases
from ..cli import DEFAULT_OUT, select
from ..writer import source_files

CASES = all_cases()
SHIPPED = sorted(glob.glob(os.path.join(DEFAULT_OUT, "*.h5")))


def test_every_shipped_fixture_has_a_case_and_back():
    assert sorted(os.path.basename(p)[:-3] for p in SHIPPED) == sorted(CASES)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: os.path.basename(p)[:-3])
def test_case_matches_its_fixture(path):
    case = CASES[os.path.basename(path)[:-3]]
    with h5py.File(path, "r") as f:
        assert f.attrs["name"] == case.name
        assert f.attrs["description"] == case.description
        assert f["model"].attrs["format"] == case.fmt
        assert f["provenance"].attrs["base_seed"] == DEFAULT_BASE_SEED
        assert f["provenance"].attrs["seed"] == case.seed(DEFAULT_BASE_SEED)
        assert ("reference_float64" in f) == case.float64


def test_families_are_the_registered_modules():
    assert FAMILIES == tuple(m.__name__.rpartition(".")[2] for m in MODULES)
    assert {c.family for c in CASES.values()} == set(FAMILIES)


def test_select_by_family_and_glob():
    gru = select(CASES, "gru", None)
    assert gru and all(CASES[n].family == "gru" for n in gru)
    assert select(CASES, "gru,lstm", "k2_*") == ["k2_lstm_seqT_stateT", "k2_gru_reset_after",
                                                  "k2_gru_reset_before"]
    assert select(CASES, None, "seed_bidi_*,lstm_b1_t1") == ["lstm_b1_t1", "seed_bidi_last",
                                                             "seed_bidi_seq"]


def test_generator_sources_in_documented_order():
    files = source_files()
    assert files == sorted(files)
    assert files[0] == "python/rnncheck_ref/__init__.py"
    assert "python/rnncheck_ref/keras_run.py" in files
    assert "tools/fixturegen/cases/__init__.py" in files and "tools/fixturegen/cli.py" in files
    assert not [f for f in files if "/tests/" in f or not f.endswith(".py")]
