#!/bin/sh
# First start of the PostgreSQL container only (/docker-entrypoint-initdb.d, sourced by the
# entrypoint while the server listens on its socket alone), as the image's superuser — the
# deployment's admin. Creates, with least privilege:
#   - Temporal's role (TEMPORAL_DB_USER): LOGIN, not superuser, cannot create roles or
#     databases; owns temporal and temporal_visibility, where the schema job (as Temporal)
#     sets the schemas up;
#   - the test worker's role (APP_DB_USER), owning the application database;
#   - btree_gin in temporal_visibility (not a trusted extension before PostgreSQL 13);
#   - CONNECT revoked from PUBLIC everywhere: each role reaches its own databases only.
# Passwords are hashed with SCRAM-SHA-256 whatever the major's default. Works with the
# official postgres image and the local one (both run psql against /var/run/postgresql).
: "${TEMPORAL_DB_USER:?TEMPORAL_DB_USER names Temporal's role}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is required}"
: "${APP_DB_USER:?APP_DB_USER names the application role}"
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is required}"

psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --host /var/run/postgresql \
    --username "$POSTGRES_USER" --dbname postgres \
    --set temporal_user="$TEMPORAL_DB_USER" --set temporal_password="$TEMPORAL_DB_PASSWORD" \
    --set app_user="$APP_DB_USER" --set app_password="$APP_DB_PASSWORD" <<'SQL'
SET password_encryption = 'scram-sha-256';
CREATE ROLE :"temporal_user" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    PASSWORD :'temporal_password';
CREATE ROLE :"app_user" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION
    PASSWORD :'app_password';
CREATE DATABASE temporal OWNER :"temporal_user";
CREATE DATABASE temporal_visibility OWNER :"temporal_user";
CREATE DATABASE acceptance_app OWNER :"app_user";
REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE temporal FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE temporal_visibility FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE acceptance_app FROM PUBLIC;
\connect temporal_visibility
CREATE EXTENSION IF NOT EXISTS btree_gin;
SQL
echo "least-privilege roles: $TEMPORAL_DB_USER owns temporal, temporal_visibility; $APP_DB_USER owns acceptance_app"
