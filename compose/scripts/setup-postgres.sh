#!/bin/sh
# Schema job: creates Temporal's databases (and the suite's application database) and
# brings both schemas to the version this temporal-sql-tool release ships. Every command
# is idempotent, so the job runs on each `up` and never touches existing data.
# Environment: POSTGRES_SEEDS, DB_PORT, POSTGRES_USER, SQL_PASSWORD (read by the tool
# itself, never put on a command line), DB (plugin), APP_DATABASE (optional).
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
    sql_tool "$database" create-database
    sql_tool "$database" setup-schema --version 0.0
    sql_tool "$database" update-schema --schema-name "postgresql/v12/$schema"
done
if [ -n "${APP_DATABASE:-}" ]; then
    sql_tool "$APP_DATABASE" create-database
fi
echo "schema job: done"
