#!/usr/bin/env bash
# The project's test command: unit and crate tests, then the end-to-end suite that drives a
# real `castellan serve` with the aws CLI and boto3.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"

echo "== cargo build"
cargo build --locked --bin castellan

echo "== cargo test"
cargo test --locked --workspace

echo "== end-to-end (aws CLI, boto3)"
if ! python3 -c "import boto3, pytest, awscli" 2>/dev/null; then
  python3 -m pip install --quiet -r tests/e2e/requirements.txt
fi
CASTELLAN_BIN="$target/debug/castellan" python3 -m pytest -q -p no:cacheprovider tests/e2e

echo "== end-to-end (AWS SDK for Rust)"
# A workspace of its own, so the default build stays light.
(cd tests/sdk-rust && CASTELLAN_BIN="$target/debug/castellan" CARGO_TARGET_DIR="$target" cargo test --locked)
