"""tools/mutate.py edits source text: every fault's target must occur exactly once in today's
sources, or the fault silently tests nothing (four of them had gone stale when the layers moved
to Sources/RNNEngine/Layers/)."""

import importlib.util
import os

import pytest

TOOLS = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
spec = importlib.util.spec_from_file_location("mutate", os.path.join(TOOLS, "mutate.py"))
mutate = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mutate)

EDITS = [(name, fault[0], path, old, new) for name in ("FAULTS", "FAST_FAULTS")
         for fault in getattr(mutate, name) for path, old, new in fault[1]]


@pytest.mark.parametrize("name,desc,path,old,new", EDITS, ids=[f"{e[0]}: {e[1]}" for e in EDITS])
def test_fault_target_occurs_once(name, desc, path, old, new):
    source = open(os.path.join(mutate.ROOT, path)).read()
    assert source.count(old) == 1, f"{name} '{desc}': {path} holds its target {source.count(old)} times"
    assert old != new
