#!/usr/bin/env bash
# The zoo in the browser: builds the WebAssembly module (crates/web) and the demo page (web/).
#   scripts/web.sh           build into target/web, then serve it on http://127.0.0.1:8000
#                            (another port: PORT=8080 scripts/web.sh)
#   scripts/web.sh --build   build only
#   scripts/web.sh --test    build, then the browser test (web/test.mjs, headless Chromium): the
#                            page's answers must be `zoo classify`'s; writes docs/web-demo.png
# Installs what it lacks: the wasm32 target, wasm-bindgen-cli at the version in Cargo.lock and,
# for --test, Debian's chromium and binaryen (root only) and puppeteer-core (npm ci in web/).
# The MNIST LeNet and the CIFAR-10 ResNet-20 are converted from ../shared/data (ZOO_SHARED) at
# build time; without it the page has the embedded LeNet-5 alone.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
mode=serve
case "${1:-}" in
  "") ;;
  --build) mode=build ;;
  --test) mode=test ;;
  *) sed -n '2,8p' "$0" >&2; exit 2 ;;
esac
out="${ZOO_WEB_OUT:-$CARGO_TARGET_DIR/web}"
shared="${ZOO_SHARED:-$PWD/../shared/data}"

if [ "$mode" = test ] && [ "$(id -u)" = 0 ]; then
  missing=()
  command -v chromium > /dev/null || missing+=(chromium)
  command -v wasm-opt > /dev/null || missing+=(binaryen)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" > /dev/null \
      || { apt-get update > /dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" > /dev/null; }
  fi
fi
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' Cargo.lock)
if [ "$(wasm-bindgen --version 2> /dev/null | cut -d' ' -f2)" != "$bindgen" ]; then
  echo "== installing wasm-bindgen-cli $bindgen"
  cargo install --quiet wasm-bindgen-cli --version "$bindgen"
fi

echo "== building the WebAssembly module"
cargo build --release --target wasm32-unknown-unknown -p zoo-web --lib
rm -rf "$out"
mkdir -p "$out"
wasm="$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/zoo_web.wasm"
raw=$(stat -c %s "$wasm")
if command -v wasm-opt > /dev/null; then
  # Before wasm-bindgen: Debian's binaryen (108) breaks the externref table bindgen sets up.
  mkdir -p "$CARGO_TARGET_DIR/wasm-opt"
  wasm-opt -O3 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
    --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue --enable-simd \
    "$wasm" -o "$CARGO_TARGET_DIR/wasm-opt/zoo_web.wasm"
  wasm="$CARGO_TARGET_DIR/wasm-opt/zoo_web.wasm"
fi
wasm-bindgen --target web --no-typescript --out-dir "$out/pkg" "$wasm"
served="$out/pkg/zoo_web_bg.wasm"
echo "zoo_web.wasm: $raw bytes from rustc, $(stat -c %s "$served") served" \
  "($(gzip -9c "$served" | wc -c) gzipped)"
cp web/index.html web/app.js web/style.css "$out/"
# Built with the whole workspace's features, so that the release build the tests left serves it
# (`-p zoo-web` alone selects other features of Burn and rebuilt it in release: about 8 of the
# browser test's 17 minutes in a CI run here, the WebAssembly build being most of the rest).
cargo build --quiet --release --workspace --example prepare
"$CARGO_TARGET_DIR/release/examples/prepare" "$shared" tests/data/fashion-mnist/samples "$out"

case "$mode" in
  serve)
    echo "== serving $out on http://127.0.0.1:${PORT:-8000}/ (Ctrl-C stops)"
    exec python3 -m http.server --bind 127.0.0.1 --directory "$out" "${PORT:-8000}"
    ;;
  test)
    echo "== what zoo classify answers for the same images"
    source scripts/zoo-bin.sh
    mkdir -p "$out/expected"
    python3 - "$out" > "$out/expected/commands" << 'PY'
import json, sys
site = sys.argv[1]
for m in json.load(open(f"{site}/manifest.json"))["models"]:
    weights = f"--weights {site}/{m['weights']}" if m["weights"] else ""
    files = " ".join(f"{site}/{s}" for s in m["samples"])
    print(f"{m['name']}\t--model {m['name']} {weights} {files}")
PY
    while IFS=$'\t' read -r name args; do
      # shellcheck disable=SC2086 # word splitting of the argument list is intended
      "$zoo" classify --json --top-k 5 $args > "$out/expected/$name.jsonl"
    done < "$out/expected/commands"
    (cd web && npm ci --silent --no-audit --no-fund)
    node web/test.mjs "$out" docs/web-demo.png
    ;;
esac
