#!/bin/sh
# Entrypoint of tall/postgres:15 — a small, real subset of the official postgres image's docker-entrypoint.sh.
#
#   POSTGRES_PASSWORD          required unless POSTGRES_HOST_AUTH_METHOD=trust
#   POSTGRES_USER              superuser name (default: postgres)
#   POSTGRES_DB                database created on first start (default: $POSTGRES_USER)
#   POSTGRES_INITDB_ARGS       extra initdb arguments
#   POSTGRES_HOST_AUTH_METHOD  auth for TCP connections (default: scram-sha-256)
#   PGDATA                     data directory (default: /var/lib/postgresql/data)
#   /docker-entrypoint-initdb.d/*.sh, *.sql   run once, on first start, against POSTGRES_DB
#
# Starts as root to prepare PGDATA, then runs postgres as the non-root `postgres` user (initdb refuses root).
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_INITDB_ARGS:=}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
export PGDATA POSTGRES_USER POSTGRES_DB

log() { echo "entrypoint: $*" >&2; }

# `docker run tall/postgres:15 -c foo=bar` means `postgres -c foo=bar`, as in the official image.
if [ "${1#-}" != "${1:-}" ]; then set -- postgres "$@"; fi

if [ "${1:-}" = postgres ] && [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chmod 3777 /var/run/postgresql
  # Drop to `postgres` and run this script again. busybox start-stop-daemon without -b execs in place, so postgres ends
  # up as PID 1 and gets `docker stop`'s signal; arguments after -- pass through untouched.
  exec start-stop-daemon -S -c postgres:postgres -x "$(readlink -f "$0")" -- "$@"
fi

if [ "${1:-}" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
    log "Database is uninitialized and superuser password is not specified."
    log "You must specify POSTGRES_PASSWORD to a non-empty value for the superuser,"
    log "or set POSTGRES_HOST_AUTH_METHOD=trust to allow all connections without a password."
    exit 1
  fi
  log "initializing $PGDATA for user $POSTGRES_USER"
  pwfile="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
  # shellcheck disable=SC2086 # POSTGRES_INITDB_ARGS is a list of words on purpose, as in the official image
  initdb --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C -D "$PGDATA" $POSTGRES_INITDB_ARGS >/dev/null
  rm -f "$pwfile"
  {
    echo
    echo "host all all all $POSTGRES_HOST_AUTH_METHOD"
  } >>"$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >>"$PGDATA/postgresql.conf"

  # A private server on the unix socket only, for the one-time setup.
  pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >/dev/null
  psql_setup() { psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" -q "$@"; }
  if [ "$POSTGRES_DB" != postgres ]; then
    psql_setup --dbname postgres -v db="$POSTGRES_DB" <<'SQL'
CREATE DATABASE :"db";
SQL
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    [ -e "$f" ] || continue
    case "$f" in
      *.sh) log "running $f"; . "$f" ;;
      *.sql) log "running $f"; psql_setup --dbname "$POSTGRES_DB" -f "$f" ;;
      *) log "ignoring $f" ;;
    esac
  done
  pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
  log "init done; database \"$POSTGRES_DB\" ready"
fi

exec "$@"
