#!/usr/bin/env python3
"""Read and write rnncheck model files (.rnn) from Python, from docs/model-format.md alone.

An independent implementation of the byte layout (the Swift one is Sources/RNNModelFile): the
hostile sweep uses it to make files that are wrong in one chosen way, and its tests check the
documented layout against files the Swift writer made.

    python3 tools/model_file.py show model.rnn          # the description, indented, and the tensor table
    python3 tools/model_file.py tensors model.rnn       # every tensor's shape, type and a few values

Only the standard library is needed (numpy, when present, gives `tensor()` arrays).
"""
from __future__ import annotations

import json
import struct
import sys
import zlib
from dataclasses import dataclass, field

MAGIC = bytes([0x89, 0x52, 0x4E, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A])
PREAMBLE = 40
ALIGN = 64


def aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


@dataclass
class ModelFile:
    """A model file's parts. `description` is the JSON text as bytes (kept as written, so that
    an edit changes only what it changes)."""

    description: bytes
    data: bytes
    version: int = 1
    flags: int = 0
    magic: bytes = MAGIC
    _json: dict | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, raw: bytes) -> "ModelFile":
        if raw[:8] != MAGIC:
            raise ValueError("not an rnncheck model file (bad signature)")
        if len(raw) < PREAMBLE:
            raise ValueError("truncated preamble")
        version, flags, h, d, hcrc, dcrc = struct.unpack_from("<IIQQII", raw, 8)
        offset = aligned(PREAMBLE + h)
        if offset + d != len(raw):
            raise ValueError(f"the preamble accounts for {offset + d} bytes, the file has {len(raw)}")
        description = raw[PREAMBLE:PREAMBLE + h]
        data = raw[offset:offset + d]
        if any(raw[PREAMBLE + h:offset]):
            raise ValueError("padding is not zero")
        if zlib.crc32(description) != hcrc:
            raise ValueError("description CRC-32 mismatch")
        if zlib.crc32(data) != dcrc:
            raise ValueError("data CRC-32 mismatch")
        return cls(description=description, data=data, version=version, flags=flags)

    @classmethod
    def read(cls, path: str) -> "ModelFile":
        with open(path, "rb") as f:
            return cls.parse(f.read())

    def to_bytes(self, *, description_length: int | None = None, data_length: int | None = None,
                 description_crc: int | None = None, data_crc: int | None = None) -> bytes:
        """The file, with correct sizes and checksums unless they are given."""
        h = len(self.description)
        pre = self.magic + struct.pack(
            "<IIQQII", self.version, self.flags,
            h if description_length is None else description_length,
            len(self.data) if data_length is None else data_length,
            zlib.crc32(self.description) if description_crc is None else description_crc,
            zlib.crc32(self.data) if data_crc is None else data_crc)
        body = pre + self.description
        return body + bytes(aligned(len(body)) - len(body)) + self.data

    @property
    def json(self) -> dict:
        if self._json is None:
            self._json = json.loads(self.description)
        return self._json

    def with_json(self, value: dict) -> "ModelFile":
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        return ModelFile(description=text, data=self.data, version=self.version, flags=self.flags, magic=self.magic)

    def tensor(self, index: int):
        """Tensor `index` as a numpy array (or a flat list without numpy)."""
        entry = self.json["tensors"][index]
        size = {"float32": 4, "float64": 8}[entry["dtype"]]
        count = 1
        for n in entry["shape"]:
            count *= n
        start = entry["offset"]
        if start % ALIGN:
            raise ValueError(f"tensor {index} is not 64-byte aligned")
        chunk = self.data[start:start + count * size]
        try:
            import numpy as np
            return np.frombuffer(chunk, dtype="<f4" if size == 4 else "<f8").reshape(entry["shape"])
        except ImportError:
            return list(struct.unpack(f"<{count}{'f' if size == 4 else 'd'}", chunk))

    def check_layout(self) -> None:
        """The tensor table against the documented layout: each tensor at the next multiple of 64
        after the previous one, the last one ending the data."""
        end = 0
        for k, entry in enumerate(self.json["tensors"]):
            size = {"float32": 4, "float64": 8}[entry["dtype"]]
            count = 1
            for n in entry["shape"]:
                count *= n
            if entry["offset"] != aligned(end):
                raise ValueError(f"tensor {k} is at {entry['offset']}, the layout puts it at {aligned(end)}")
            if any(self.data[end:entry["offset"]]):
                raise ValueError(f"the bytes before tensor {k} are not zero")
            end = entry["offset"] + count * size
        if end != len(self.data):
            raise ValueError(f"the tensors end at {end}, the data at {len(self.data)}")


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("show", "tensors"):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: model_file.py show|tensors FILE.rnn", file=sys.stderr)
        return 2
    mf = ModelFile.read(argv[1])
    mf.check_layout()
    if argv[0] == "show":
        print(f"format version {mf.version}, description {len(mf.description)} bytes, data {len(mf.data)} bytes")
        print(json.dumps(mf.json, indent=1))
    else:
        for k, entry in enumerate(mf.json["tensors"]):
            values = mf.tensor(k)
            flat = values.reshape(-1)[:4].tolist() if hasattr(values, "reshape") else values[:4]
            print(f"tensor {k}: {entry['dtype']} {tuple(entry['shape'])} at {entry['offset']}: {flat}...")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
