# Sourced by scripts/transfer.sh and scripts/gan.sh: Fashion-MNIST's folder in $fashion
# (Debian's dataset-fashion-mnist, installed when run as root; $ZOO_FASHION overrides), and
# `timed`, which runs a command and records its wall and CPU seconds.
fashion="${ZOO_FASHION:-/usr/share/datasets/fashion-mnist}"
if [ ! -e "$fashion/train-images-idx3-ubyte.gz" ] && [ "$(id -u)" = 0 ] && [ -z "${ZOO_FASHION:-}" ]; then
  echo "== installing dataset-fashion-mnist"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist > /dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist > /dev/null; }
fi
[ -e "$fashion/train-images-idx3-ubyte.gz" ] ||
  { echo "$fashion has no Fashion-MNIST training set (apt install dataset-fashion-mnist)" >&2; exit 1; }

timed() { # writes "wall cpu" seconds of the command to $1, its stdout to $2, stderr to $1.log
  local times=$1 stdout=$2 TIMEFORMAT='%R %U %S'; shift 2
  if ! { time "$@" > "$stdout" 2> "$times.log"; } 2> "$times.t"; then
    tail -5 "$times.log" >&2; return 1
  fi
  awk '{print $1, $2 + $3}' "$times.t" > "$times"; rm -f "$times.t"
}
