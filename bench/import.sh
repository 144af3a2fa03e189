#!/usr/bin/env bash
# The national roster import (issue 15, point 2; figures in docs/BENCHMARKS.md).
#
#   bench/import.sh                     # SQLite
#   SOHOA_BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/sohoa_import bench/import.sh
#
# 1. Builds the release binary and, once (kept between runs, shared with bench/http.sh), the
#    national dataset on SQLite; exports its rosters province by province into one CSV file,
#    target/bench/national-roster.csv (348,362 member rows, Vietnamese headers).
# 2. Makes a fresh database with the 2022 unit list (`sohoa units import`), no plugin bound.
# 3. Times `sohoa teams import` of the whole file with its peak RSS (/usr/bin/time): a dry run,
#    the import, and the same file again (everything found, nothing written).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked --bin sohoa
bin="$PWD/target/release/sohoa"
export SOHOA__PATHS__PLUGIN_DIR="$PWD/plugins"
unset SOHOA__DATABASE__URL
units="$PWD/../shared/data/vn-admin-units-2022-04.json"

national="$PWD/target/bench/national-sqlite"
roster="$PWD/target/bench/national-roster.csv"
if [ ! -f "$roster" ]; then
    if [ ! -f "$national/built" ]; then
        mkdir -p "$national"
        rm -f "$national"/sohoa.db*
        "$bin" --data-dir "$national" national-dataset --shared-data "$PWD/../shared/data" | tee "$national/dataset.txt"
        touch "$national/built"
    fi
    echo "== exporting the national roster"
    parts="$PWD/target/bench/roster-parts"
    rm -rf "$parts" && mkdir -p "$parts"
    provinces=$(sqlite3 "$national/sohoa.db" \
        "SELECT u.code FROM units u JOIN unit_versions v ON v.unit_id = u.id WHERE v.level = 'province' ORDER BY u.code")
    for code in $provinces; do
        "$bin" --data-dir "$national" teams export --unit "$code" "$parts/$code.csv" >/dev/null
    done
    first=1
    for f in "$parts"/*.csv; do
        if [ "$first" = 1 ]; then cat "$f"; first=0; else tail -n +2 "$f"; fi
    done >"$roster.tmp"
    mv "$roster.tmp" "$roster"
    rm -rf "$parts"
fi
echo "roster: $(($(wc -l <"$roster") - 1)) rows, $(du -m "$roster" | cut -f1) MB"

dir="$PWD/target/bench/import"
rm -rf "$dir" && mkdir -p "$dir"
if [ -n "${SOHOA_BENCH_POSTGRES_URL:-}" ]; then
    export SOHOA__DATABASE__URL="$SOHOA_BENCH_POSTGRES_URL"
    db="${SOHOA_BENCH_POSTGRES_URL##*/}"
    base="${SOHOA_BENCH_POSTGRES_URL%/*}"
    psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    backend=postgres
else
    backend=sqlite
fi
"$bin" --data-dir "$dir" migrate >/dev/null
"$bin" --data-dir "$dir" units import "$units" >/dev/null
echo "== sohoa teams import on $backend"
for run in "dry run:--dry-run" "import:" "again:"; do
    name="${run%%:*}" flag="${run#*:}"
    /usr/bin/time -f "$name: %e s, peak RSS %M KiB" "$bin" --data-dir "$dir" teams import $flag "$roster"
done
