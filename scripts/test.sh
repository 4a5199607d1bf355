#!/usr/bin/env bash
# The zoo's test command.
#   scripts/test.sh           full tier: Python venv and parity fixtures (made once, remade when
#                             scripts/reference.py or its requirements change), then every test
#   scripts/test.sh --fast    fast tier: no Python, no fixtures; fixture tests skip with a message
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh -- resnet50`).
# Environment: ZOO_VENV (default .venv), ZOO_FIXTURES (default tests/fixtures),
# ZOO_REQUIRE_SHARED=1 to fail rather than skip when ../shared/data is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

fast=0
if [ "${1:-}" = "--fast" ]; then fast=1; shift; fi

if [ "$fast" = 0 ]; then
  source scripts/venv.sh

  fixtures="${ZOO_FIXTURES:-$PWD/tests/fixtures}"
  shared="${ZOO_SHARED:-$PWD/../shared/data}"
  if [ "${ZOO_REQUIRE_SHARED:-0}" = 1 ] && [ ! -d "$shared" ]; then
    echo "ZOO_REQUIRE_SHARED=1 but $shared is absent" >&2; exit 1
  fi
  want=$(cat scripts/reference.py scripts/cifar_models.py scripts/requirements.txt | sha256sum | cut -d' ' -f1)
  [ -d "$shared/imagenet-val10" ] && want="$want+shared"
  if [ "$(cat "$fixtures/.zoo-stamp" 2>/dev/null)" != "$want" ]; then
    echo "== writing parity fixtures to $fixtures"
    rm -rf "$fixtures"
    ZOO_SHARED="$shared" "$venv/bin/python" scripts/reference.py --out "$fixtures"
    echo "$want" > "$fixtures/.zoo-stamp"
  fi
  # The committed registry must be what the pinned torchvision/timm publish.
  registry=$(mktemp)
  "$venv/bin/python" scripts/make_registry.py --out "$registry" > /dev/null
  if ! cmp -s "$registry" crates/hub/registry.json; then
    echo "crates/hub/registry.json differs from scripts/make_registry.py's output" >&2
    rm -f "$registry"; exit 1
  fi
  rm -f "$registry"
  export ZOO_FIXTURES="$fixtures" ZOO_REQUIRE_FIXTURES=1
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT
export ZOO_REPORT="$report"
status=0
cargo test --release --workspace --no-fail-fast "$@" || status=$?

if [ -s "$report" ]; then
  echo
  echo "== measured figures"
  sort "$report"
fi
exit "$status"
