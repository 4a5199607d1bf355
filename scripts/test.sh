#!/usr/bin/env bash
# The zoo's test command.
#   scripts/test.sh           full tier: Python venv and parity fixtures (made once, remade when
#                             scripts/reference.py or its requirements change), then every test;
#                             the heavy variants' fixtures (scripts/reference.py --heavy) are
#                             written one at a time, just before their own tests, then removed
#   scripts/test.sh --fast    fast tier: no Python, no fixtures; fixture tests skip with a message
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh -- resnet50`); such a run writes the
# light fixtures only, unless ZOO_HEAVY=keep.
# Environment: ZOO_VENV (default .venv), ZOO_FIXTURES (default tests/fixtures),
# ZOO_REQUIRE_SHARED=1 to fail rather than skip when ../shared/data is absent,
# ZOO_HEAVY=keep to write every fixture up front and keep it (about 19 GB) for later runs.
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
  want=$(cat scripts/reference.py scripts/cifar_models.py scripts/course_models.py scripts/requirements.txt | sha256sum | cut -d' ' -f1)
  [ -d "$shared/imagenet-val10" ] && want="$want+shared"
  if [ "$(cat "$fixtures/.zoo-stamp" 2>/dev/null)" != "$want" ]; then
    echo "== writing parity fixtures to $fixtures"
    rm -rf "$fixtures"
    ZOO_SHARED="$shared" "$venv/bin/python" scripts/reference.py --out "$fixtures" --light
    echo "$want" > "$fixtures/.zoo-stamp"
  fi
  # The training-step references (tests/training.rs), remade when their script changes.
  want_training=$(cat scripts/training_reference.py scripts/cifar_models.py scripts/requirements.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat "$fixtures/training/.zoo-stamp" 2>/dev/null)" != "$want_training" ]; then
    echo "== writing the training-step references to $fixtures/training"
    rm -rf "$fixtures/training"
    "$venv/bin/python" scripts/training_reference.py --out "$fixtures/training"
    echo "$want_training" > "$fixtures/training/.zoo-stamp"
  fi
  read -r -a heavy <<< "$("$venv/bin/python" scripts/reference.py --heavy)"
  add_fixture() { # writes a heavy variant's fixture unless it is there
    [ -e "$fixtures/$1/meta.json" ] && return 0
    echo "== writing the $1 fixture"
    ZOO_SHARED="$shared" "$venv/bin/python" scripts/reference.py --out "$fixtures" --add "$1"
  }
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
if [ "$fast" = 1 ]; then
  cargo test --release --workspace --no-fail-fast "$@" || status=$?
elif [ "${ZOO_HEAVY:-}" = keep ]; then
  for name in "${heavy[@]}"; do add_fixture "$name"; done
  cargo test --release --workspace --no-fail-fast "$@" || status=$?
elif [ $# -gt 0 ]; then
  cargo test --release --workspace --no-fail-fast "$@" || status=$?
else
  # Everything but the heavy variants' own tests, then each of those beside its fixture alone.
  skips=()
  for name in "${heavy[@]}"; do skips+=(--skip "$name"); done
  cargo test --release --workspace --no-fail-fast -- --exact "${skips[@]}" || status=$?
  for name in "${heavy[@]}"; do
    kept=0; [ -e "$fixtures/$name/meta.json" ] && kept=1
    add_fixture "$name"
    cargo test --release --test parity --test onnx -- --exact "$name" || status=$?
    [ "$kept" = 1 ] || rm -rf "${fixtures:?}/$name"
  done
fi

if [ -s "$report" ]; then
  echo
  echo "== measured figures"
  sort "$report"
fi
exit "$status"
