# Sourced by scripts/test and bench scripts: a throwaway PostgreSQL server on a free loopback port.
# PostgreSQL refuses to run as root, so the server runs as the `postgres` user in a temporary folder.

pg_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

ensure_postgres_installed() {
  if [ -z "$(pg_bin_dir)" ] || [ ! -x "$(pg_bin_dir)/initdb" ]; then
    echo "Installing PostgreSQL from Debian's packages..."
    apt_install postgresql
  fi
}

# apt-get update once per run, then install what is missing.
apt_install() {
  if [ -z "${CARELOOP_APT_UPDATED:-}" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    export CARELOOP_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Starts the server and exports CARELOOP_TEST_POSTGRES_URL; registers a stop on exit.
start_postgres() {
  ensure_postgres_installed
  local bin; bin="$(pg_bin_dir)"
  PG_DATA="$(mktemp -d /tmp/careloop-pg.XXXXXX)"
  chown postgres:postgres "$PG_DATA"
  PG_PORT="$(free_port)"
  runuser -u postgres -- "$bin/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 >/dev/null
  runuser -u postgres -- "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/server.log" -w \
    -o "-p $PG_PORT -k $PG_DATA -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200" start >/dev/null
  runuser -u postgres -- "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres careloop_test
  export CARELOOP_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PG_PORT/careloop_test"
  export PG_BIN="$bin" PG_DATA PG_PORT
  trap stop_postgres EXIT
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
}

stop_postgres() {
  if [ -n "${PG_DATA:-}" ] && [ -d "$PG_DATA" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$PG_DATA"
  fi
}
