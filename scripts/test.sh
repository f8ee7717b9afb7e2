#!/usr/bin/env bash
# The test command: installs and starts the AWS emulators (DynamoDB Local, moto for SQS/S3),
# runs the whole workspace's tests against them, and stops the emulators however it ends.
#   scripts/test.sh [extra cargo test args, e.g. -- --nocapture]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/emulators.sh install

trap 'bash scripts/emulators.sh stop' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# An assignment, not `eval "$(...)"`, so that a failed start stops the script under `set -e`.
exports="$(bash scripts/emulators.sh start)"
eval "$exports"

log="$(mktemp)"
trap 'bash scripts/emulators.sh stop; rm -f "$log"' EXIT
status=0
# pipefail: the status is cargo's, not tee's.
cargo test --workspace --all-targets --no-fail-fast "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole workspace (cargo prints one per test binary).
awk '/^test result:/ { passed += $4; failed += $6 } END { printf "tests: %d passed, %d failed\n", passed, failed }' "$log"
exit "$status"
