#!/usr/bin/env bash
# Create (or reuse) the Python virtualenv holding the vendors' official SDKs
# that the conformance tests run against the simulator and the signers, and
# the emulators that come from PyPI. Prints the interpreter's path.
#
#   MULTICLOUD_VENV   where the venv lives (default: $HOME/.cache/multicloud/venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${MULTICLOUD_VENV:-$HOME/.cache/multicloud/venv}
shopt -s nullglob
reqs=("$root"/tests/conformance/requirements-*.txt)
if [ ${#reqs[@]} -eq 0 ]; then
  echo "setup-python: no requirements files, nothing to install" >&2
  exit 0
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "setup-python: creating $venv" >&2
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >&2
fi
# Reinstall only when the requirement files changed since the last install.
stamp="$venv/.multicloud-requirements"
want=$(cat "${reqs[@]}" | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  args=()
  for r in "${reqs[@]}"; do args+=(-r "$r"); done
  echo "setup-python: installing ${reqs[*]##*/}" >&2
  "$venv/bin/pip" install -q "${args[@]}" >&2
  echo "$want" > "$stamp"
fi
echo "$venv/bin/python"
