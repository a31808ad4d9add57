#!/bin/sh
# PostgreSQL entrypoint of the temporal-acceptance local image. It honours the environment
# contract of the official postgres image (POSTGRES_USER, POSTGRES_PASSWORD[_FILE],
# POSTGRES_DB, PGDATA, POSTGRES_INITDB_ARGS, POSTGRES_HOST_AUTH_METHOD and the scripts in
# /docker-entrypoint-initdb.d) so one compose file works with either image — except that it
# never trusts a TCP login: POSTGRES_HOST_AUTH_METHOD=trust (or any method that asks no
# password) is refused; TCP logins use scram-sha-256 unless md5 is asked for.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
export PGDATA

log() { printf '%s tacc-postgres-entrypoint: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S.000 UTC')" "$*" >&2; }

# Options only ("-c x=y") mean: run the server with them.
if [ "${1:-postgres}" != postgres ] && [ "${1#-}" = "$1" ]; then
    exec "$@"
fi
[ "${1:-}" = postgres ] && shift

# As root: hand the data directory to the postgres account, then continue as that account.
if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then
    POSTGRES_PASSWORD=$(cat "$POSTGRES_PASSWORD_FILE")
fi
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
: "${POSTGRES_INITDB_ARGS:=--encoding=UTF8 --locale=C.UTF-8}"

case "$POSTGRES_HOST_AUTH_METHOD" in
    scram-sha-256 | md5) ;;
    *)
        log "POSTGRES_HOST_AUTH_METHOD=$POSTGRES_HOST_AUTH_METHOD would let TCP clients in without a password: this image allows scram-sha-256 (default) or md5"
        exit 1
        ;;
esac

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -z "${POSTGRES_PASSWORD:-}" ]; then
        log "the database is not initialised and no superuser password is set: set POSTGRES_PASSWORD"
        exit 1
    fi
    log "initialising $PGDATA for $POSTGRES_USER"
    umask 077
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    # shellcheck disable=SC2086 # the extra initdb arguments are meant to be split
    initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
        --auth-host="$POSTGRES_HOST_AUTH_METHOD" $POSTGRES_INITDB_ARGS >&2
    rm -f "$pwfile"
    umask 022
    printf "\nlisten_addresses = '*'\n" >> "$PGDATA/postgresql.conf"
    printf 'host all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >> "$PGDATA/pg_hba.conf"

    # A private server on the socket only: nothing outside can connect before setup is done.
    pg_ctl --silent --wait --pgdata="$PGDATA" \
        --options="-c listen_addresses='' -c unix_socket_directories=/var/run/postgresql" start
    psql_here() { psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --host /var/run/postgresql --username "$POSTGRES_USER" "$@"; }
    if [ "$POSTGRES_DB" != postgres ]; then
        printf 'CREATE DATABASE :"name";\n' | psql_here --dbname postgres --set name="$POSTGRES_DB"
    fi
    for script in /docker-entrypoint-initdb.d/*; do
        case "$script" in
            *.sh) log "running $script"; . "$script" ;;
            *.sql) log "running $script"; psql_here --dbname "$POSTGRES_DB" --file "$script" ;;
            *.sql.gz) log "running $script"; gunzip -c "$script" | psql_here --dbname "$POSTGRES_DB" ;;
            *) ;;
        esac
    done
    pg_ctl --silent --wait --pgdata="$PGDATA" --mode=fast stop
    log "initialisation complete"
fi

# A data directory written elsewhere (another image, an earlier setting) may trust TCP logins.
if grep -Eq '^[[:space:]]*host[a-z]*[[:space:]].*[[:space:]]trust([[:space:]]|$)' "$PGDATA/pg_hba.conf"; then
    log "$PGDATA/pg_hba.conf trusts TCP logins (a 'host ... trust' line): refusing to start; use scram-sha-256 there"
    exit 1
fi

exec postgres "$@"
