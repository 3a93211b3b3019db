#!/usr/bin/env bash
# Castellan against moto: the same signed IAM/STS requests, the same fixtures, the same load
# generator, on this machine. Builds Castellan and castellan-loadgen (release), starts both
# servers on 127.0.0.1, sets up the fixtures on each with boto3, runs every workload against
# each server in turn (castellan, moto, castellan, moto, …) and prints a table.
#
#   bench/compare.sh
#
# Settings (environment):
#   DURATION=5            measured seconds per run
#   WARMUP=1              warm-up seconds per run (not counted)
#   ROUNDS=3              runs per server for each workload and concurrency (the table shows
#                         the median, and the range of Castellan's throughput)
#   CONCURRENCY="1 16 64" connections
#   WORKLOADS="get-user get-caller-identity assume-role"
#   LOADGEN_THREADS=1     threads of the load generator
#   SERVER_CPUS, LOADGEN_CPUS  CPU lists (taskset -c) for both servers and for the load generator;
#                         unset: wherever the scheduler puts them
#   CARGO_TARGET_DIR      where cargo builds (default: target/ in the repository)
#   RESULTS=DIR           where the JSON of every run goes (default: a new temporary directory)
#   SKIP_BUILD=1          use the binaries already built
#
# The requests are made as an IAM user (bench-caller) with an access key, an inline policy that
# allows them and an attached managed policy that denies other things, so Castellan evaluates
# its policies on every request. Both servers are stopped on exit, whatever happens.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DURATION="${DURATION:-5}"
WARMUP="${WARMUP:-1}"
ROUNDS="${ROUNDS:-3}"
CONCURRENCY="${CONCURRENCY:-1 16 64}"
WORKLOADS="${WORKLOADS:-get-user get-caller-identity assume-role}"
LOADGEN_THREADS="${LOADGEN_THREADS:-1}"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
RESULTS="${RESULTS:-$(mktemp -d "${TMPDIR:-/tmp}/castellan-bench.XXXXXX")}"
mkdir -p "$RESULTS"

ACCOUNT_ID=123456789012
ROOT_KEY_ID=AKIAIOSFODNN7EXAMPLE
ROOT_SECRET=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

log() { printf '[compare] %s\n' "$*" >&2; }

# --- build -------------------------------------------------------------------------------
if [[ -z "${SKIP_BUILD:-}" ]]; then
    log "building castellan and castellan-loadgen (release) into $TARGET_DIR"
    (cd "$ROOT" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release -p castellan -p castellan-loadgen)
fi
CASTELLAN="$TARGET_DIR/release/castellan"
LOADGEN="$TARGET_DIR/release/castellan-loadgen"
[[ -x "$CASTELLAN" && -x "$LOADGEN" ]] || { log "missing $CASTELLAN or $LOADGEN"; exit 1; }

# --- moto and boto3 ----------------------------------------------------------------------
if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import boto3' 2>/dev/null; then
    log "installing moto[server] and boto3 with pip"
    python3 -m pip install --quiet 'moto[server]' boto3
    hash -r
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_for_port() { # PORT PID NAME
    for _ in $(seq 1 300); do
        if ! kill -0 "$2" 2>/dev/null; then
            log "$3 exited during start-up"
            return 1
        fi
        if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' "$1" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    log "$3 did not start listening on port $1"
    return 1
}

CASTELLAN_PID=""
MOTO_PID=""
stop_servers() {
    for pid in $CASTELLAN_PID $MOTO_PID; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
}
trap stop_servers EXIT
trap 'exit 130' INT TERM

# --- start both servers --------------------------------------------------------------------
# taskset execs the command, so $! stays the server's own pid.
SERVER_PIN=() LOADGEN_PIN=()
[[ -n "${SERVER_CPUS:-}" ]] && SERVER_PIN=(taskset -c "$SERVER_CPUS")
[[ -n "${LOADGEN_CPUS:-}" ]] && LOADGEN_PIN=(taskset -c "$LOADGEN_CPUS")
CASTELLAN_PORT="$(free_port)"
CASTELLAN_ACCOUNT_ID=$ACCOUNT_ID CASTELLAN_ROOT_ACCESS_KEY_ID=$ROOT_KEY_ID CASTELLAN_ROOT_SECRET_ACCESS_KEY=$ROOT_SECRET \
    CASTELLAN_LOG=warn "${SERVER_PIN[@]}" "$CASTELLAN" serve --in-memory --listen "127.0.0.1:$CASTELLAN_PORT" \
    >"$RESULTS/castellan.log" 2>&1 &
CASTELLAN_PID=$!
wait_for_port "$CASTELLAN_PORT" "$CASTELLAN_PID" castellan

MOTO_PORT="$(free_port)"
# `python3 -m moto.server` is what the moto_server script runs; started this way, $! is the
# server process itself (whose CPU time is measured), not a wrapper.
"${SERVER_PIN[@]}" python3 -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$RESULTS/moto.log" 2>&1 &
MOTO_PID=$!
wait_for_port "$MOTO_PORT" "$MOTO_PID" moto
log "castellan pid $CASTELLAN_PID on 127.0.0.1:$CASTELLAN_PORT; moto $(python3 -c 'import moto; print(moto.__version__)') pid $MOTO_PID on 127.0.0.1:$MOTO_PORT"

# --- fixtures ----------------------------------------------------------------------------
# Prints "ACCESS_KEY_ID SECRET ROLE_ARN" of the calling user on one endpoint.
fixtures() { # ENDPOINT
    python3 - "$1" "$ROOT_KEY_ID" "$ROOT_SECRET" <<'PY'
import json, sys
import boto3

endpoint, key_id, secret = sys.argv[1:4]
def client(service, key, secret, token=None):
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token)

iam = client("iam", key_id, secret)
iam.create_user(UserName="bench-user", Path="/bench/")
caller = iam.create_user(UserName="bench-caller")["User"]
role = iam.create_role(
    RoleName="bench-role",
    AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": caller["Arn"]}, "Action": "sts:AssumeRole"}],
    }),
)["Role"]
account = caller["Arn"].split(":")[4]
# What the caller may do: read users under /bench/ and assume the bench role.
iam.put_user_policy(UserName="bench-caller", PolicyName="bench", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["iam:GetUser", "iam:ListUsers"],
         "Resource": f"arn:aws:iam::{account}:user/bench/*"},
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role["Arn"]},
    ],
}))
# And a managed policy with a Deny that does not match these requests (still evaluated).
guard = iam.create_policy(PolicyName="bench-guardrail", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Deny", "Action": ["iam:Delete*", "iam:Put*", "iam:Attach*"], "Resource": "*"},
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": f"arn:aws:iam::{account}:user/${{aws:username}}"},
    ],
}))["Policy"]
iam.attach_user_policy(UserName="bench-caller", PolicyArn=guard["Arn"])
key = iam.create_access_key(UserName="bench-caller")["AccessKey"]

# The three requests succeed as that user.
user_iam = client("iam", key["AccessKeyId"], key["SecretAccessKey"])
user_sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
assert user_iam.get_user(UserName="bench-user")["User"]["UserName"] == "bench-user"
assert user_sts.get_caller_identity()["Arn"] == caller["Arn"], user_sts.get_caller_identity()
user_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="check")
print(key["AccessKeyId"], key["SecretAccessKey"], role["Arn"])
PY
}

read -r C_KEY C_SECRET C_ROLE < <(fixtures "http://127.0.0.1:$CASTELLAN_PORT")
read -r M_KEY M_SECRET M_ROLE < <(fixtures "http://127.0.0.1:$MOTO_PORT")
[[ -n "${C_ROLE:-}" && -n "${M_ROLE:-}" ]] || { log "fixtures failed"; exit 1; }
log "fixtures ready: bench-user, bench-caller (key, inline + managed policy), bench-role"

# --- runs --------------------------------------------------------------------------------
run_one() { # SERVER WORKLOAD CONNS ROUND
    local server=$1 workload=$2 conns=$3 round=$4 port key secret role pid
    if [[ $server == castellan ]]; then
        port=$CASTELLAN_PORT key=$C_KEY secret=$C_SECRET role=$C_ROLE pid=$CASTELLAN_PID
    else
        port=$MOTO_PORT key=$M_KEY secret=$M_SECRET role=$M_ROLE pid=$MOTO_PID
    fi
    local extra=()
    case $workload in
        get-user) extra=(--user-name bench-user) ;;
        assume-role) extra=(--role-arn "$role") ;;
    esac
    local out="$RESULTS/$workload-c$conns-r$round-$server.json"
    "${LOADGEN_PIN[@]}" "$LOADGEN" --endpoint "http://127.0.0.1:$port" --access-key-id "$key" --secret-access-key "$secret" \
        --operation "$workload" "${extra[@]}" --concurrency "$conns" --duration "$DURATION" --warmup "$WARMUP" \
        --threads "$LOADGEN_THREADS" --server-pid "$pid" --json >"$out" || true
    python3 - "$out" "$server" "$workload" "$conns" "$round" <<'PY' >&2
import json, sys
path, server, workload, conns, rnd = sys.argv[1:]
try:
    r = json.load(open(path))
except Exception as e:
    print(f"[compare] {workload} c={conns} round {rnd} {server}: no report ({e})")
    sys.exit(0)
cpu = r.get("server_cpu_us_per_request")
print(f"[compare] {workload:<20} c={conns:<3} round {rnd} {server:<9} {r['throughput_rps']:>10.1f} req/s"
      f"  p50 {r['latency_ms']['p50']:.3f} ms  p99 {r['latency_ms']['p99']:.3f} ms"
      f"  server {cpu if cpu is None else round(cpu, 1)} µs/req  errors {r['errors']}")
PY
}

for workload in $WORKLOADS; do
    for conns in $CONCURRENCY; do
        for round in $(seq 1 "$ROUNDS"); do
            run_one castellan "$workload" "$conns" "$round"
            run_one moto "$workload" "$conns" "$round"
        done
    done
done

# --- table -------------------------------------------------------------------------------
python3 - "$RESULTS" "$WORKLOADS" "$CONCURRENCY" "$ROUNDS" "$DURATION" <<'PY'
import json, os, statistics, sys

results, workloads, concurrency, rounds, duration = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4]), sys.argv[5]
names = {"get-user": "GetUser", "get-caller-identity": "GetCallerIdentity", "assume-role": "AssumeRole"}

def load(workload, conns, server):
    out = []
    for r in range(1, rounds + 1):
        try:
            with open(os.path.join(results, f"{workload}-c{conns}-r{r}-{server}.json")) as f:
                out.append(json.load(f))
        except (OSError, ValueError):
            pass
    return out

def summary(reports):
    if not reports:
        return None
    median = lambda key: statistics.median(key(r) for r in reports)
    cpu = [r["server_cpu_us_per_request"] for r in reports if r.get("server_cpu_us_per_request") is not None]
    return {
        "rps": median(lambda r: r["throughput_rps"]),
        "rps_min": min(r["throughput_rps"] for r in reports),
        "rps_max": max(r["throughput_rps"] for r in reports),
        "p50": median(lambda r: r["latency_ms"]["p50"]),
        "p99": median(lambda r: r["latency_ms"]["p99"]),
        "cpu": statistics.median(cpu) if cpu else None,
        "errors": sum(r["errors"] for r in reports),
        "first_error": next((r["first_error"] for r in reports if r.get("first_error")), None),
    }

def num(v, fmt):
    return "-" if v is None else format(v, fmt)

header = ["operation", "conns", "castellan req/s", "(range)", "moto req/s", "ratio",
          "castellan p50 / p99 ms", "moto p50 / p99 ms", "castellan CPU µs/req", "moto CPU µs/req", "CPU ratio"]
rows, min_ratio, assume_best, problems = [], None, None, []
for workload in workloads:
    for conns in concurrency:
        c, m = summary(load(workload, conns, "castellan")), summary(load(workload, conns, "moto"))
        ratio = c["rps"] / m["rps"] if c and m and m["rps"] > 0 else None
        cpu_ratio = m["cpu"] / c["cpu"] if c and m and c["cpu"] and m["cpu"] else None
        if ratio is not None:
            min_ratio = ratio if min_ratio is None else min(min_ratio, ratio)
        if workload == "assume-role" and c:
            assume_best = max(assume_best or 0, c["rps"])
        for server, s in (("castellan", c), ("moto", m)):
            if s is None:
                problems.append(f"{names.get(workload, workload)} c={conns} {server}: no result")
            elif s["errors"]:
                problems.append(f"{names.get(workload, workload)} c={conns} {server}: {s['errors']} errors; first: {(s['first_error'] or '')[:300]}")
        rows.append([
            names.get(workload, workload), conns,
            num(c and c["rps"], ",.0f"),
            f"{c['rps_min']:,.0f}–{c['rps_max']:,.0f}" if c else "-",
            num(m and m["rps"], ",.0f"), num(ratio, ".0f") + ("×" if ratio else ""),
            f"{num(c and c['p50'], '.3f')} / {num(c and c['p99'], '.3f')}" if c else "-",
            f"{num(m and m['p50'], '.2f')} / {num(m and m['p99'], '.2f')}" if m else "-",
            num(c and c["cpu"], ".1f"), num(m and m["cpu"], ".0f"), num(cpu_ratio, ".0f") + ("×" if cpu_ratio else ""),
        ])

widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
line = lambda cells: "| " + " | ".join(str(x).rjust(w) if i > 1 else str(x).ljust(w) for i, (x, w) in enumerate(zip(cells, widths))) + " |"
print()
print(f"Castellan vs moto — {rounds} round(s) of {duration} s per server, alternating; median of the rounds")
if os.environ.get("SERVER_CPUS") or os.environ.get("LOADGEN_CPUS"):
    print(f"pinned: servers on CPU(s) {os.environ.get('SERVER_CPUS') or 'any'}, load generator on CPU(s) {os.environ.get('LOADGEN_CPUS') or 'any'}")
print(line(header))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for row in rows:
    print(line(row))
print()
print("ratio: Castellan's throughput over moto's. CPU ratio: moto's server CPU per request over Castellan's.")
if min_ratio is not None:
    print(f"Target ≥ 50× moto's throughput in every row: {'met' if min_ratio >= 50 else 'MISSED'} (lowest {min_ratio:.0f}×)")
if assume_best is not None:
    print(f"Target AssumeRole ≥ 5,000/s: {'met' if assume_best >= 5000 else 'MISSED'} (best {assume_best:,.0f}/s)")
for p in problems:
    print("problem:", p)
print(f"raw reports: {results}")
PY
