#!/usr/bin/env bash
# Holds the running API to its own OpenAPI document: schemathesis generates requests from
# /api/v1/openapi.json (valid and invalid ones) and checks every answer's status code, body
# schema and Content-Type against what the document declares. Any failure fails CI.
#
# Usage: .ci/fuzz-openapi.sh [PORT]   (needs the sohoa binary buildable and ../shared/data)
# Bounded: at most FUZZ_EXAMPLES cases per operation, FUZZ_SECONDS for the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${1:-18089}"
examples="${FUZZ_EXAMPLES:-20}"
seconds="${FUZZ_SECONDS:-150}"
base="http://127.0.0.1:$port"
checks="status_code_conformance,content_type_conformance,response_schema_conformance,not_a_server_error"

if ! python3 -m schemathesis.cli --version >/dev/null 2>&1; then
    # Debian's own Python refuses pip without this flag; CI's throwaway machine does not mind.
    python3 -m pip install -q schemathesis || python3 -m pip install -q --break-system-packages schemathesis
fi
python3 -m schemathesis.cli --version

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Build first so that the server's start-up wait below does not include compiling.
cargo build -q --locked --bin sohoa
cargo run -q --locked --bin sohoa -- demo --listen "127.0.0.1:$port" --data-dir "$work/data" \
    >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
    curl -fsS "$base/health" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "the demo server stopped" >&2; exit 1; }
    sleep 1
done
curl -fsS "$base/health" >/dev/null

# A bearer token per role keeps the fuzzer signed in. All are minted before any fuzzing: the
# fuzzer's own wrong passwords (sign-in, token minting) soon lock accounts and the address.
token_of() {
    curl -fsS -c "$work/jar-$1" -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"Demo@TaySon-2022\"}" "$base/api/v1/auth/login" >/dev/null
    curl -fsS -b "$work/jar-$1" -H 'content-type: application/json' \
        -d '{"name":"openapi fuzzer","expires_in_days":1,"password":"Demo@TaySon-2022"}' "$base/api/v1/auth/tokens" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
# A provincial administrator reaches every operation.
token="$(token_of tinh.admin)"
officer_token="$(token_of binhtuong.xa)"
viewer_token="$(token_of tayson.xem)"

# fuzz SECONDS [FILTER...]: one bounded run; `timeout` stops it if schemathesis overruns.
fuzz() {
    local budget="$1"
    shift
    timeout --kill-after=10 "$((budget + 60))" python3 -m schemathesis.cli run "$base/api/v1/openapi.json" \
        --checks "${FUZZ_CHECKS:-$checks}" \
        --phases examples,coverage,fuzzing \
        --max-examples "$examples" \
        --max-time "$budget" \
        --seed 20251001 \
        --workers 2 \
        --request-timeout 20 \
        --generation-database none \
        --no-color \
        "$@"
}

# Signing out, revoking tokens, removing roles and changing accounts can take the fuzzer's own
# access away part way through (every later answer a correct but useless 401 or 403), so
# those operations run last, on their own.
last='^/api/v1/(auth/logout|auth/tokens/\{id\}|users/\{id\}|users/\{id\}/roles/\{role_id\})$'
# First as two narrower roles, with one more check (.ci/fuzz_scope.py): no answer holds an
# object outside the caller's scope, and the viewer never gets personal data. These run before
# the administrator's pass, which hands out roles at random and would widen their scope.
role_seconds="${FUZZ_ROLE_SECONDS:-45}"
status=0
SCHEMATHESIS_HOOKS=fuzz_scope PYTHONPATH=.ci SOHOA_SCOPE_PREFIXES=21835 SOHOA_SCOPE_ANCESTORS=52,547 \
    FUZZ_CHECKS="$checks,no_scope_leak" fuzz "$role_seconds" --header "Authorization: Bearer $officer_token" \
    --exclude-path-regex "$last" | tee "$work/officer.log" || status=$?
if [ "$status" -eq 0 ]; then
    SCHEMATHESIS_HOOKS=fuzz_scope PYTHONPATH=.ci SOHOA_SCOPE_PREFIXES=218 SOHOA_SCOPE_ANCESTORS=52,547 \
        SOHOA_NO_PERSONAL=1 \
        FUZZ_CHECKS="$checks,no_scope_leak" fuzz "$role_seconds" --header "Authorization: Bearer $viewer_token" \
        --exclude-path-regex "$last" | tee "$work/viewer.log" || status=$?
fi

if [ "$status" -eq 0 ]; then
    fuzz "$seconds" --header "Authorization: Bearer $token" --exclude-path-regex "$last" | tee "$work/main.log" || status=$?
fi
if [ "$status" -eq 0 ]; then
    fuzz "$((seconds / 3 + 1))" --header "Authorization: Bearer $token" --include-path-regex "$last" |
        tee "$work/last.log" || status=$?
fi

# schemathesis ends with "Test cases:" and a count line; keep those of each run.
summary="$(grep -h -A1 '^Test cases:' "$work"/main.log "$work"/last.log "$work"/officer.log "$work"/viewer.log 2>/dev/null | grep -v '^--' | tr -s ' \n' ' ' || true)"
if [ "$status" -ne 0 ]; then
    echo "openapi fuzz: FAILED (exit $status): $summary" >&2
    tail -n 40 "$work/server.log" >&2
    exit "$status"
fi
echo "openapi fuzz: 0 failures against the document and the scope check (as province admin, commune officer, viewer; at most $examples examples per operation): $summary"
