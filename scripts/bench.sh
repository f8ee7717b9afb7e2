#!/usr/bin/env bash
# Reproduces the image-pipeline figures of docs/performance.md from a clean checkout: builds and
# runs the pipeline bench (release), runs libvips on the same files and steps (Debian's libvips,
# installed here when missing, driven through pyvips in its own venv, once with one thread and
# once with libvips' default), and writes docs/performance.md with both and their ratios.
#
#   scripts/bench.sh [OUT]        (OUT defaults to docs/performance.md)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/venv.sh

out="${1:-docs/performance.md}"
tools="${ADGEN_TOOLS_DIR:-$PWD/.tools}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! ldconfig -p | grep -q 'libvips.so.42'; then
  echo "installing libvips (Debian's libvips-tools)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q libvips-tools >&2
fi
pip_venv "$tools/vips-venv" pyvips==2.2.3

echo "==> pipeline bench (release)" >&2
ADGEN_BENCH_DIR="$work" cargo bench -p adgen-render --bench pipeline | tee "$work/pipeline.txt" >&2

echo "==> libvips, one thread and default threads" >&2
VIPS_CONCURRENCY=1 "$tools/vips-venv/bin/python" scripts/vips_bench.py "$work" >"$work/vips-1.json"
"$tools/vips-venv/bin/python" scripts/vips_bench.py "$work" >"$work/vips-n.json"

python3 scripts/vips_bench.py --report "$work" >"$out"
echo "wrote $out" >&2
