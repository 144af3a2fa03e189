#!/usr/bin/env bash
# A province's home page computed again after each change, two builds side by side
# (docs/BENCHMARKS.md):
#
#   bench/home-ab.sh OLD_BINARY NEW_BINARY [ROUNDS] [EDITS]
#   SOHOA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/sohoa_bench bench/home-ab.sh OLD NEW
#
# Uses the national dataset bench/http.sh builds (run that first, on the same backend). Each
# round starts the server with OLD_BINARY, then NEW_BINARY, on the same data; a commune officer
# edits its team EDITS times (default 20), and after each edit Hà Nội's home page is requested
# alone: the scope version moved, so that request computes the page (summary, short lists,
# communes without a team). The line gives the median and the slowest of those requests.
set -euo pipefail
cd "$(dirname "$0")/.."
old="$1" new="$2" rounds="${3:-2}" edits="${4:-20}"
. bench/ab-lib.sh
ab_dataset

for _ in $(seq 1 "$rounds"); do
    for which in old new; do
        bin="$old"; [ "$which" = new ] && bin="$new"
        ab_serve "$bin"
        commune=$(ab_login phucxa.xa)
        province=$(ab_login hanoi.admin)
        team=$(curl -s -b "$commune" "$url/api/v1/teams?unit=00001&per_page=1" | sed -n 's/.*"items":\[{"id":\([0-9]*\).*/\1/p')
        # The first computation (connections, plugins) is not counted.
        curl -s -o /dev/null -b "$province" "$url/home"
        times=()
        for i in $(seq 1 "$edits"); do
            signer=$([ $((i % 2)) = 0 ] && echo "Nguyễn Văn Hùng" || echo "Trần Văn Hùng")
            curl -sf -o /dev/null -b "$commune" -X PATCH -H 'content-type: application/json' \
                -d "{\"decision_signer\":\"$signer\"}" "$url/api/v1/teams/$team"
            times+=("$(curl -s -o /dev/null -w '%{time_total}' -b "$province" "$url/home")")
        done
        sorted=$(printf '%s\n' "${times[@]}" | sort -n)
        median=$(sed -n "$(((edits + 1) / 2))p" <<<"$sorted")
        echo "$which: Hà Nội's home page after an edit, $edits edits: median ${median} s, slowest $(tail -1 <<<"$sorted") s"
        ab_stop
    done
done
