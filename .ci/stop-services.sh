#!/usr/bin/env bash
# Stops what services.sh started, by pid (NATS) or by its cluster's pid file (PostgreSQL).
here=$(cd "$(dirname "$0")" && pwd)
[ -f "$here/.started" ] || exit 0
while read -r kind a b; do
  case "$kind" in
    nats) kill "$a" 2>/dev/null; wait "$a" 2>/dev/null; [ -n "$b" ] && rm -rf "$b" ;;
    pg) pg_ctlcluster "$a" "$b" stop >/dev/null 2>&1 ;;
  esac
done < "$here/.started"
rm -f "$here/.started"
