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
# Each step's start, in seconds since this script began; also appended to $ZOO_PHASES when
# set (.ci/run prints that file at its end, where a CI log's tail shows it).
step() {
  echo "== [+${SECONDS} s] $*"
  [ -z "${ZOO_PHASES:-}" ] || echo "$SECONDS s: $*" >> "$ZOO_PHASES"
}

fast=0
if [ "${1:-}" = "--fast" ]; then fast=1; shift; fi

if [ "$fast" = 0 ]; then
  # The whole run's test build goes on while the venv and the fixtures are made (pip waits on
  # the network and the disk; the fixture scripts are Python); its output follows theirs.
  build_pid=""
  if [ $# = 0 ]; then
    build_log=$(mktemp)
    cargo test --release --workspace --no-run > "$build_log" 2>&1 &
    build_pid=$!
    trap 'kill "$build_pid" 2> /dev/null || true; rm -f "$build_log"' EXIT
  fi
  source scripts/venv.sh

  fixtures="${ZOO_FIXTURES:-$PWD/tests/fixtures}"
  shared="${ZOO_SHARED:-$PWD/../shared/data}"
  if [ "${ZOO_REQUIRE_SHARED:-0}" = 1 ] && [ ! -d "$shared" ]; then
    echo "ZOO_REQUIRE_SHARED=1 but $shared is absent" >&2; exit 1
  fi
  want=$(cat scripts/reference.py scripts/cifar_models.py scripts/course_models.py scripts/requirements.txt | sha256sum | cut -d' ' -f1)
  [ -d "$shared/imagenet-val10" ] && want="$want+shared"
  if [ "$(cat "$fixtures/.zoo-stamp" 2>/dev/null)" != "$want" ]; then
    step "writing parity fixtures to $fixtures"
    rm -rf "$fixtures"
    ZOO_SHARED="$shared" "$venv/bin/python" scripts/reference.py --out "$fixtures" --light
    echo "$want" > "$fixtures/.zoo-stamp"
  fi
  # A reference folder of its own, remade when the script that writes it (or its models) changes.
  references() { # FOLDER WHAT SCRIPT MODELS OPTION: runs SCRIPT OPTION $fixtures/FOLDER
    local dir="$fixtures/$1" what=$2 script=$3 models=$4 option=$5 want
    want=$(cat "$script" "$models" scripts/requirements.txt | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$dir/.zoo-stamp" 2>/dev/null)" != "$want" ]; then
      step "writing $what to $dir"
      rm -rf "$dir"
      "$venv/bin/python" "$script" "$option" "$dir"
      echo "$want" > "$dir/.zoo-stamp"
    fi
  }
  # The training-step references (tests/training.rs) and the DCGAN ones (tests/gan.rs).
  references training "the training-step references" scripts/training_reference.py \
    scripts/cifar_models.py --out
  references gan "the DCGAN references" scripts/gan_reference.py scripts/course_models.py \
    --fixtures
  read -r -a heavy <<< "$("$venv/bin/python" scripts/reference.py --heavy)"
  # The heavy variants' fixtures that are not on the disk already.
  missing=()
  for name in "${heavy[@]}"; do
    [ -e "$fixtures/$name/meta.json" ] || missing+=("$name")
  done
  # The committed registry must be what the pinned torchvision/timm publish.
  registry=$(mktemp)
  "$venv/bin/python" scripts/make_registry.py --out "$registry" > /dev/null
  if ! cmp -s "$registry" crates/hub/registry.json; then
    echo "crates/hub/registry.json differs from scripts/make_registry.py's output" >&2
    rm -f "$registry"; exit 1
  fi
  rm -f "$registry"
  export ZOO_FIXTURES="$fixtures" ZOO_REQUIRE_FIXTURES=1
  if [ -n "$build_pid" ]; then
    step "waiting for the test build"
    # A failed build fails again below, in `cargo test`, with its errors.
    wait "$build_pid" || true
    cat "$build_log"
    rm -f "$build_log"
  fi
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT
export ZOO_REPORT="$report"
status=0
if [ "$fast" = 1 ]; then
  cargo test --release --workspace --no-fail-fast "$@" || status=$?
elif [ "${ZOO_HEAVY:-}" = keep ]; then
  if [ ${#missing[@]} -gt 0 ]; then
    step "writing the heavy variants' fixtures"
    ZOO_SHARED="$shared" "$venv/bin/python" scripts/reference.py --out "$fixtures" --add "${missing[@]}"
  fi
  cargo test --release --workspace --no-fail-fast "$@" || status=$?
elif [ $# -gt 0 ]; then
  cargo test --release --workspace --no-fail-fast "$@" || status=$?
else
  # Everything but the heavy variants' own tests, then each of those beside its fixture alone.
  skips=()
  for name in "${heavy[@]}"; do skips+=(--skip "$name"); done
  step "cargo test, all but the heavy variants"
  cargo test --release --workspace --no-fail-fast -- --exact "${skips[@]}" || status=$?
  # One Python process (in the background, so that the two cores overlap) writes the missing
  # heavy fixtures in this order, each marked by NAME/.written, while the one before it is
  # tested; it writes a fixture only once the one it wrote two before is removed, so at most
  # two are on the disk at once. One process, not one per fixture: importing torch, torchvision
  # and timm takes 5 to 9 s here.
  step "the heavy variants, one at a time"
  writer_log=$(mktemp)
  writer=""
  if [ ${#missing[@]} -gt 0 ]; then
    ZOO_SHARED="$shared" "$venv/bin/python" scripts/reference.py --out "$fixtures" \
      --add-each "${missing[@]}" > "$writer_log" 2>&1 &
    writer=$!
  fi
  trap '[ -z "$writer" ] || kill "$writer" 2> /dev/null; rm -f "$report" "$writer_log"' EXIT
  for name in "${heavy[@]}"; do
    fresh=0
    [[ " ${missing[*]} " != *" $name "* ]] || fresh=1
    if [ "$fresh" = 1 ]; then
      while [ ! -e "$fixtures/$name/.written" ] && kill -0 "$writer" 2> /dev/null; do
        sleep 0.2
      done
      if [ ! -e "$fixtures/$name/.written" ]; then
        cat "$writer_log"
        echo "writing the $name fixture failed" >&2; status=1; break
      fi
    fi
    step "$name"
    # --workspace: the features the build above unified; without it cargo picks the root
    # package's alone and builds Burn and the zoo again (568 s of a cold CI run).
    cargo test --release --workspace --test parity --test onnx -- --exact "$name" || status=$?
    [ "$fresh" = 0 ] || rm -rf "${fixtures:?}/$name"
  done
  if [ -n "$writer" ]; then
    wait "$writer" || { echo "writing the heavy fixtures failed" >&2; status=1; }
    writer=""
  fi
  echo "== the heavy fixtures' writer said:"
  cat "$writer_log"
fi

step "tests done"
if [ -s "$report" ]; then
  echo
  echo "== measured figures"
  sort "$report"
fi
exit "$status"
