# Sourced by scripts/test.sh and scripts/bench.sh: makes the reference venv (torch,
# torchvision, timm, onnx, onnxruntime) at $venv once, and again when requirements.txt changes.
venv="${ZOO_VENV:-$PWD/.venv}"
want_venv=$(sha256sum scripts/requirements.txt | cut -d' ' -f1)
if [ "$(cat "$venv/.zoo-stamp" 2>/dev/null)" != "$want_venv" ]; then
  echo "== creating the reference venv in $venv (torch, torchvision, timm; a few minutes)"
  python3 -m venv "$venv"
  # No wheel cache: the CUDA build of torch PyPI serves pulls about 4 GB of wheels, which the cache
  # would keep twice over on a disk that CI shares.
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r scripts/requirements.txt
  echo "$want_venv" > "$venv/.zoo-stamp"
fi
