#!/bin/bash
# A DBA's replication check command for the switchover (middleware.database.check, product "other"),
# written for PostgreSQL with psql, as a DBA would write one for their own product with its tools. The
# drill declares the database as "other" with this command, so the command contract is exercised
# against real servers: the switchover sets HSA_DB_HOST, HSA_DB_PORT, HSA_DB_USER, HSA_DB_PASSWORD and
# reads one JSON object from stdout.
set -euo pipefail
export PGPASSWORD="$HSA_DB_PASSWORD" PGCONNECT_TIMEOUT=3
q() { psql -h "$HSA_DB_HOST" -p "$HSA_DB_PORT" -U "$HSA_DB_USER" -d postgres -At -v ON_ERROR_STOP=1 -c "$1"; }
if [ "$(q 'SELECT pg_is_in_recovery()')" = t ]; then
  position=$(q "SELECT pg_wal_lsn_diff(coalesce(pg_last_wal_replay_lsn(), '0/0'), '0/0')::bigint")
  age=$(q "SELECT coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp())::text, '')")
  printf '{"role":"standby","position":"%s"%s}\n' "$position" "${age:+,\"replayAgeSeconds\":$age}"
else
  position=$(q "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")
  streaming=$(q "SELECT coalesce(json_agg(json_build_object('address', coalesce(host(client_addr), 'local'), 'state', state, 'position', pg_wal_lsn_diff(coalesce(replay_lsn, '0/0'), '0/0')::bigint::text)), '[]') FROM pg_stat_replication")
  read_only=$(q "SELECT current_setting('default_transaction_read_only') = 'on'")
  printf '{"role":"primary","position":"%s","streaming":%s,"readOnly":%s}\n' "$position" "$streaming" "$([ "$read_only" = t ] && echo true || echo false)"
fi
