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
. bench/ab-lib.sh
# SQLite's dataset: the saves on record are counted with sqlite3.
SOHOA_BENCH_POSTGRES_URL="" ab_dataset
quarter="$(date +%Y)-Q$(( (10#$(date +%m) - 1) / 3 + 1 ))"
for _ in $(seq 1 "$rounds"); do
    for which in old new; do
        bin="$old"; [ "$which" = new ] && bin="$new"
        ab_serve "$bin"
        cookie=$(ab_login phucxa.xa)
        sed "s|^wrk.headers\[\"Cookie\"\].*|wrk.headers[\"Cookie\"] = \"$cookie\"|" "$dir/submit.lua" >"$dir/submit-ab.lua"
        saves=$(sqlite3 "$dir/sohoa.db" "SELECT COUNT(*) FROM audit_log WHERE entity = 'report_submission' AND action = 'save'")
        out=$(wrk -t2 -c16 -d10s --latency -s "$dir/submit-ab.lua" "$url/api/v1/units/00001/submissions/binh-dinh-bao-cao-quy/$quarter")
        echo "$which ($saves saves on record before): $(awk '/^Requests\/sec/ {print $2}' <<<"$out") requests/s," \
            "p50 $(awk '$1 == "50%" {print $2}' <<<"$out"), p99 $(awk '$1 == "99%" {print $2}' <<<"$out")," \
            "non-2xx $(awk '/Non-2xx/ {print $5}' <<<"$out")"
        ab_stop
    done
done
