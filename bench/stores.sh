#!/usr/bin/env bash
# Policy-checked GetUser and CreateUser throughput on SQLite and on PostgreSQL, and the
# cross-node visibility delay on PostgreSQL. Traffic only to 127.0.0.1.
#   bench/stores.sh        # DURATION=5 CONCURRENCY=16; needs PostgreSQL at 127.0.0.1:5432
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --locked -q -p castellan -p castellan-loadgen
bin="$target/release/castellan"; load="$target/release/castellan-loadgen"
DURATION="${DURATION:-5}"; CONCURRENCY="${CONCURRENCY:-16}"
export CASTELLAN_ACCOUNT_ID=123456789012 CASTELLAN_ROOT_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE \
  CASTELLAN_ROOT_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY CASTELLAN_LOG=warn
export CASTELLAN_MASTER_KEY="$(head -c 32 /dev/urandom | base64)"
db="castellan_bench_$$"
work="$(mktemp -d)"; pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; psql -X -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

run() { # name, serve args...
  local name="$1"; shift
  "$bin" serve --listen 127.0.0.1:0 "$@" > "$work/$name.out" 2>&1 & pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/$name.out" && break; sleep 0.1; done
  local ep; ep="$(grep -o 'http://[0-9.:]*' "$work/$name.out" | head -1)"
  python3 - "$ep" > "$work/keys" <<'PY'
import sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
iam.create_user(UserName="bench-user")
iam.attach_user_policy(UserName="bench-user", PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
k = iam.create_access_key(UserName="bench-user")["AccessKey"]
print(k["AccessKeyId"], k["SecretAccessKey"])
PY
  read -r key secret < "$work/keys"
  for op in get-user create-user; do
    echo "--- $name: $op (as an IAM user, policy-checked), $CONCURRENCY connections"
    "$load" --endpoint "$ep" --access-key-id "$key" --secret-access-key "$secret" --operation "$op" \
      --user-name bench-user --concurrency "$CONCURRENCY" --duration "$DURATION" --warmup 1 --server-pid "$pid" \
      | grep -E "throughput|latency|server CPU|requests"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

run sqlite --data-dir "$work/sqlite"
psql -X -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $db"
run postgres --data-dir "$work/pg" --database-url "postgres://postgres@127.0.0.1:5432/$db"
echo "--- cross-node visibility (PostgreSQL, two nodes)"
python3 bench/visibility.py --bin "$bin" --database-url "postgres://postgres@127.0.0.1:5432/$db" --trials "${TRIALS:-200}"
