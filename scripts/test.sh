#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need
# (the vendors' Python SDKs, emulators), starts it, runs every check, and
# stops what it started. `.ci/run` calls exactly this.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Reuse one Cargo target directory outside the clone so warm runs are fast.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/multicloud/target}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
# Incremental artifacts only cost disk and time in a full run.
export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
mkdir -p "$CARGO_TARGET_DIR"

step() { printf '\n==> %s\n' "$*"; }

step "vendor SDKs (Python venv)"
py=$(scripts/setup-python.sh)
if [ -n "$py" ]; then export MULTICLOUD_PYTHON="$py"; echo "MULTICLOUD_PYTHON=$py"; fi

step "emulators"
scripts/emulators.sh start
trap 'scripts/emulators.sh stop' EXIT
if [ -f "${MULTICLOUD_EMU_ENV:-$HOME/.cache/multicloud/emulators.env}" ]; then
  # shellcheck disable=SC1090
  . "${MULTICLOUD_EMU_ENV:-$HOME/.cache/multicloud/emulators.env}"
fi

step "format"
cargo fmt --all -- --check

step "clippy (all targets, all features)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "each provider builds alone (features are independent)"
for p in alibaba huawei tencent aws azure openstack; do
  cargo check -q --lib --no-default-features --features "$p"
  cargo check -q -p multicloud-sim --lib --no-default-features --features "$p"
done

step "tests (all features, doctests included)"
cargo test --workspace --all-features --no-fail-fast
