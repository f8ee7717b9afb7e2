#!/usr/bin/env bash
# The HTTP contract, fuzzed from its own document: schemathesis generates requests from
# docs/openapi.yaml (valid and invalid ones) and sends them to a fresh `adgen serve` with its
# demo key; a server error, a response outside the documented schema, status or headers, or a
# valid request refused fails the run.
#
#   scripts/contract.sh                     # ADGEN_CONTRACT_MAX_EXAMPLES per operation (default 50)
#   ADGEN_CONTRACT_SEED=42 scripts/contract.sh   # reproduce a run
#
# schemathesis lives in its own venv under $ADGEN_TOOLS_DIR (its pins are not moto's).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

TOOLS_DIR="${ADGEN_TOOLS_DIR:-$PWD/.tools}"
VENV="$TOOLS_DIR/schemathesis-venv"
SCHEMATHESIS_SPEC='schemathesis==4.32.5'
MAX_EXAMPLES="${ADGEN_CONTRACT_MAX_EXAMPLES:-50}"
SEED="${ADGEN_CONTRACT_SEED:-$RANDOM}"
STARTUP_SECONDS=60

log() { printf 'contract: %s\n' "$*" >&2; }
source scripts/venv.sh

pip_venv "$VENV" "$SCHEMATHESIS_SPEC"
cargo build --quiet -p adgen-local --bin adgen
bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/adgen"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The offline template renderer, whatever this shell's environment says; loopback URLs stay
# refused (the production rules), so generated URLs never reach a local service.
env -u ADGEN_GENERATOR RUST_LOG=warn "$bin" serve --port 0 --data-dir "$work/data" \
  >"$work/stdout" 2>"$work/server.log" &
server_pid=$!
base_url=""
for _ in $(seq $((STARTUP_SECONDS * 10))); do
  base_url="$(sed -n 's/^adgen serving \([^ ]*\).*/\1/p' "$work/stdout")"
  [[ -n "$base_url" ]] && break
  kill -0 "$server_pid" 2>/dev/null || {
    cat "$work/server.log" >&2
    log "adgen serve exited"
    exit 1
  }
  sleep 0.1
done
[[ -n "$base_url" ]] || {
  log "adgen serve did not start within $STARTUP_SECONDS s"
  exit 1
}
key="$(sed -n 's/^ *export ADGEN_API_KEY=//p' "$work/stdout")"

log "schemathesis against $base_url: up to $MAX_EXAMPLES cases per operation and phase, seed $SEED"
status=0
# Every check runs; scripts/schemathesis.toml widens one of them where the contract refuses
# schema-valid requests on purpose, naming the rule for each, and scripts/contract_hooks.py
# drops the one report that counting lengths after trimming explains.
PYTHONPATH="$PWD/scripts${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=contract_hooks \
  "$VENV/bin/schemathesis" --config-file scripts/schemathesis.toml run docs/openapi.yaml \
  --url "$base_url" \
  --header "Authorization: Bearer $key" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  --seed "$SEED" \
  --workers 2 \
  --request-timeout 40 \
  --no-color \
  --report junit --report-dir "$work/report" || status=$?
if ((status != 0)); then
  log "failed (seed $SEED); the server's log:"
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
