#!/usr/bin/env bash
# The README's PostgreSQL backup, run once: load data into a fresh database with sohoa, back it
# up with pg_dump, restore it with pg_restore into another fresh database, and compare every
# table (each table's rows, sorted, hashed). Usage: .ci/pg-backup.sh [SOHOA_BINARY]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/debug/sohoa}"
pg="postgres://postgres@127.0.0.1:5432"
src=sohoa_backup_src
dst=sohoa_backup_dst
work="$(mktemp -d)"
trap 'rm -rf "$work"; dropdb -h 127.0.0.1 -U postgres --if-exists $src; dropdb -h 127.0.0.1 -U postgres --if-exists $dst' EXIT
for db in $src $dst; do
    dropdb -h 127.0.0.1 -U postgres --if-exists $db
    createdb -h 127.0.0.1 -U postgres $db
done

export SOHOA__DATABASE__URL="$pg/$src"
"$bin" --data-dir "$work/data" units import ../shared/data/vn-admin-units-2022-04.json
cat >"$work/roster.csv" <<'CSV'
Mã đơn vị,Tên tổ,Số quyết định,Ngày quyết định,Người ký,Họ và tên,Giới tính,Năm sinh,Số điện thoại,Chức vụ trong tổ,Thành phần,Ngày tham gia
21835,Tổ sao lưu,9/QĐ-UBND,01/03/2024,Nguyễn Văn Hùng,Trần Thị Lan,Nữ,1995,0912000001,Tổ trưởng,Đoàn Thanh niên,02/03/2024
21835,Tổ sao lưu,9/QĐ-UBND,01/03/2024,Nguyễn Văn Hùng,Lê Văn Bình,Nam,1990,0912000002,Thành viên,Hội Nông dân,02/03/2024
CSV
"$bin" --data-dir "$work/data" teams import --override-reason "kiểm thử sao lưu" "$work/roster.csv"
printf 'Mật-khẩu-sao-lưu-2026\n' | "$bin" --data-dir "$work/data" user create --role province_admin --unit 52 --password-stdin ci.saoluu

# What the README says to run.
pg_dump -h 127.0.0.1 -U postgres -Fc -f "$work/sohoa.dump" $src
pg_restore -h 127.0.0.1 -U postgres --no-owner -d $dst "$work/sohoa.dump"

digest() {
    psql -h 127.0.0.1 -U postgres -d "$1" -Atq -c "
        SELECT string_agg(t.table_name || ':' || (xpath('/row/c/text()',
            query_to_xml(format('SELECT count(*) || ''/'' || coalesce(md5(string_agg(x::text, '','' ORDER BY x::text)), '''') AS c FROM %I.%I x',
                                t.table_schema, t.table_name), false, true, '')))[1]::text, E'\n' ORDER BY t.table_name)
        FROM information_schema.tables t WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
}
digest $src >"$work/src.txt"
digest $dst >"$work/dst.txt"
tables=$(wc -l <"$work/src.txt")
units=$(grep '^units:' "$work/src.txt" | cut -d: -f2 | cut -d/ -f1)
[ "$units" -gt 11000 ] || { echo "expected the national units in the source, found $units"; exit 1; }
if ! diff "$work/src.txt" "$work/dst.txt"; then
    echo "pg_restore did not give every table back"
    exit 1
fi
echo "pg_dump/pg_restore: $tables tables identical ($units units)"
