#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of every target in fuzz/, each for a bounded
# time on its committed corpus: CI's fuzz smoke. Inputs the fuzzer finds go to a scratch folder,
# never into the committed corpus (refresh it deliberately: see docs/reliability.md).
#   scripts/fuzz.sh                 # every target, ADGEN_FUZZ_SECONDS (20) each
#   scripts/fuzz.sh images 600      # one target, ten minutes
# Needs the nightly toolchain (sanitizer coverage); installs cargo-fuzz under .tools/ once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tools="${ADGEN_TOOLS_DIR:-$PWD/.tools}"
if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "fuzz: the nightly toolchain is required (rustup toolchain install nightly)" >&2
  exit 1
fi
export PATH="$tools/cargo/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz into $tools/cargo"
  cargo install cargo-fuzz --locked --root "$tools/cargo" --quiet
fi

seconds="${2:-${ADGEN_FUZZ_SECONDS:-20}}"
targets="${1:-$(cd fuzz && cargo +nightly fuzz list)}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
summary=()
cd fuzz
# One target/ for the whole repository: fuzz builds live in target/fuzz.
dir="$PWD/../target/fuzz"
# No AddressSanitizer: the code under test is safe Rust (no `unsafe` of ours), so it has no
# memory errors to find; panics and hangs are what the targets look for, and libFuzzer catches
# those on its own, as -rss_limit_mb catches over-allocation (-malloc_limit_mb needs a
# sanitizer's allocator hooks, so it only applies to sanitized builds). Without it the build
# takes about half the time and each run executes several times more inputs.
sanitizer=(--sanitizer none)
# One build of every target first (the runs then start at once).
cargo +nightly fuzz build --release "${sanitizer[@]}" --target-dir "$dir" $([ -n "${1:-}" ] && echo "$1")
for target in $targets; do
  mkdir -p "$scratch/$target"
  log="$scratch/$target.log"
  # -rss_limit_mb / -malloc_limit_mb: an input that makes a decoder allocate past the limits
  # is a finding, as is one that runs longer than -timeout seconds.
  if ! cargo +nightly fuzz run --release "${sanitizer[@]}" --target-dir "$dir" "$target" "$scratch/$target" "corpus/$target" -- \
      -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz: $target FAILED (the crashing input is under fuzz/artifacts/$target/)" >&2
    exit 1
  fi
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')"
  summary+=("$target: $runs executions in ${seconds} s, coverage $cov edges, no crash")
done
printf 'fuzz: %s\n' "${summary[@]}"
