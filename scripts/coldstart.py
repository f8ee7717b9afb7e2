#!/usr/bin/env python3
"""Cold-start benchmark of a Lambda function binary, without AWS.

Runs the release binary behind a minimal Lambda Runtime API on loopback and times, from the
process start: init (until the runtime's first GET .../invocation/next) and the first
invocation (until its response is POSTed), then a few warm invocations. The function's
dependencies are the emulators started by `scripts/emulators.sh start` (endpoint variables
must be set), so network times are loopback times, not AWS's.

  python3 scripts/coldstart.py <binary> <event.json> [runs]
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


class Runtime:
    def __init__(self, event: bytes, invocations: int):
        self.event = event
        self.left = invocations
        self.marks = []  # (what, monotonic time)
        self.done = threading.Event()
        self.lock = threading.Lock()


def handler_for(runtime: Runtime):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *_):
            pass

        def do_GET(self):
            if self.path != f"{API}/invocation/next":
                self.send_error(404)
                return
            with runtime.lock:
                runtime.marks.append(("next", time.monotonic()))
                if runtime.left == 0:
                    runtime.done.set()
                    return  # leave the runtime waiting; the process is killed
                runtime.left -= 1
            deadline_ms = int(time.time() * 1000) + 30_000
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Lambda-Runtime-Aws-Request-Id", f"req-{runtime.left}")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline_ms))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:bench")
            self.send_header("Content-Length", str(len(runtime.event)))
            self.end_headers()
            self.wfile.write(runtime.event)

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


def run_once(binary: str, event: bytes, warm: int):
    runtime = Runtime(event, 1 + warm)
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
        "RUST_LOG": "warn",
    })
    start = time.monotonic()
    process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finished = runtime.done.wait(60)
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
    warm_times = [marks[2 + 2 * i][1] - marks[1 + 2 * i][1] for i in range(warm)]
    return init, first, warm_times, runtime.last_body


def main():
    binary, event_path = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    event = open(event_path, "rb").read()
    inits, firsts, warms = [], [], []
    for _ in range(runs):
        init, first, warm, last = run_once(binary, event, warm=5)
        inits.append(init)
        firsts.append(first)
        warms.extend(warm)
    ms = lambda xs: f"{statistics.median(xs) * 1000:.1f} ms (max {max(xs) * 1000:.1f})"
    size = os.path.getsize(binary) / (1024 * 1024)
    print(f"binary                 {os.path.basename(binary)}  {size:.1f} MiB")
    print(f"init (start -> ready)  {ms(inits)}")
    print(f"first invocation       {ms(firsts)}")
    print(f"warm invocations       {ms(warms)}")
    print(f"last answer            {last[:160]!r}")


if __name__ == "__main__":
    main()
