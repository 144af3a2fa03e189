#!/usr/bin/env bash
# One request under load, two builds side by side (docs/BENCHMARKS.md):
#
#   bench/load-ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [USER] [PATH]
#   SOHOA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/sohoa_bench bench/load-ab.sh OLD NEW
#
# Uses the national dataset bench/http.sh builds (run that first, on the same backend). Each
# round starts the server with OLD_BINARY, then NEW_BINARY, on the same data, signs in as USER
# (default badinh.vhtt, Ba Đình's culture office) and runs `wrk -t2 -c16 -d10s` of PATH
# (default the district's team list, /api/v1/teams?unit=001). Besides throughput and latency it
# prints the server's CPU time (user + system) per request: on a machine whose load moves by
# 10-20% between runs, the work a request costs is the steadier figure.
set -euo pipefail
cd "$(dirname "$0")/.."
old="$1" new="$2" rounds="${3:-2}" user="${4:-badinh.vhtt}" path="${5:-/api/v1/teams?unit=001}"
. bench/ab-lib.sh
ab_dataset

for _ in $(seq 1 "$rounds"); do
    for which in old new; do
        bin="$old"; [ "$which" = new ] && bin="$new"
        ab_serve "$bin"
        cookie=$(ab_login "$user")
        curl -s -o /dev/null -H "Cookie: $cookie" "$url$path"
        cpu_before=$(ab_cpu_ticks)
        out=$(wrk -t2 -c16 -d10s --latency -H "Cookie: $cookie" "$url$path")
        cpu_after=$(ab_cpu_ticks)
        requests=$(awk '/requests in/ {print $1}' <<<"$out")
        echo "$which: $(awk '/^Requests\/sec/ {print $2}' <<<"$out") requests/s," \
            "p50 $(awk '$1 == "50%" {print $2}' <<<"$out"), p99 $(awk '$1 == "99%" {print $2}' <<<"$out")," \
            "server CPU $(ab_cpu_per_request "$cpu_before" "$cpu_after" "$requests") ms/request," \
            "non-2xx $(awk '/Non-2xx/ {print $5}' <<<"$out")"
        ab_stop
    done
done
