#!/usr/bin/env bash
# Convert every checkpoint in a folder to Burn's format and print a table of what was done.
#
#   scripts/convert-weights.sh IN_DIR [OUT_DIR]
#
# Each .pth/.pt/.safetensors/.onnx file in IN_DIR is converted with `zoo convert` to
# OUT_DIR/<stem>.bpk (default OUT_DIR: IN_DIR/burnpack). The model is read from the file name
# up to its first '-', as torchvision names its files (resnet50-11ad3fa6.pth → resnet50);
# name others the same way. Every file is tried; the exit status is non-zero if any failed.
# ZOO_BIN: the zoo binary (default: built with cargo in release mode).
set -uo pipefail
in_dir="${1:?usage: scripts/convert-weights.sh IN_DIR [OUT_DIR]}"
out_dir="${2:-$in_dir/burnpack}"
mkdir -p "$out_dir"
if [ -n "${ZOO_BIN:-}" ]; then
  zoo=("$ZOO_BIN")
else
  cd "$(dirname "$0")/.." && cargo build --release -q -p zoo-cli || exit 1
  zoo=(cargo run --release -q -p zoo-cli --)
  cd - > /dev/null || exit 1
fi

printf '%-40s %-18s %12s  %-6s %s\n' file model parameters status "output / reason"
failed=0
shopt -s nullglob
for f in "$in_dir"/*.pth "$in_dir"/*.pt "$in_dir"/*.safetensors "$in_dir"/*.onnx; do
  name=$(basename "$f")
  stem="${name%.*}"
  model="${stem%%-*}"
  out="$out_dir/$stem.bpk"
  if log=$("${zoo[@]}" convert --model "$model" --from "$f" --to "$out" 2>&1); then
    params=$(printf '%s\n' "$log" | sed -n 's/.*: \([0-9]*\) parameters from.*/\1/p' | head -1)
    note=$(printf '%s\n' "$log" | sed -n 's/.*: \(left out .*\)/\1/p' | head -1)
    printf '%-40s %-18s %12s  %-6s %s\n' "$name" "$model" "$params" ok "$out${note:+ ($note)}"
  else
    failed=$((failed + 1))
    reason=$(printf '%s\n' "$log" | grep -v '^\s*$' | head -3 | tr -s ' \n' ' ' | cut -c1-160)
    printf '%-40s %-18s %12s  %-6s %s\n' "$name" "$model" "-" FAILED "$reason"
  fi
done
[ "$failed" -eq 0 ] || { echo "$failed file(s) failed" >&2; exit 1; }
