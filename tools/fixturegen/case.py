"""What a fixture case is: a named builder, the format its model is saved in, and its seed."""

import zlib
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np

DEFAULT_BASE_SEED = 20240302


@dataclass
class Built:
    """What a case builder returns."""
    model: object                      # a built Keras model (Sequential or functional)
    inputs: List[np.ndarray]           # in model input order: float32, or int32 token ids
    output_names: List[str]            # "<layer_name>/<what>", in model output order
    # Optional known-good values, e.g. numbers printed in a notebook:
    # {output_index: (array, atol, "where the numbers come from")}
    expected: Dict[int, tuple] = field(default_factory=dict)
    # Optional semantic checks on the float32 outputs: [(label, fn(outs) -> (ok, detail))].
    checks: List[tuple] = field(default_factory=list)


@dataclass
class Case:
    """One fixture file to write.

    `build(K, rng) -> Built` gets the Keras package of the case's format (`keras` for the
    keras3* formats, `tf_keras` for the keras2* ones; see formats.FORMATS) and a numpy
    Generator seeded with the case's seed. It must give every layer, input and the model an
    explicit name, so that a file does not depend on which other cases ran before (Keras
    auto-names are global counters)."""
    name: str                          # the file's stem and @name
    description: str                   # @description
    build: Callable[[object, np.random.Generator], Built]
    fmt: str = "keras3"                # key into formats.FORMATS
    float64: bool = True               # also write /reference_float64
    tolerances: Optional[dict] = None  # {"atol": float, "rtol": float, "reason": str}
    seed_name: Optional[str] = None    # derive the seed from this name instead (shared seeds)
    family: Optional[str] = None       # set by cases.all_cases(): the defining module's name

    def seed(self, base_seed: int) -> int:
        return case_seed(base_seed, self.seed_name or self.name)


def case_seed(base_seed: int, name: str) -> int:
    """Per-case seed: stable across runs and independent of which other cases exist."""
    return (base_seed + zlib.crc32(name.encode("utf-8"))) % (2 ** 31)
