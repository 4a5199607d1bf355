#!/usr/bin/env bash
# Convert every checkpoint in a folder to Burn's format and print a table of what was done.
#
#   scripts/convert-weights.sh [--model NAME] IN_DIR OUT_DIR     (--model first, if given)
#
# Each .pth/.pt/.th/.safetensors/.onnx file in IN_DIR is converted with `zoo convert` to
# OUT_DIR/<stem>.bpk (OUT_DIR must differ from IN_DIR: inputs are never written over or beside).
# The model is NAME for every file with --model; without it, the file name up to its first '-'
# when that is a variant of `zoo list` (torchvision's naming: resnet50-11ad3fa6.pth →
# resnet50), and otherwise the file is reported as FAILED ("pass --model"), never guessed
# further. Other files in IN_DIR are listed as skipped. Every file is tried; the exit status is
# non-zero if any failed. ZOO_BIN: the zoo binary (default: built with cargo in release mode).
set -uo pipefail
usage="usage: scripts/convert-weights.sh [--model NAME] IN_DIR OUT_DIR"
model_arg=""
if [ "${1:-}" = "--model" ]; then model_arg="${2:?$usage}"; shift 2; fi
in_dir="${1:?$usage}"
out_dir="${2:?$usage}"
[ -d "$in_dir" ] || { echo "$in_dir: not a folder" >&2; exit 2; }
mkdir -p "$out_dir" || exit 2
if [ "$(cd "$in_dir" && pwd -P)" = "$(cd "$out_dir" && pwd -P)" ]; then
  echo "OUT_DIR is IN_DIR: give another folder for the converted files" >&2; exit 2
fi
if [ -n "${ZOO_BIN:-}" ]; then
  zoo=("$ZOO_BIN")
else
  manifest="$(cd "$(dirname "$0")/.." && pwd)/Cargo.toml"
  cargo build --manifest-path "$manifest" --release -q --bin zoo || exit 1
  zoo=(cargo run --manifest-path "$manifest" --release -q --bin zoo --)
fi
listing=$("${zoo[@]}" list --json) || { echo "zoo list failed: cannot check model names" >&2; exit 2; }
variants=$(printf '%s\n' "$listing" | sed -n 's/.*"variant":"\([^"]*\)".*/\1/p')

row() { printf '%-40s %-18s %12s  %-7s %s\n' "$@"; }
row file model parameters status "output / reason"
failed=0
written=()
for f in "$in_dir"/*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  case "$name" in
    *.pth|*.pt|*.th|*.safetensors|*.onnx) ;;
    *) row "$name" - - skipped "not a weight file (.pth .pt .th .safetensors .onnx)"; continue ;;
  esac
  stem="${name%.*}"
  model="${model_arg:-${stem%%-*}}"
  if [ -z "$model_arg" ] && ! printf '%s\n' "$variants" | grep -qxF -- "$model"; then
    failed=$((failed + 1))
    row "$name" "?" - FAILED "\`$model\` (from the file name) is not a variant: pass --model"
    continue
  fi
  out="$out_dir/$stem.bpk"
  # x.pth and x.safetensors would both become x.bpk: the second is refused, not written over.
  if printf '%s\n' "${written[@]}" | grep -qxF -- "$out"; then
    failed=$((failed + 1))
    row "$name" "$model" - FAILED "$out is another file's output (same stem): rename one"
    continue
  fi
  written+=("$out")
  if log=$("${zoo[@]}" convert --model "$model" --from "$f" --to "$out" 2>&1); then
    params=$(printf '%s\n' "$log" | sed -n 's/.*: \([0-9]*\) parameters from.*/\1/p' | head -1)
    note=$(printf '%s\n' "$log" | sed -n 's/.*: \(left out .*\)/\1/p' | head -1)
    row "$name" "$model" "$params" ok "$out${note:+ ($note)}"
  else
    failed=$((failed + 1))
    reason=$(printf '%s\n' "$log" | grep -v '^\s*$' | head -3 | tr -s ' \n' ' ' | cut -c1-160)
    row "$name" "$model" "-" FAILED "$reason"
  fi
done
[ "$failed" -eq 0 ] || { echo "$failed file(s) failed" >&2; exit 1; }
