#!/usr/bin/env bash
# A commune's quarterly draft saved under load, two builds side by side (docs/BENCHMARKS.md):
#
#   bench/put-ab.sh OLD_BINARY NEW_BINARY [ROUNDS]
#
# Uses the SQLite national dataset bench/http.sh builds (target/bench/national-sqlite; run that
# first). Each round starts the server with OLD_BINARY, then NEW_BINARY, on the same data, and
# runs `wrk -t2 -c16 -d10s` of the draft's PUT (the lua script bench/http.sh writes). Every save
# adds to the draft's history, so alternating rounds show each build against the same growth:
# the line says how many saves were on record before it.
set -euo pipefail
cd "$(dirname "$0")/.."
old="$1" new="$2" rounds="${3:-2}"
dir="$PWD/target/bench/national-sqlite"
[ -f "$dir/built" ] || { echo "no dataset in $dir: run bench/http.sh first"; exit 1; }
export SOHOA__PATHS__PLUGIN_DIR="$PWD/plugins"
unset SOHOA__DATABASE__URL
quarter="$(date +%Y)-Q$(( (10#$(date +%m) - 1) / 3 + 1 ))"
for _ in $(seq 1 "$rounds"); do
    for which in old new; do
        bin="$old"; [ "$which" = new ] && bin="$new"
        rm -f "$dir/ab.out"
        RUST_LOG=warn "$bin" --data-dir "$dir" serve --listen 127.0.0.1:0 >"$dir/ab.out" 2>/dev/null &
        pid=$!
        url=""
        for _ in $(seq 1 600); do
            url=$(sed -n 's/^sohoa listening on //p' "$dir/ab.out")
            [ -n "$url" ] && break
            sleep 0.01
        done
        cookie=$(curl -s -D - -o /dev/null -H 'content-type: application/json' \
            -d '{"username":"phucxa.xa","password":"Bench@QuocGia-2023"}' "$url/api/v1/auth/login" |
            sed -n 's/^set-cookie: \([^;]*\).*/\1/Ip')
        sed "s|^wrk.headers\[\"Cookie\"\].*|wrk.headers[\"Cookie\"] = \"$cookie\"|" "$dir/submit.lua" >"$dir/submit-ab.lua"
        saves=$(sqlite3 "$dir/sohoa.db" "SELECT COUNT(*) FROM audit_log WHERE entity = 'report_submission' AND action = 'save'")
        out=$(wrk -t2 -c16 -d10s --latency -s "$dir/submit-ab.lua" "$url/api/v1/units/00001/submissions/binh-dinh-bao-cao-quy/$quarter")
        echo "$which ($saves saves on record before): $(awk '/^Requests\/sec/ {print $2}' <<<"$out") requests/s," \
            "p50 $(awk '$1 == "50%" {print $2}' <<<"$out"), p99 $(awk '$1 == "99%" {print $2}' <<<"$out")," \
            "non-2xx $(awk '/Non-2xx/ {print $5}' <<<"$out")"
        kill "$pid"; wait "$pid" 2>/dev/null || true
    done
done
