#!/usr/bin/env python3
"""Writes the small HDF5 files that HDF5Tests reads, into Resources/ next to this script.

    python3 Tests/HDF5Tests/make_resources.py      (needs h5py and numpy)

The outputs are committed, so the tests never need Python. Re-run this only to change them, and
keep the values below in step with the assertions in the Swift tests.

keras_like.h5  attributes and datasets laid out and typed the way Keras and h5py write them:
               variable-length strings (scalar and 1-D, UTF-8 and ASCII), fixed-length `S`
               strings, Keras's empty `weight_names` (float64, shape (0,)), numbers of several
               widths, soft links (good, dangling, looping), a named datatype, odd types.
hostile.h5     things a reader must refuse: an external link, a soft link to that external
               link, a dataset with external raw storage and a virtual dataset.
ext_target.h5, external_raw.bin, vds_source.h5
               what the hostile objects point at, so that following them would really work.
"""
import os

import h5py
import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Resources")


def keras_like(path):
    utf8 = h5py.string_dtype("utf-8")
    ascii_ = h5py.string_dtype("ascii")
    with h5py.File(path, "w") as f:
        # Root attributes of a Keras 2 full-model file.
        f.attrs.create("backend", "tensorflow", dtype=utf8)                       # vlen UTF-8 scalar
        f.attrs.create("keras_version", b"2.21.0", dtype=ascii_)                  # vlen ASCII scalar
        f.attrs.create("model_config", '{"class_name": "Sequential", "name": "séq"}', dtype=utf8)
        f.attrs.create("layer_names", [b"x", b"lstm", b"dense"], dtype=ascii_)   # vlen ASCII 1-D
        f.attrs["fixed_names"] = np.array([b"lstm", b"dense"])                    # fixed-length S5, 1-D
        f.attrs["fixed_scalar"] = np.bytes_(b"tensorflow")                        # fixed-length S10, scalar
        # A fixed-length, space-padded string array (older writers).
        tid = h5py.h5t.C_S1.copy()
        tid.set_size(8)
        tid.set_strpad(h5py.h5t.STR_SPACEPAD)
        aid = h5py.h5a.create(f.id, b"spacepad", tid, h5py.h5s.create_simple((2,)))
        aid.write(np.array([b"ab", b"cde"], dtype="S8"))
        f.attrs["int32_scalar"] = np.int32(-7)
        f.attrs["uint8_array"] = np.array([1, 2, 255], dtype=np.uint8)
        f.attrs["int64_array"] = np.array([-(2**40), 0, 2**40], dtype=np.int64)
        f.attrs["float32_scalar"] = np.float32(0.5)
        f.attrs["float64_array"] = np.array([1.25, -2.5], dtype=np.float64)
        f.attrs["empty_null"] = h5py.Empty("f8")                                   # null dataspace
        f.attrs["matrix"] = np.zeros((2, 2))                                       # 2-D: not an AttributeValue
        f.attrs["compound"] = np.array((1, 2.0), dtype=[("a", "i4"), ("b", "f8")])

        mw = f.create_group("model_weights")
        mw.attrs.create("layer_names", [b"x", b"lstm"], dtype=ascii_)
        lstm = mw.create_group("lstm")
        lstm.attrs.create("weight_names", ["lstm/lstm_cell/kernel:0", "lstm/lstm_cell/bias:0"], dtype=utf8)
        lstm.create_dataset("lstm/lstm_cell/kernel:0", data=(np.arange(24, dtype=np.float32) / 8).reshape(2, 12))
        lstm.create_dataset("lstm/lstm_cell/bias:0", data=np.linspace(-1, 1, 12).astype(np.float32))
        x = mw.create_group("x")
        x.attrs["weight_names"] = np.array([])                                     # Keras: float64 (0,)

        # Keras 3 style: datasets named 0..11 (libhdf5 lists "10" before "2").
        cell = f.create_group("layers/lstm/cell/vars")
        cell.attrs.create("name", "lstm_cell", dtype=utf8)
        for i in range(12):
            cell.create_dataset(str(i), data=np.array([i], dtype=np.float32))

        d = f.create_group("data")
        d.create_dataset("float16", data=np.array([0.5, 1.5, -2.0], dtype=np.float16))
        d.create_dataset("big_endian_int32", data=np.array([1, -2, 300000], dtype=">i4"))
        d.create_dataset("bool", data=np.array([True, False, True]))
        d.create_dataset("gzip_float64", data=np.arange(100, dtype=np.float64).reshape(10, 10),
                         chunks=(5, 5), compression="gzip")
        d.create_dataset("vlen_strings", data=["a", "béta", ""], dtype=utf8)
        d.create_dataset("fixed_strings", data=np.array([b"x", b"yy", b"zzz"]))
        d.create_dataset("scalar_string", data='{"config": 1}', dtype=utf8)
        d.create_dataset("compound", data=np.array([(1, 2.0)], dtype=[("a", "i4"), ("b", "f8")]))
        d.create_dataset("empty", data=h5py.Empty("f4"))
        # Shapes whose data is never allocated (chunked, nothing written): 16 GiB, and more than Int.max.
        d.create_dataset("big", shape=(2**20, 2**12), dtype="f4", chunks=(1, 2**12))
        d.create_dataset("huge", shape=(2**62, 4), dtype="f4", chunks=(1, 4))
        d["float16"].attrs.create("unit", "none", dtype=utf8)

        f["named_type"] = np.dtype("f4")                                           # committed datatype

        links = f.create_group("links")
        links.create_group("sub").create_dataset("leaf", data=np.array([3, 4], dtype=np.int32))
        links["absolute"] = h5py.SoftLink("/model_weights/lstm")
        links["relative"] = h5py.SoftLink("sub/leaf")
        links["dangling"] = h5py.SoftLink("/no/such/thing")
        links["loop_a"] = h5py.SoftLink("/links/loop_b")
        links["loop_b"] = h5py.SoftLink("/links/loop_a")

        ordered = f.create_group("ordered", track_order=True)
        for name in ["zeta", "alpha", "mid"]:
            ordered.attrs[name] = np.int64(len(name))


def hostile(directory):
    with h5py.File(os.path.join(directory, "ext_target.h5"), "w") as f:
        f.create_dataset("secret", data=np.array([42.0], dtype=np.float32))
    with h5py.File(os.path.join(directory, "vds_source.h5"), "w") as f:
        f.create_dataset("data", data=np.array([1, 2, 3, 4], dtype=np.float32))
    # Relative names in external storage and virtual sources resolve against the working directory.
    cwd = os.getcwd()
    os.chdir(directory)
    try:
        with h5py.File("hostile.h5", "w", libver=("earliest", "v110")) as f:
            f["ext_link"] = h5py.ExternalLink("ext_target.h5", "/secret")
            f["soft_to_ext"] = h5py.SoftLink("/ext_link")
            f.create_group("g")
            f["g"].create_dataset("extstore", shape=(4,), dtype="<f4",
                                  data=np.array([5, 6, 7, 8], dtype="<f4"),
                                  external=[("external_raw.bin", 0, 16)])
            layout = h5py.VirtualLayout(shape=(4,), dtype="f4")
            layout[:] = h5py.VirtualSource("vds_source.h5", "data", shape=(4,))
            f.create_virtual_dataset("vds", layout, fillvalue=0)
            f.create_dataset("plain", data=np.array([1.0], dtype=np.float32))
    finally:
        os.chdir(cwd)


def booleans(path):
    with h5py.File(path, "w") as f:
        # h5py writes numpy bools as an 8-bit enum {FALSE: 0, TRUE: 1}: a mask given as a model input.
        f["mask"] = np.array([[True, False, True], [False, False, True]])


if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    booleans(os.path.join(HERE, "booleans.h5"))
    keras_like(os.path.join(HERE, "keras_like.h5"))
    hostile(HERE)
    print("wrote", sorted(os.listdir(HERE)))
