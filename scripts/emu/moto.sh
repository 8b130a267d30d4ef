#!/usr/bin/env bash
# Start or stop moto (the AWS emulator from PyPI) on 127.0.0.1 for the AWS
# provider's tests.
#
#   scripts/emu/moto.sh start   # prints: export MULTICLOUD_MOTO_URL=http://127.0.0.1:PORT
#   scripts/emu/moto.sh stop
#
# MOTO_PORT (default 5050; moto's own default 5000 clashes with Keystone)
# chooses the port. The venv lives in $HOME/.cache/multicloud/moto-venv and
# the pid/log files in $HOME/.cache/multicloud/emulators/.
set -euo pipefail
cache=${MULTICLOUD_CACHE:-$HOME/.cache/multicloud}
venv=${MOTO_VENV:-$cache/moto-venv}
state=${MULTICLOUD_EMU_DIR:-$cache/emulators}
port=${MOTO_PORT:-5050}
pidfile=$state/moto.pid
logfile=$state/moto.log
moto_version=5.2.5

install() {
  if [ ! -x "$venv/bin/moto_server" ] || ! "$venv/bin/python" -c "import moto, sys; sys.exit(0 if moto.__version__ == '$moto_version' else 1)" 2>/dev/null; then
    python3 -m venv "$venv" >&2
    "$venv/bin/pip" install -q "moto[server]==$moto_version" >&2
  fi
}

start() {
  mkdir -p "$state"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null \
     && curl -sf -m 2 "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then
    echo "export MULTICLOUD_MOTO_URL=http://127.0.0.1:$port"
    return 0
  fi
  install
  MOTO_IAM_LOAD_MANAGED_POLICIES=true nohup "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" \
    >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 60); do
    if curl -sf -m 2 "http://127.0.0.1:$port/moto-api/" >/dev/null 2>&1; then
      echo "export MULTICLOUD_MOTO_URL=http://127.0.0.1:$port"
      return 0
    fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "moto exited; see $logfile" >&2
      tail -20 "$logfile" >&2 || true
      return 1
    fi
    sleep 1
  done
  echo "moto did not answer on port $port within 60 s; see $logfile" >&2
  return 1
}

stop() {
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 1 ;;
esac
