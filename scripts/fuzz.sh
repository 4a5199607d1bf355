#!/usr/bin/env bash
# Fuzzing the readers of untrusted input (fuzz/README.md):
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run each target SECONDS (default 60) on its
#                                           corpus, seeded from fuzz/seeds/<target>
#   scripts/fuzz.sh --replay [TARGET...]    replay the seeds and the regression inputs
#                                           (fuzz/regressions/<target>) once, then exit
# Targets: pth safetensors burnpack onnx idx image (default: all). Installs cargo-fuzz and
# the nightly toolchain when missing. A crash fails the script and is kept in fuzz/artifacts.
set -euo pipefail
cd "$(dirname "$0")/.."

replay=0
if [ "${1:-}" = "--replay" ]; then replay=1; shift; fi
secs=60
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then secs=$1; shift; fi
# libFuzzer reads -max_total_time=0 as "no limit".
[ "$secs" -gt 0 ] || { echo "fuzz.sh: SECONDS must be at least 1" >&2; exit 2; }
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pth safetensors burnpack onnx idx image)

# The fuzz build (nightly, sanitizers) keeps its own target folder, whatever the caller's is.
export CARGO_TARGET_DIR="${ZOO_FUZZ_TARGET_DIR:-$PWD/fuzz/target}"
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo fuzz --version > /dev/null 2>&1 || cargo install cargo-fuzz --locked

for t in "${targets[@]}"; do
  cargo +nightly fuzz build --release "$t"
done

for t in "${targets[@]}"; do
  dict=()
  [ "$t" = pth ] && dict=(-dict=fuzz/dict/pickle.dict)
  limits=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10)
  if [ "$replay" = 1 ]; then
    inputs=(fuzz/seeds/"$t")
    [ -d fuzz/regressions/"$t" ] && inputs+=(fuzz/regressions/"$t")
    echo "== replaying $t"
    cargo +nightly fuzz run --release "$t" "${inputs[@]}" -- \
      -runs=0 "${limits[@]}"
  else
    corpus=fuzz/corpus/$t
    mkdir -p "$corpus"
    cp -n fuzz/seeds/"$t"/* "$corpus"/ 2> /dev/null || true
    echo "== fuzzing $t for $secs s"
    cargo +nightly fuzz run --release "$t" "$corpus" fuzz/seeds/"$t" -- \
      -max_total_time="$secs" -print_final_stats=1 "${limits[@]}" ${dict[@]+"${dict[@]}"}
  fi
done
