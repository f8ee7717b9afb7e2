#!/usr/bin/env python3
"""Cold-start benchmark of a Lambda function binary, without AWS.

Runs the release binary behind a minimal Lambda Runtime API on loopback and times, from the
process start: init (until the runtime's first GET .../invocation/next) and the first
invocation (until its response is POSTed), then warm invocations (each from the event handed
out to its response). The function's dependencies are the emulators started by
`scripts/emulators.sh start` (endpoint variables must be set), so network times are loopback
times, not AWS's. It also reads the function's own CPU time (every thread's, from
/proc/<pid>/task/*/schedstat, in nanoseconds) across the warm invocations: CPU per warm
invocation, whatever the emulators spend.

  python3 scripts/coldstart.py <binary> <event.json> [runs] [warm per run] [key mode]

The key mode applies to an API event with an `idempotency-key` header: `as-recorded` (the
default: after the first, every invocation is a replay), `fresh` (a new key per invocation, so
each is a new keyed submission) or `none` (the header removed: a submission without a key).
"""
import http.server
import json
import os
import socketserver
import statistics
import subprocess
import sys
import threading
import time

API = "/2018-06-01/runtime"


def events(event: bytes, key_mode: str):
    """The event of each invocation, after `key_mode` (see the module doc)."""
    if key_mode == "as-recorded":
        while True:
            yield event
    parsed = json.loads(event)
    headers = parsed.get("headers") or {}
    if "idempotency-key" not in headers:
        sys.exit("key mode given, but the event has no idempotency-key header")
    recorded = headers.pop("idempotency-key")
    n = 0
    while True:
        n += 1
        if key_mode == "fresh":
            headers["idempotency-key"] = f"{recorded}-{os.getpid()}-{time.monotonic_ns()}-{n}"
        yield json.dumps(parsed).encode()


class Runtime:
    def __init__(self, event, invocations: int):
        self.event = event  # an iterator of event bodies
        self.invocations = invocations
        self.left = invocations
        self.marks = []  # (what, monotonic time)
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.pid = None
        # The function's CPU time (ns) when it asks for its second event (init and the first
        # invocation done) and when it asks after its last.
        self.cpu_after_first = None
        self.cpu_at_end = None


def cpu_ns(pid):
    """CPU time of every thread of `pid` so far, in nanoseconds (0 without procfs)."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total


def handler_for(runtime: Runtime):
    class Handler(http.server.BaseHTTPRequestHandler):
        # Keep-alive, as Lambda's Runtime API: HTTP/1.0 would make the function open two
        # connections per invocation (next, response), kernel CPU that Lambda does not cost.
        protocol_version = "HTTP/1.1"
        # TCP_NODELAY: on a kept-alive connection the event's body (written after its headers)
        # would wait for the function's delayed ACK, 40 ms in every warm invocation.
        disable_nagle_algorithm = True

        def log_message(self, *_):
            pass

        def do_GET(self):
            if self.path != f"{API}/invocation/next":
                self.send_error(404)
                return
            with runtime.lock:
                runtime.marks.append(("next", time.monotonic()))
                if runtime.pid is not None:
                    if runtime.left == runtime.invocations - 1:
                        runtime.cpu_after_first = cpu_ns(runtime.pid)
                    elif runtime.left == 0:
                        runtime.cpu_at_end = cpu_ns(runtime.pid)
                if runtime.left == 0:
                    runtime.done.set()
                    return  # leave the runtime waiting; the process is killed
                runtime.left -= 1
            event = next(runtime.event)
            deadline_ms = int(time.time() * 1000) + 30_000
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Lambda-Runtime-Aws-Request-Id", f"req-{runtime.left}")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline_ms))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
            self.send_header("Content-Length", str(len(event)))
            self.end_headers()
            self.wfile.write(event)

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with runtime.lock:
                runtime.marks.append(("response" if self.path.endswith("/response") else "error", time.monotonic()))
                runtime.last_body = body
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler

# What every script that runs AWS code here sets (as scripts/emulators.sh exports them).
EMULATOR_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def run_once(binary: str, event: bytes, warm: int, key_mode: str):
    runtime = Runtime(events(event, key_mode), 1 + warm)
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler_for(runtime))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(os.environ)
    # Emulators only: dummy credentials, and never the instance metadata address.
    for name, value in EMULATOR_AWS_ENV.items():
        env.setdefault(name, value)
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "RUST_LOG": os.environ.get("RUST_LOG", "info"),  # as template.yaml deploys it
    })
    start = time.monotonic()
    process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with runtime.lock:
        runtime.pid = process.pid
    finished = runtime.done.wait(60 + warm)
    # SIGTERM first, as Lambda ends an execution environment (a profiler such as callgrind,
    # given as the binary's wrapper, writes its data then); SIGKILL after a grace period.
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
    stderr = process.communicate()[1].decode(errors="replace")
    server.shutdown()
    if not finished:
        sys.exit(f"the function did not finish its invocations; stderr:\n{stderr}")
    marks = runtime.marks
    if any(what == "error" for what, _ in marks):
        sys.exit(f"an invocation failed; stderr:\n{stderr}")
    init = marks[0][1] - start
    first = marks[1][1] - marks[0][1]
    # marks: next, response (the first), then next/response per warm invocation, and the
    # final next; a warm invocation runs from its event (next) to its response.
    warm_times = [marks[3 + 2 * i][1] - marks[2 + 2 * i][1] for i in range(warm)]
    cpu = None
    if warm and runtime.cpu_after_first and runtime.cpu_at_end:
        cpu = (runtime.cpu_at_end - runtime.cpu_after_first) / warm / 1e9
    return init, first, warm_times, cpu, runtime.last_body


def main():
    binary, event_path = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    warm_per_run = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    key_mode = sys.argv[5] if len(sys.argv) > 5 else "as-recorded"
    if key_mode not in ("as-recorded", "fresh", "none"):
        sys.exit(f"key mode: as-recorded, fresh or none, not {key_mode!r}")
    event = open(event_path, "rb").read()
    inits, firsts, warms, cpus = [], [], [], []
    for _ in range(runs):
        init, first, warm, cpu, last = run_once(binary, event, warm_per_run, key_mode)
        inits.append(init)
        firsts.append(first)
        warms.extend(warm)
        if cpu is not None:
            cpus.append(cpu)
    ms = lambda xs: f"{statistics.median(xs) * 1000:.1f} ms (max {max(xs) * 1000:.1f})"
    size = os.path.getsize(binary) / (1024 * 1024)
    print(f"binary                 {os.path.basename(binary)}  {size:.1f} MiB")
    print(f"init (start -> ready)  {ms(inits)}")
    print(f"first invocation       {ms(firsts)}")
    print(f"warm invocations       {ms(warms)}")
    if cpus:
        print(f"warm CPU/invocation    {ms(cpus)} over {warm_per_run} per run")
    print(f"last answer            {last[:160]!r}")


if __name__ == "__main__":
    main()
