# Shared by the side-by-side scripts (bench/*-ab.sh): sourced, not run. Each round starts one
# build on the national dataset bench/http.sh left, signs in, measures, and stops it.

# Picks the dataset of the backend SOHOA_BENCH_POSTGRES_URL names (SQLite when unset): sets
# $dir and the server's environment; stops when bench/http.sh has not built it.
ab_dataset() {
    export SOHOA__PATHS__PLUGIN_DIR="$PWD/plugins"
    if [ -n "${SOHOA_BENCH_POSTGRES_URL:-}" ]; then
        dir="$PWD/target/bench/national-postgres"
        export SOHOA__DATABASE__URL="$SOHOA_BENCH_POSTGRES_URL"
    else
        dir="$PWD/target/bench/national-sqlite"
        unset SOHOA__DATABASE__URL
    fi
    [ -f "$dir/built" ] || { echo "no dataset in $dir: run bench/http.sh first"; exit 1; }
}

# Starts `$1 serve` on the dataset; sets $pid and $url.
ab_serve() {
    rm -f "$dir/ab.out"
    RUST_LOG=warn "$1" --data-dir "$dir" serve --listen 127.0.0.1:0 >"$dir/ab.out" 2>/dev/null &
    pid=$!
    url=""
    for _ in $(seq 1 600); do
        url=$(sed -n 's/^sohoa listening on //p' "$dir/ab.out")
        [ -n "$url" ] && return 0
        sleep 0.01
    done
    echo "the server did not start"; exit 1
}

# Signs in as the dataset's account $1; prints the session cookie.
ab_login() {
    curl -s -D - -o /dev/null -H 'content-type: application/json' \
        -d "{\"username\":\"$1\",\"password\":\"Bench@QuocGia-2023\"}" "$url/api/v1/auth/login" |
        sed -n 's/^set-cookie: \([^;]*\).*/\1/Ip'
}

# Stops the server ab_serve started.
ab_stop() {
    kill "$pid"; wait "$pid" 2>/dev/null || true
}

# The server's CPU time so far (user + system, in clock ticks: /proc/PID/stat fields 14, 15).
ab_cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$pid/stat"
}

# Milliseconds of server CPU per request between two ab_cpu_ticks readings: $1 $2 ticks, $3 requests.
ab_cpu_per_request() {
    awk -v a="$1" -v b="$2" -v n="$3" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f", (b - a) * 1000 / hz / n }'
}
