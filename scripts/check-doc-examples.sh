#!/usr/bin/env bash
# Every public item of corolab has a doc example of its own (the project's rule, after smol).
# rustdoc can check it, but the lint is nightly-only: with no nightly toolchain this says
# "skipped" and exits 0. Its own target dir, so the stable `cargo doc` output is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "skipped: no nightly toolchain (scripts/check-doc-examples.sh)"
    exit 0
fi
CARGO_TARGET_DIR=target/doc-examples cargo +nightly rustdoc --quiet --lib -- \
    -Z unstable-options -Zcrate-attr="feature(rustdoc_missing_doc_code_examples)" \
    -D rustdoc::missing_doc_code_examples
echo "ok: every public item has a doc example"
