#!/usr/bin/env bash
# Regenerates docs/images/timeline.png, the picture chapters 1 and 10 show: a 5-page
# fetch_pages run as a timeline page, opened in headless Chromium at the step where the first
# readiness wakes the first task, with records spaced evenly (`#step=N&order`).
#
# Needs chromium (Debian package `chromium`). Writes run.html in a temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null 2>&1 || { echo "chromium not found (apt-get install chromium)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo run --release --example fetch_pages -- --pages 5 --only coroutines --timeline "$tmp/run.html"
# The step: the first wake caused by a readable socket (its number in the page's `line` list).
step=$(python3 - "$tmp/run.html" <<'PY'
import json, sys
page = open(sys.argv[1]).read()
start = page.index('id="data">') + len('id="data">')
data = json.loads(page[start:page.index('</script>', start)])
print(next(i + 1 for i, line in enumerate(data["line"]) if line.startswith("wake task") and "readable)" in line))
PY
)
mkdir -p docs/images
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$tmp/profile" --hide-scrollbars --virtual-time-budget=3000 \
    --screenshot=docs/images/timeline.png --window-size=1400,900 \
    "file://$tmp/run.html#step=$step&order" 2>/dev/null
echo "docs/images/timeline.png: step $step of $tmp/run.html"
