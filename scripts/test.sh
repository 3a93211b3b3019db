#!/usr/bin/env bash
# The project's test command: unit and crate tests, then the end-to-end suite that drives a
# real `castellan serve` with the aws CLI and boto3.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"

# PostgreSQL for the store's PostgreSQL tests and the multi-node end-to-end tests: a fresh
# database for this run, dropped at the end. CASTELLAN_TEST_DATABASE_URL, when already set,
# is used as it is. Without PostgreSQL those tests skip, except under CI=true, where they fail.
# The server is reached with psql's usual settings (PGHOST, PGPORT, PGUSER, PGDATABASE;
# here 127.0.0.1:5432, user postgres, trust auth, maintenance database `test`).
if [ -z "${CASTELLAN_TEST_DATABASE_URL:-}" ]; then
  pg_host="${PGHOST:-127.0.0.1}" pg_port="${PGPORT:-5432}" pg_user="${PGUSER:-postgres}"
  pg_admin=(psql -X -q -v ON_ERROR_STOP=1 -h "$pg_host" -p "$pg_port" -U "$pg_user" -d "${PGDATABASE:-test}")
  if command -v psql >/dev/null && "${pg_admin[@]}" -tAc 'SELECT 1' >/dev/null 2>&1; then
    test_db="castellan_ci_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    "${pg_admin[@]}" -c "CREATE DATABASE $test_db"
    drop_test_db() { "${pg_admin[@]}" -c "DROP DATABASE IF EXISTS $test_db WITH (FORCE)" >/dev/null || true; }
    trap drop_test_db EXIT
    export CASTELLAN_TEST_DATABASE_URL="postgres://$pg_user@$pg_host:$pg_port/$test_db"
    echo "== PostgreSQL test database: $test_db (dropped at the end)"
  else
    echo "== PostgreSQL is not reachable at $pg_host:$pg_port: its tests will be skipped (and fail under CI=true)"
  fi
fi

# Every suite runs even when an earlier one fails; the failures are listed at the end and the
# script then exits non-zero. Only a failed build stops it: nothing after could run.
failed=()
step() {
  local name="$1"
  shift
  echo "== $name"
  if ! "$@"; then
    failed+=("$name")
    echo "== $name: FAILED"
  fi
}

echo "== cargo build"
cargo build --locked --bin castellan

step "cargo test" cargo test --locked --workspace

# The end-to-end suite's Python packages live in a virtual environment inside the checkout
# (tests/e2e/.venv, ignored by git), never in the machine's Python; it sees the machine's
# packages, so what is installed already is not downloaded again.
venv="$PWD/tests/e2e/.venv"
e2e_python() {
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv --system-site-packages "$venv"
  fi
  if ! "$venv/bin/python" -c "import boto3, pytest, awscli, pyotp, playwright, jwt, cryptography, signxml" 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet -r tests/e2e/requirements.txt
  fi
}
e2e() {
  e2e_python && CASTELLAN_BIN="$target/debug/castellan" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/e2e
}
step "end-to-end (aws CLI, boto3)" e2e

# A workspace of its own, so the default build stays light.
sdk_rust() {
  # web_identity.rs runs the e2e suite's OIDC issuer (tests/e2e/oidc_issuer.py) with its Python.
  e2e_python && (cd tests/sdk-rust && CASTELLAN_BIN="$target/debug/castellan" CARGO_TARGET_DIR="$target" cargo test --locked)
}
step "end-to-end (AWS SDK for Rust)" sdk_rust

# Terraform's AWS provider comes from a local filesystem mirror (CASTELLAN_TF_PLUGIN_MIRROR,
# default /opt/tf-plugins), never from the network; the suite skips without terraform or the
# mirror.
terraform_suite() {
  if command -v "${TERRAFORM:-terraform}" >/dev/null; then
    e2e_python && CASTELLAN_BIN="$target/debug/castellan" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/terraform
  else
    echo "terraform is not installed: skipping the Terraform suite (tests/terraform)"
  fi
}
step "end-to-end (Terraform, hashicorp/aws)" terraform_suite

sdk_js() {
  if command -v node >/dev/null && command -v npm >/dev/null; then
    (cd tests/sdk-js && npm ci --no-audit --no-fund && CASTELLAN_BIN="$target/debug/castellan" node --test)
  else
    echo "node or npm is not installed: skipping the AWS SDK for JavaScript suite (tests/sdk-js)"
  fi
}
step "end-to-end (AWS SDK for JavaScript v3)" sdk_js

if [ "${#failed[@]}" -ne 0 ]; then
  echo "== FAILED: ${failed[*]}"
  exit 1
fi
echo "== all suites passed"
