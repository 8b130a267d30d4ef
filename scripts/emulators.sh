#!/usr/bin/env bash
# Start or stop the real emulators the tests use (moto for AWS, Azurite for
# Azure Blob, Keystone for OpenStack) on 127.0.0.1. Each is started only when
# the provider that needs it has tests for it; their addresses are written to
# $MULTICLOUD_EMU_ENV as shell exports.
#
#   scripts/emulators.sh start|stop
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=${MULTICLOUD_EMU_DIR:-$HOME/.cache/multicloud/emulators}
envfile=${MULTICLOUD_EMU_ENV:-$HOME/.cache/multicloud/emulators.env}
mkdir -p "$state"

start() {
  : > "$envfile"
  # moto (AWS): EC2, S3, IAM, STS, Cost Explorer for tests/aws_moto.rs.
  "$root/scripts/emu/moto.sh" start >> "$envfile"
  cat "$envfile"
}

stop() {
  for f in "$state"/*.pid; do
    [ -f "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 1 ;;
esac
