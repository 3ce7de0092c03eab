#!/usr/bin/env bash
# Installs (where missing) and starts the real services the specs use, bound to 127.0.0.1.
# Prints `export …` lines for the caller to eval. Records what it started in .ci/.started.
set -u
here=$(cd "$(dirname "$0")" && pwd)
started="$here/.started"
: > "$started"
log() { echo "[services] $*" >&2; }

need_apt_update=1
apt_install() {
  if [ $need_apt_update = 1 ]; then apt-get update -qq >/dev/null 2>&1; need_apt_update=0; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

# PostgreSQL
if ! command -v pg_ctlcluster >/dev/null 2>&1; then log "installing postgresql"; apt_install postgresql; fi
if command -v pg_ctlcluster >/dev/null 2>&1; then
  ver=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1{print $1}')
  name=$(pg_lsclusters -h 2>/dev/null | awk 'NR==1{print $2}')
  if [ -n "$ver" ]; then
    if ! pg_lsclusters -h | awk 'NR==1{print $4}' | grep -q online; then
      pg_ctlcluster "$ver" "$name" start -- -o "-c listen_addresses=127.0.0.1" >&2 && echo "pg $ver $name" >> "$started"
    fi
    port=$(pg_lsclusters -h | awk 'NR==1{print $3}')
    su postgres -c "psql -q -p $port -c \"DO \\\$\\\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='troupe') THEN CREATE ROLE troupe LOGIN PASSWORD 'troupe' CREATEDB; END IF; END \\\$\\\$;\"" >&2
    su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_database WHERE datname='troupe_test'\" | grep -q 1 || createdb -p $port -O troupe troupe_test" >&2
    echo "export TROUPE_PG_URL=postgres://troupe:troupe@127.0.0.1:$port/troupe_test"
  fi
fi

# NATS
if ! command -v nats-server >/dev/null 2>&1; then log "installing nats-server"; apt_install nats-server; fi
if command -v nats-server >/dev/null 2>&1; then
  port=${TROUPE_NATS_PORT:-14222}
  store=$(mktemp -d /tmp/troupe-nats-js.XXXXXX)
  # -js: JetStream on (the stream backend's specs use it), its files in a fresh temp folder.
  nats-server -a 127.0.0.1 -p "$port" -js -sd "$store" >/dev/null 2>&1 &
  echo "nats $! $store" >> "$started"
  for _ in $(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break; sleep 0.1; done
  echo "export TROUPE_NATS_URL=nats://127.0.0.1:$port"
fi
