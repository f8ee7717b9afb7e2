#!/usr/bin/env bash
# Builds the Lambda functions as `sam build` does (cargo-lambda, release profile, arm64 for
# provided.al2023), zips each bootstrap, and fails if any binary needs a glibc newer than the
# runtime's (Amazon Linux 2023 ships glibc 2.34) or an aws-lc symbol slipped back in.
#
#   scripts/package.sh            # -> target/lambda/<function>/bootstrap and bootstrap.zip
#   ADGEN_PACKAGE_TARGET=x86_64 scripts/package.sh   # the x86_64 build instead
#   ADGEN_PACKAGE_CHECK_ONLY=1 scripts/package.sh     # CI: same code, features and target, but
#       unoptimised, without LTO and with parallel codegen (what is linked and which glibc is
#       needed do not change; the binaries are larger and slower than the shipped ones, so sizes
#       are not those; 3.5 min instead of 12.5 on a fresh 2-core machine, the same glibc 2.30)
#
# cargo-lambda and zig (its cross linker) come from PyPI into $ADGEN_TOOLS_DIR/lambda-venv. The
# arm64 standard library comes from `rustup target add`; where that download is not reachable,
# the script says so and checks the x86_64 build instead (same code, same glibc rule).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TOOLS_DIR="${ADGEN_TOOLS_DIR:-$PWD/.tools}"
VENV="$TOOLS_DIR/lambda-venv"
CARGO_LAMBDA_SPEC='cargo-lambda==1.9.2'
ZIG_SPEC='ziglang==0.15.1'
MAX_GLIBC='2.34'
FUNCTIONS=(submit jobs brands webhooks generate deliver intake sweep)
TARGET="${ADGEN_PACKAGE_TARGET:-arm64}"

log() { printf 'package: %s\n' "$*" >&2; }
source scripts/venv.sh

pip_venv "$VENV" "$CARGO_LAMBDA_SPEC" "$ZIG_SPEC"
# cargo-lambda finds zig as `python3 -m ziglang` (the venv's python comes first).
export PATH="$VENV/bin:$PATH"

if [[ "$TARGET" == arm64 ]] && ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  if ! rustup target add aarch64-unknown-linux-gnu >&2; then
    log "warning: the aarch64 standard library could not be downloaded here; checking the x86_64 build instead"
    TARGET=x86_64
  fi
fi
arch_flag="--arm64"
[[ "$TARGET" == x86_64 ]] && arch_flag="--x86-64"

if [[ -n "${ADGEN_PACKAGE_CHECK_ONLY:-}" ]]; then
  export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=0
  log "check-only build: no optimisation, no LTO, 16 codegen units (sizes below are not the shipped ones)"
fi
packages=()
for f in "${FUNCTIONS[@]}"; do packages+=(-p "adgen-$f"); done
t0=$SECONDS
log "cargo lambda build --release $arch_flag (${FUNCTIONS[*]})"
cargo lambda build --release "$arch_flag" "${packages[@]}" >&2
log "built in $((SECONDS - t0)) s"

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
status=0
printf '%-10s %10s %10s %8s\n' function binary zip glibc
for f in "${FUNCTIONS[@]}"; do
  bin="$target_dir/lambda/$f/bootstrap"
  if [[ ! -f "$bin" ]]; then
    log "error: $bin was not built"
    status=1
    continue
  fi
  glibc="$(readelf --version-info --wide "$bin" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)"
  if [[ -n "$glibc" && "$(printf '%s\n%s\n' "$glibc" "$MAX_GLIBC" | sort -V | tail -n 1)" != "$MAX_GLIBC" ]]; then
    log "error: $f needs glibc $glibc; provided.al2023 has $MAX_GLIBC"
    status=1
  fi
  if readelf --symbols --wide "$bin" | grep -q 'aws_lc_'; then
    log "error: $f links aws-lc (ring is the one TLS crypto provider)"
    status=1
  fi
  python3 - "$bin" <<'PY'
import sys, zipfile
path = sys.argv[1]
with zipfile.ZipFile(path + ".zip", "w", zipfile.ZIP_DEFLATED) as z:
    info = zipfile.ZipInfo("bootstrap")
    info.external_attr = 0o100755 << 16  # executable, as Lambda requires
    info.compress_type = zipfile.ZIP_DEFLATED
    with open(path, "rb") as f:
        z.writestr(info, f.read())
PY
  printf '%-10s %9sK %9sK %8s\n' "$f" "$(($(stat -c %s "$bin") / 1024))" "$(($(stat -c %s "$bin.zip") / 1024))" "${glibc:-none}"
done
if ((status == 0)); then
  log "every function builds for $TARGET and needs at most glibc $MAX_GLIBC"
fi
exit "$status"
