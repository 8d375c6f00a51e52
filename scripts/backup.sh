#!/usr/bin/env bash
# One database backup: a pg_dump -Fc and its manifest, then the retention. Run by compose's `backup` service (in
# the postgres image: pg_dump and psql, no Python) and by tests/test_restore_drill.py, so the file the drill checks
# is made by the code that runs in production.
#
#   scripts/backup.sh DIR
#
# The connection comes from libpq's own variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE) or from
# DATABASE_URL when it is set. Writes DIR/daily/portal-<UTC time>.dump and .json; on Sundays a hard link of both in
# DIR/weekly/. Keeps BACKUP_KEEP_DAYS (14) of daily and BACKUP_KEEP_WEEKS (8) of weekly dumps.
#
# The manifest: the row count of every table and the newest document (id, storage name, SHA-256). The counts are
# taken in the same snapshot pg_dump reads (pg_export_snapshot), so they are what the dump holds even while the
# portal writes; counted before or after, a busy minute would make the restore drill fail on a good dump.
set -euo pipefail

dir=${1:?usage: backup.sh DIR}
keep_days=${BACKUP_KEEP_DAYS:-14}
keep_weeks=${BACKUP_KEEP_WEEKS:-8}
conn=()
if [ -n "${DATABASE_URL:-}" ]; then conn=(--dbname "$DATABASE_URL"); fi

mkdir -p "$dir/daily" "$dir/weekly"
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
base="$dir/daily/portal-$stamp"

# Every table of the schema, counted exactly (query_to_xml runs a count per table inside this one statement).
read -r -d '' manifest_sql <<'SQL' || true
SELECT json_build_object(
  'created_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
  'counts', (
    SELECT json_object_agg(table_name, n ORDER BY table_name) FROM (
      SELECT table_name,
             (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM public.%I', table_name),
                                                  false, true, '')))[1]::text::bigint AS n
      FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
    ) t),
  'document', (
    SELECT json_build_object('id', id, 'file', file, 'sha256', sha256)
    FROM dossier_document ORDER BY uploaded_at DESC, id LIMIT 1)
);
SQL

# One psql session holds a repeatable-read transaction open: its snapshot is exported to pg_dump and the counts
# are read in it. The session ends (and the snapshot with it) only after pg_dump has finished.
coproc PSQL { psql "${conn[@]}" -X -q -A -t -v ON_ERROR_STOP=1; }
psql_pid=$PSQL_PID  # bash unsets PSQL_PID as soon as the coprocess has ended
echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT pg_export_snapshot();" >&"${PSQL[1]}"
read -r -t 60 snapshot <&"${PSQL[0]}"
printf '%s\n' "$manifest_sql" >&"${PSQL[1]}"
read -r -t 600 manifest <&"${PSQL[0]}"
trap 'rm -f "$base.dump.part" "$base.json.part"' EXIT
pg_dump "${conn[@]}" --format=custom --snapshot="$snapshot" --file="$base.dump.part"
echo "COMMIT;" >&"${PSQL[1]}"
to_psql=${PSQL[1]}
exec {to_psql}>&-
wait "$psql_pid"
# The manifest last: a dump without its .json is one that did not finish, and the drill passes over it.
printf '%s\n' "$manifest" >"$base.json.part"
mv "$base.dump.part" "$base.dump"
mv "$base.json.part" "$base.json"
trap - EXIT
echo "backup: $base.dump ($(du -h "$base.dump" | cut -f1))"

if [ "$(date -u +%u)" = 7 ]; then
  ln -f "$base.dump" "$base.json" "$dir/weekly/"
fi
# -mtime +N: more than N+1 whole days old. A hard link in weekly/ keeps its data when the daily name goes.
find "$dir/daily" -name 'portal-*' -mtime +$((keep_days - 1)) -delete
find "$dir/weekly" -name 'portal-*' -mtime +$((keep_weeks * 7 - 1)) -delete
