#!/usr/bin/env bash
# A throwaway PostgreSQL for limfac's team-sync tests (tests/it/sync_*.rs).
#
#   eval "$(scripts/pg-test-server.sh start)"   # initdb + start; prints the exports
#   cargo test
#   scripts/pg-test-server.sh stop "$LIMFAC_TEST_PG_DIR"
#
# It initdb's a cluster in a new temp folder (as the `postgres` user when run
# as root: initdb refuses root), with a random superuser password (scram),
# TLS on with a CA and a server certificate made here (when openssl exists),
# listening only on 127.0.0.1 on a free port, its socket in that folder.
# `start` prints LIMFAC_TEST_PG (the superuser's URL, for the tests),
# LIMFAC_TEST_PG_CA (the CA file, for the TLS tests) and LIMFAC_TEST_PG_DIR.
# `stop DIR` stops it and removes the folder. Nothing is kept: fsync is off.
set -euo pipefail

bindir() {
    if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return
    fi
    local d
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
        echo "error: no PostgreSQL server binaries (install the postgresql package: apt-get install postgresql)" >&2
        exit 1
    fi
    echo "$d"
}

# Runs a command as the server's owner.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/bash -c "$*"
    else
        bash -c "$*"
    fi
}

port_free() {
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
    local bin dir pw port
    bin="$(bindir)"
    dir="$(mktemp -d /tmp/limfac-pg.XXXXXX)"
    chmod 0700 "$dir"
    pw="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s\n' "$pw" >"$dir/pw"
    if [ "$(id -u)" = 0 ]; then
        chown -R postgres: "$dir"
    fi
    as_owner "'$bin/initdb' -D '$dir/data' -U postgres --auth=scram-sha-256 --pwfile='$dir/pw' -E UTF8 --locale=C --no-sync" >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    local ssl=off
    if command -v openssl >/dev/null 2>&1; then
        as_owner "cd '$dir/data' &&
            openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=limfac test CA' \
                -keyout ca.key -out ca.crt >/dev/null 2>&1 &&
            openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' -keyout server.key -out server.csr >/dev/null 2>&1 &&
            printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext &&
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
                -extfile san.ext -out server.crt >/dev/null 2>&1 &&
            chmod 0600 server.key"
        cp "$dir/data/ca.crt" "$dir/ca.crt"
        chmod 0644 "$dir/ca.crt"
        ssl=on
    fi
    local tries=0
    while :; do
        port=$((20000 + RANDOM % 40000))
        if port_free "$port"; then
            cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
ssl = $ssl
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 256MB
CONF
            if as_owner "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -t 60 start" >/dev/null 2>&1; then
                break
            fi
        fi
        tries=$((tries + 1))
        if [ "$tries" -ge 5 ]; then
            echo "error: could not start PostgreSQL; see $dir/server.log" >&2
            cat "$dir/server.log" >&2 || true
            exit 1
        fi
    done
    echo "export LIMFAC_TEST_PG='postgresql://postgres:$pw@127.0.0.1:$port/postgres?sslmode=disable'"
    if [ "$ssl" = on ]; then
        echo "export LIMFAC_TEST_PG_CA='$dir/ca.crt'"
    fi
    echo "export LIMFAC_TEST_PG_DIR='$dir'"
}

stop() {
    local dir="${1:-${LIMFAC_TEST_PG_DIR:-}}"
    if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
        echo "error: give the folder printed by start (LIMFAC_TEST_PG_DIR)" >&2
        exit 1
    fi
    as_owner "'$(bindir)/pg_ctl' -D '$dir/data' -m immediate -w stop" >/dev/null 2>&1 || true
    rm -rf "$dir"
}

case "${1:-}" in
    start) start ;;
    stop) stop "${2:-}" ;;
    *)
        echo "usage: $0 start | stop DIR" >&2
        exit 2
        ;;
esac
