#!/usr/bin/env bash
# Reproduces the figures of docs/performance.md from a clean checkout: builds and runs the
# pipeline bench (release), runs libvips on the same files and steps (Debian's libvips, installed
# here when missing, driven through pyvips in its own venv, once with one thread and once with
# libvips' default), runs the job-memory bench, times the submit function on the cold-start
# harness beside its Python peer (scripts/peers/powertools_submit, Powertools for AWS Lambda, in
# its own venv), and writes docs/performance.md with all of it and the ratios.
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
if ! command -v nasm >/dev/null 2>&1; then
  # libjpeg-turbo's x86_64 SIMD (the JPEG encoder) is assembled by NASM.
  echo "installing nasm" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nasm >&2
fi
pip_venv "$tools/vips-venv" pyvips==2.2.3
# The Python peer of the submit function (its bootstrap runs this venv): the pins, one a line.
mapfile -t powertools_pins < <(grep -v '^#' scripts/peers/powertools_submit/requirements.txt | grep .)
pip_venv "$tools/powertools-venv" "${powertools_pins[@]}"

echo "==> pipeline bench (release)" >&2
ADGEN_BENCH_DIR="$work" cargo bench -p adgen-render --bench pipeline | tee "$work/pipeline.txt" >&2

echo "==> libvips, one thread and default threads" >&2
VIPS_CONCURRENCY=1 "$tools/vips-venv/bin/python" scripts/vips_bench.py "$work" >"$work/vips-1.json"
"$tools/vips-venv/bin/python" scripts/vips_bench.py "$work" >"$work/vips-n.json"

echo "==> memory of one job (release)" >&2
cargo bench -p adgen-tests --bench job_memory | tee "$work/job_memory.txt" >&2

echo "==> submit function on the cold-start harness (release, emulators)" >&2
cargo build --release -p adgen-submit >&2
exports="$(bash scripts/emulators.sh start)"
eval "$exports"
trap 'bash scripts/emulators.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
submit_bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/submit"
peer_bin=scripts/peers/powertools_submit/bootstrap
for mode in none fresh as-recorded; do
  # A fresh table, queue and bucket per mode: moto's queue grows slower as messages pile up.
  eval "$("$ADGEN_PYTHON" scripts/coldstart-setup.py)"
  python3 scripts/coldstart.py "$submit_bin" events/submit-valid.json 5 200 "$mode" >"$work/submit-$mode.txt"
  # Right after, the Powertools peer (Python) in the same mode, on a fresh table and queue too.
  eval "$("$ADGEN_PYTHON" scripts/coldstart-setup.py)"
  ADGEN_TOOLS_DIR="$tools" python3 scripts/coldstart.py "$peer_bin" events/submit-valid.json 5 200 "$mode" >"$work/peer-$mode.txt"
done

python3 scripts/vips_bench.py --report "$work" >"$out"
{
  echo
  echo "## Memory of one job"
  echo
  echo "One generation job end to end through the worker (embedded adapters, template generator,"
  echo "JPEG output), in a fresh process per case: peak resident memory (VmHWM, reset just before"
  echo "the job) against the process's resident memory before it. The references are read from the"
  echo "blob store during the job, so their encoded bytes count in the peak, as they do in a server."
  echo "Each reference is decoded straight to the collage cell it fills (JPEG at 1/2, 1/4 or 1/8"
  echo "from its DCT coefficients), one at a time. \`cargo bench -p adgen-tests --bench job_memory\`:"
  echo
  grep '^|' "$work/job_memory.txt"
  echo
  # Ours and the Powertools peer, mode by mode, with the ratios.
  python3 scripts/vips_bench.py --submit-report "$work"
} >>"$out"
echo "wrote $out" >&2
