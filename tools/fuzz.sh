#!/usr/bin/env bash
# Fuzzes rnncheck's loaders with libFuzzer (+ AddressSanitizer):
#   tools/fuzz.sh [SECONDS]            (default 1800)
# Builds Fuzz/ (a separate package, so sanitizer flags never touch the product), seeds a corpus
# from the shipped fixtures (first byte picks the loader: 0 model file, 1 reference/fixture HDF5,
# 2 config.json against fixed weights, 3 config.json inside a .keras archive, 4 metadata.json
# inside an archive), runs for SECONDS and keeps the corpus in Fuzz/corpus and crashes in
# Fuzz/crashes; it goes on after a crash (-fork=1 -ignore_crashes=1) so one libhdf5 bug does
# not hide the rest. A crash found becomes a regression test (Tests/ConformanceTests/FuzzRegressionTests).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-1800}
scripts/ensure-deps
(cd Fuzz && swift build --scratch-path ../.build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library --product FuzzLoaders)
mkdir -p Fuzz/corpus Fuzz/crashes Fuzz/seeds
python3 - <<'PY'
import glob, io, os, zipfile
try:
    import h5py, numpy  # noqa: F401
except ImportError:
    h5py = None
out = "Fuzz/seeds"
for path in sorted(glob.glob("fixtures/*.h5"))[:12]:
    name = os.path.basename(path)[:-3]
    data = open(path, "rb").read()
    open(f"{out}/{name}.fixture", "wb").write(b"\x01" + data)
    if h5py is not None:
        with h5py.File(path, "r") as f:
            model = bytes(f["model/file"][()])
        open(f"{out}/{name}.model", "wb").write(b"\x00" + model)
        z = zipfile.ZipFile(io.BytesIO(model))
        open(f"{out}/{name}.config", "wb").write(b"\x02" + z.read("config.json"))
        open(f"{out}/{name}.archive-config", "wb").write(b"\x03" + z.read("config.json"))
        open(f"{out}/{name}.archive-metadata", "wb").write(b"\x04" + z.read("metadata.json"))
PY
./.build-fuzz/debug/FuzzLoaders Fuzz/corpus Fuzz/seeds -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 \
    -artifact_prefix=Fuzz/crashes/ -print_final_stats=1 -fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1
