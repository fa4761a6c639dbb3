#!/usr/bin/env bash
# Renders rnncheck's reports for the shipped fixtures (plus a perturbed, a known-deviation and an
# unusable demonstration case) in every format, then checks them with independent tools:
#
#   report.xml   validated with xmllint against tools/junit.xsd; counts checked against report.json
#   report.html  well-formed (xmllint), self-contained (no http(s), no external script, style or
#                font), screenshot with headless Chromium -> report.png
#   report.md    every table has the same number of cells in every row; rendered to
#                report.md.html with Python-Markdown (when it can be installed)
#   synthetic-large-heatmap.html   made-up numbers: the largest heatmap a report holds -> .png
#
# Usage: tools/render_check.sh [OUTPUT_DIR]        (default: render-check in the scratch path)
# Environment: RNNCHECK_SCRATCH   SwiftPM scratch path (default: .build in the repository)
#              RNNCHECK_NO_SCREENSHOT=1   skip Chromium
# Installs libxml2-utils and chromium with apt-get when they are missing (root or sudo needed).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRATCH="${RNNCHECK_SCRATCH:-$ROOT/.build}"
OUT="$(mkdir -p "${1:-$SCRATCH/render-check}" && cd "${1:-$SCRATCH/render-check}" && pwd)"
VENV="${TMPDIR:-/tmp}/rnncheck-render-venv"

say() { printf '== %s\n' "$*"; }
fail() { printf 'render_check: %s\n' "$*" >&2; exit 1; }

apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    say "installing $* with apt-get"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v xmllint >/dev/null || apt_install libxml2-utils
CHROMIUM=""
if [ "${RNNCHECK_NO_SCREENSHOT:-0}" != 1 ]; then
    command -v chromium >/dev/null || command -v chromium-browser >/dev/null || apt_install chromium fonts-dejavu-core
    CHROMIUM="$(command -v chromium || command -v chromium-browser)"
fi

say "building (scratch path $SCRATCH)"
swift build --package-path "$ROOT" --scratch-path "$SCRATCH" --build-tests
BIN="$(swift build --package-path "$ROOT" --scratch-path "$SCRATCH" --show-bin-path)/rnncheck"

say "rnncheck verify fixtures (text report, the CLI as shipped)"
set +e
"$BIN" verify "$ROOT/fixtures" > "$OUT/cli-verify.txt"
status=$?
set -e
tail -n 1 "$OUT/cli-verify.txt"
[ "$status" -eq 0 ] || fail "rnncheck verify fixtures exited $status (see $OUT/cli-verify.txt)"

say "writing every report format to $OUT"
rm -f "$OUT"/report.* "$OUT"/synthetic-large-heatmap.*
RNNCHECK_RENDER_OUT="$OUT" swift test --package-path "$ROOT" --scratch-path "$SCRATCH" --skip-build \
    --filter RenderArtifactsTests > "$OUT/render-test.log" 2>&1 || { cat "$OUT/render-test.log"; fail "RenderArtifactsTests failed"; }
for f in report.html report.xml report.md report.txt report.json; do
    [ -s "$OUT/$f" ] || fail "$f was not written (see $OUT/render-test.log)"
done

say "JUnit: schema"
xmllint --noout --schema "$ROOT/tools/junit.xsd" "$OUT/report.xml"

say "JUnit: counts against report.json"
python3 - "$OUT/report.json" "$OUT/report.xml" <<'PY'
import json, sys, xml.etree.ElementTree as ET
report = json.load(open(sys.argv[1]))
suite = ET.parse(sys.argv[2]).getroot().find("testsuite")
tests = failures = errors = skipped = 0
for c in report["cases"]:
    outs = c.get("outputs", [])
    marked = any(o.get("known_deviation") for o in outs)
    if c.get("error"): tests += 1; errors += 1
    if c.get("problem"): tests += 1; failures += 1
    if not outs and not c.get("error") and not c.get("problem"):
        tests += 1; failures += 0 if c["passed"] else 1
    for o in outs:
        tests += 1
        if o["passed"]: continue
        if o.get("known_deviation") or (c.get("expected_failure") and not marked): skipped += 1
        else: failures += 1
got = {k: int(suite.get(k)) for k in ("tests", "failures", "errors", "skipped")}
want = {"tests": tests, "failures": failures, "errors": errors, "skipped": skipped}
assert got == want, f"testsuite counts {got}, expected {want} from report.json"
assert len(suite.findall("testcase")) == tests, "testcase elements differ from tests="
for k in ("failure", "error", "skipped"):
    n = len(suite.findall(f"testcase/{k}"))
    assert n == want[{"failure": "failures", "error": "errors", "skipped": "skipped"}[k]], f"{n} <{k}> elements"
print(f"   {got}")
PY

say "HTML: well-formed, self-contained, size"
xmllint --noout "$OUT/report.html"
if grep -nE 'https?://|<script|<link|@import|url\(|<img|<iframe' "$OUT/report.html" | head -5 | grep .; then
    fail "report.html refers to something outside itself"
fi
size=$(wc -c < "$OUT/report.html")
echo "   report.html: $size bytes, $(grep -o 'class="heatmap"' "$OUT/report.html" | wc -l) heatmaps," \
     "$(grep -o 'class="error-over-time"' "$OUT/report.html" | wc -l) error-over-time plots," \
     "$(grep -o 'class="ulp-histogram"' "$OUT/report.html" | wc -l) histograms"
[ "$size" -lt 5000000 ] || fail "report.html is $size bytes"

say "Markdown: table shapes"
python3 - "$OUT/report.md" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
def cells(row):
    parts = re.split(r"(?<!\\)\|", row.strip())
    return parts[1:-1]
tables, cur = [], []
for line in lines + [""]:
    if line.startswith("|"): cur.append(line)
    elif cur: tables.append(cur); cur = []
assert tables, "no table"
for t in tables:
    width = len(cells(t[0]))
    assert all(re.fullmatch(r"\s*:?-{3,}:?\s*", c) for c in cells(t[1])), f"no delimiter row under {t[0]}"
    for row in t[1:]:
        assert len(cells(row)) == width, f"{len(cells(row))} cells, header has {width}: {row}"
print(f"   {len(tables)} tables, {sum(len(t) - 2 for t in tables)} rows, consistent")
PY

say "Markdown: rendering with Python-Markdown"
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV" && "$VENV/bin/pip" install -q markdown || true; fi
if "$VENV/bin/python" -c "import markdown" 2>/dev/null; then
    "$VENV/bin/python" - "$OUT/report.md" "$OUT/report.md.html" <<'PY'
import sys, markdown
from html.parser import HTMLParser
text = open(sys.argv[1], encoding="utf-8").read()
body = markdown.markdown(text, extensions=["tables"])
open(sys.argv[2], "w", encoding="utf-8").write("<!DOCTYPE html><meta charset='utf-8'><title>report.md</title>" + body)
class Count(HTMLParser):
    def __init__(self):
        super().__init__(); self.tables = 0; self.rows = []; self.cells = 0
    def handle_starttag(self, tag, attrs):
        if tag == "table": self.tables += 1
        if tag == "tr": self.cells = 0
        if tag in ("td", "th"): self.cells += 1
    def handle_endtag(self, tag):
        if tag == "tr": self.rows.append(self.cells)
c = Count(); c.feed(body)
md_tables = sum(1 for i, l in enumerate(text.split("\n")) if l.startswith("|") and (i == 0 or not text.split("\n")[i-1].startswith("|")))
assert c.tables == md_tables, f"Python-Markdown made {c.tables} tables of {md_tables}"
print(f"   {c.tables} HTML tables, row widths {sorted(set(c.rows))}")
PY
else
    echo "   Python-Markdown not available: table shapes checked above only"
fi

if [ -n "$CHROMIUM" ]; then
    say "HTML: screenshot with $(basename "$CHROMIUM")"
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --screenshot="$OUT/report.png" --window-size=1400,3000 "file://$OUT/report.html" > "$OUT/chromium.log" 2>&1 \
        || { cat "$OUT/chromium.log"; fail "chromium could not render report.html"; }
    [ -s "$OUT/report.png" ] || fail "no screenshot written"
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --screenshot="$OUT/synthetic-large-heatmap.png" --window-size=1400,1000 \
        "file://$OUT/synthetic-large-heatmap.html" >> "$OUT/chromium.log" 2>&1 \
        || { cat "$OUT/chromium.log"; fail "chromium could not render synthetic-large-heatmap.html"; }
    echo "   $OUT/report.png, $OUT/synthetic-large-heatmap.png"
fi
say "render check passed: $OUT"
