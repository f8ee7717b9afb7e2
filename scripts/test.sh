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

status=0
cargo test --workspace --all-targets --no-fail-fast "$@" || status=$?
exit "$status"
