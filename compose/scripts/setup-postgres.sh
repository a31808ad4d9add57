#!/bin/sh
# Schema job, as Temporal's own role: brings both of Temporal's databases (created, and
# owned by that role, by the PostgreSQL container's init script: compose/initdb) to the
# schema version this temporal-sql-tool release ships. Temporal's role cannot create
# databases, so there is no create-database step. Every command is idempotent, so the job
# runs on each `up` and never touches existing data.
# Environment: POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, SQL_PASSWORD (read by the tool
# itself, never put on a command line), DB (plugin).
set -eu
: "${POSTGRES_SEEDS:?POSTGRES_SEEDS names the PostgreSQL host}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
export SQL_PASSWORD

sql_tool() {
    database=$1
    shift
    temporal-sql-tool --plugin "${DB:-postgres12}" --ep "$POSTGRES_SEEDS" --port "${DB_PORT:-5432}" \
        --user "$POSTGRES_USER" --db "$database" "$@"
}

for pair in temporal:temporal temporal_visibility:visibility; do
    database=${pair%%:*}
    schema=${pair#*:}
    echo "schema job: $database"
    sql_tool "$database" setup-schema --version 0.0
    sql_tool "$database" update-schema --schema-name "postgresql/v12/$schema"
done
echo "schema job: done"
