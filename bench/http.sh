#!/usr/bin/env bash
# HTTP benchmarks on the national dataset (issue 15; figures in docs/BENCHMARKS.md).
#
#   bench/http.sh                       # SQLite, data directory target/bench/national-sqlite
#   SOHOA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/sohoa_bench bench/http.sh
#
# 1. Builds the release binary and, once (kept between runs), the national dataset:
#    `sohoa national-dataset` (74,422 teams, 348,362 members, a year of quarterly reports), timed.
# 2. Start-up to ready: from starting `sohoa serve` to the answer of the first composition
#    check (which needs the compiled plugin), with the compile cache emptied (cold), then kept
#    (warm).
# 3. Loads each page over loopback with wrk (2 threads, BENCH_CONNECTIONS connections,
#    BENCH_SECONDS seconds each), signed in as the dataset's accounts: requests/s, p50, p99.
# 4. The server's RSS: idle after start-up, and its peak (VmHWM) after the loads.
#
# wrk runs on the same 2 cores as the server: the figures are a floor, compare ratios.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${BENCH_SECONDS:-10}"
CONNECTIONS="${BENCH_CONNECTIONS:-16}"
PASSWORD='Bench@QuocGia-2023'

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked --bin sohoa
bin="$PWD/target/release/sohoa"
# The bundled plugins, as the tests build them.
export SOHOA__PATHS__PLUGIN_DIR="$PWD/plugins"
unset SOHOA__DATABASE__URL

if [ -n "${SOHOA_BENCH_POSTGRES_URL:-}" ]; then
    backend=postgres
    dir="$PWD/target/bench/national-postgres"
    export SOHOA__DATABASE__URL="$SOHOA_BENCH_POSTGRES_URL"
else
    backend=sqlite
    dir="$PWD/target/bench/national-sqlite"
fi
mkdir -p "$dir"
echo "== national dataset on $backend ($dir)"
if [ ! -f "$dir/built" ]; then
    if [ "$backend" = postgres ]; then
        db="${SOHOA_BENCH_POSTGRES_URL##*/}"
        base="${SOHOA_BENCH_POSTGRES_URL%/*}"
        psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    else
        rm -f "$dir"/sohoa.db*
    fi
    /usr/bin/time -f 'built in %e s, peak RSS %M KiB' \
        "$bin" --data-dir "$dir" national-dataset --shared-data "$PWD/../shared/data" | tee "$dir/dataset.txt"
    touch "$dir/built"
else
    cat "$dir/dataset.txt"
fi

now_ms() { date +%s%3N; }
pid=""
stop() {
    if [ -n "$pid" ]; then
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        pid=""
    fi
}
trap stop EXIT

# Starts the server; sets $pid and $url.
serve() {
    rm -f "$dir/serve.out"
    RUST_LOG=warn "$bin" --data-dir "$dir" serve --listen 127.0.0.1:0 >"$dir/serve.out" 2>"$dir/serve.err" &
    pid=$!
    for _ in $(seq 1 600); do
        url=$(sed -n 's/^sohoa listening on //p' "$dir/serve.out")
        [ -n "$url" ] && return 0
        sleep 0.01
    done
    echo "the server did not start"; cat "$dir/serve.err"; exit 1
}

cookie() {
    curl -s -D - -o /dev/null -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" "$url/api/v1/auth/login" |
        sed -n 's/^set-cookie: \([^;]*\).*/\1/Ip'
}

rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

echo "== start-up to ready (first composition check answered)"
for cache in cold warm; do
    [ "$cache" = cold ] && rm -rf "$dir/plugin-cache"
    start=$(now_ms)
    serve
    listening=$(now_ms)
    admin=$(cookie phucxa.xa)
    team=$(curl -s -b "$admin" "$url/api/v1/teams?unit=00001&per_page=1" | sed -n 's/.*"items":\[{"id":\([0-9]*\).*/\1/p')
    curl -sf -o /dev/null -b "$admin" -X POST -H 'content-type: application/json' -d '{}' "$url/api/v1/teams/$team/check"
    ready=$(now_ms)
    echo "start-up, $cache compile cache: listening after $((listening - start)) ms, first check answered after $((ready - start)) ms (sign-in included)"
    [ "$cache" = cold ] && stop
done
sleep 2
echo "RSS idle: $(rss_kib "$pid" VmRSS) KiB"

district=$(cookie badinh.vhtt)
province=$(cookie hanoi.admin)
country=$(cookie quocgia.xem)
commune=$(cookie phucxa.xa)
quarter="$(date +%Y)-Q$(( (10#$(date +%m) - 1) / 3 + 1 ))"
cat >"$dir/submit.lua" <<EOF
wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "$commune"
local n = 0
request = function()
    n = n + 1
    return wrk.format(nil, nil, nil, '{"figures":{"ho_duoc_huong_dan":' .. (n % 900) .. ',"tk_vneid":40,"tk_dvc":12}}')
end
EOF

load() { # name cookie path [lua]
    local name="$1" jar="$2" path="$3" script=()
    [ -n "${4:-}" ] && script=(-s "$4")
    # One request first, timed alone: a page computed on its first load (scope pages are then
    # kept until the data changes) is measured here, the steady state under wrk.
    local first="-"
    if [ -z "${4:-}" ]; then
        first=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $jar" "$url$path")
    fi
    local out
    out=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency -H "Cookie: $jar" "${script[@]}" "$url$path")
    local rps p50 p99 non2xx bytes
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$out")
    bytes=$(curl -s -o /dev/null -w '%{size_download}' -H "Cookie: $jar" "$url$path")
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$first" "$rps" "$p50" "$p99" "${non2xx:-0}" "$bytes"
}

echo "== under load: wrk -t2 -c$CONNECTIONS -d${SECONDS_EACH}s on $backend"
echo "| request | first request alone (s) | requests/s | p50 | p99 | non-2xx | bytes |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
load "district team list, API (Ba Đình, 14 wards)" "$district" "/api/v1/teams?unit=001"
load "district team list, page" "$district" "/teams?unit=001"
load "province home page (Hà Nội)" "$province" "/home"
load "province dashboard (Hà Nội)" "$province" "/dashboard"
load "country home page (63 provinces)" "$country" "/home"
load "country dashboard" "$country" "/dashboard"
# Scope pages are kept until the data under them changes (host/src/teams/scope_cache.rs): the
# loads above read pages of an unchanging dataset. Here a commune officer edits its team once a
# second meanwhile, so each edit makes the next request compute the page again.
rm -f "$dir/edits.txt"
commune_team=$(curl -s -b "$commune" "$url/api/v1/teams?unit=00001&per_page=1" | sed -n 's/.*"items":\[{"id":\([0-9]*\).*/\1/p')
(
    i=0
    while :; do
        i=$((i + 1))
        signer=$([ $((i % 2)) = 0 ] && echo "Nguyễn Văn Hùng" || echo "Trần Văn Hùng")
        curl -s -o /dev/null -w '%{http_code}\n' -b "$commune" -X PATCH -H 'content-type: application/json' \
            -d "{\"decision_signer\":\"$signer\"}" "$url/api/v1/teams/$commune_team" >>"$dir/edits.txt"
        sleep 1
    done
) &
editor=$!
load "province home page (Hà Nội), a team edited every second" "$province" "/home"
load "country home page, a team edited every second" "$country" "/home"
kill "$editor"; wait "$editor" 2>/dev/null || true
echo "team edits meanwhile, by status: $(sort "$dir/edits.txt" | uniq -c | tr -s ' \n' ' ')"
load "a commune saves its quarterly draft (PUT)" "$commune" "/api/v1/units/00001/submissions/binh-dinh-bao-cao-quy/$quarter" "$dir/submit.lua"
echo "RSS after the loads: $(rss_kib "$pid" VmRSS) KiB now, $(rss_kib "$pid" VmHWM) KiB peak"
