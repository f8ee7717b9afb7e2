"""libvips on the same files and steps as the pipeline bench (scripts/bench.sh runs both).

Usage: vips_bench.py DIR    (DIR: what `ADGEN_BENCH_DIR=DIR cargo bench -p adgen-render
--bench pipeline` wrote). Prints a JSON object of libvips figures on stdout.
       vips_bench.py --report DIR    Prints docs/performance.md from DIR's pipeline.json,
pipeline.txt, vips-1.json and vips-n.json (no pyvips needed).
       vips_bench.py --submit-report DIR    Prints its "Submit path" section from DIR's
submit-<mode>.txt (ours) and peer-<mode>.txt (the Powertools peer), scripts/coldstart.py's output.

Each step runs inside this process on images already in memory, so no process start or file
read is timed: the references' compressed bytes for `thumbnail_buffer` (shrink-on-load: libjpeg
decodes at 1/2, 1/4 or 1/8 scale straight from the DCT coefficients), each ad's pixels for the
encoders. Results are forced into memory (`write_to_memory`), as the pipeline's decode gives
RGBA pixels. Encoders use the same settings as adgen's: JPEG Q90 (libvips then keeps chroma at
full resolution, as adgen does from quality 90), WebP Q85 (libwebp, effort 4, as adgen), PNG
deflate level 2.

VIPS_CONCURRENCY (libvips' worker threads) is the caller's choice; bench.sh runs one thread, as
the generate function has one vCPU (1769 MB), and the default for reference.
"""

import json
import re
import statistics
import sys
import time
from pathlib import Path



def median_ms(runs, step):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def measure(folder):
    import pyvips

    plan = json.loads((folder / "pipeline.json").read_text())
    refs = [(folder / f"ref{i}.jpg").read_bytes() for i in range(plan["references"])]
    import os

    # libvips' default is one worker thread per core; VIPS_CONCURRENCY overrides it.
    out = {"concurrency": int(os.environ.get("VIPS_CONCURRENCY") or os.cpu_count() or 1)}
    out["vips_version"] = ".".join(str(pyvips.version(i)) for i in range(3))
    for col, side in enumerate(plan["sides"]):
        runs = plan["runs"][col]
        width, height = plan[f"decode_{side}_size"]

        def thumbnails():
            for data in refs:
                # Fits inside width×height: the pipeline's own decoded size (which covers the
                # cell), so both produce the same pixels' worth.
                image = pyvips.Image.thumbnail_buffer(data, width, height=height)
                image.write_to_memory()

        out[f"thumbnail_{side}_ms"] = median_ms(runs, thumbnails)
        ad = pyvips.Image.new_from_file(str(folder / f"ad-{side}.png")).copy_memory()
        for name, save in [
            ("jpeg_q90", lambda: ad.jpegsave_buffer(Q=90)),
            ("webp_q85", lambda: ad.webpsave_buffer(Q=85)),
            ("png", lambda: ad.pngsave_buffer(compression=2)),
        ]:
            size = len(save())
            out[f"{name}_{side}_ms"] = median_ms(runs, save)
            out[f"{name}_{side}_bytes"] = size
    json.dump(out, sys.stdout, indent=2)
    print()


def report(folder):
    import datetime
    import os
    import platform

    ours = json.loads((folder / "pipeline.json").read_text())
    one = json.loads((folder / "vips-1.json").read_text())
    many = json.loads((folder / "vips-n.json").read_text())
    sides = ours["sides"]
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def ms(v):
        return f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms"

    def size(b):
        return f"{b / 1024:.0f} KiB" if b < 1024 * 1024 else f"{b / (1024 * 1024):.2f} MiB"

    lines = [
        "# Performance",
        "",
        "Written by `scripts/bench.sh` (do not edit by hand: run it again). Everything below was",
        "measured in one run, side by side, on the same files.",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores ({cpu}), shared with other work (±10 %)",
        f"- libvips {one['vips_version']} through pyvips; adgen's release profile",
        "- commands: `scripts/bench.sh` = `ADGEN_BENCH_DIR=<dir> cargo bench -p adgen-render --bench pipeline`,",
        "  then `scripts/vips_bench.py <dir>` with `VIPS_CONCURRENCY=1` and with libvips' default",
        "",
        "## Image pipeline against libvips",
        "",
        f"Six photo-like 4000×3000 JPEG references (q90), decoded to cover their cells of a 1:1 ad,",
        "then the composed ad encoded. adgen runs each step on one thread (the generate function has",
        "one vCPU at 1769 MB), so the ratio is against libvips on one thread; libvips with its",
        f"default threads ({many['concurrency']} here) is shown beside it. Medians of",
        f"{ours['runs'][0]} runs at {sides[0]}² and {ours['runs'][1]} at {sides[1]}².",
        "",
        "| step | size | adgen | libvips, 1 thread | ratio | libvips, default threads |",
        "|---|---|---|---|---|---|",
    ]
    for side in sides:
        w, h = ours[f"decode_{side}_size"]
        a, v, n = ours[f"decode_{side}_ms"], one[f"thumbnail_{side}_ms"], many[f"thumbnail_{side}_ms"]
        lines.append(
            f"| decode 6 references to {w}×{h} (libvips: `thumbnail`) | {side}² ad | {ms(a)} | {ms(v)} | {a / v:.2f}× | {ms(n)} |"
        )
    for name, label in [("jpeg_q90", "encode JPEG q90"), ("webp_q85", "encode WebP q85 (lossy)"), ("png", "encode PNG (deflate 2)")]:
        for side in sides:
            a, v, n = ours[f"{name}_{side}_ms"], one[f"{name}_{side}_ms"], many[f"{name}_{side}_ms"]
            ab, vb = ours[f"{name}_{side}_bytes"], one[f"{name}_{side}_bytes"]
            lines.append(
                f"| {label} | {side}² | {ms(a)}, {size(ab)} | {ms(v)}, {size(vb)} | {a / v:.2f}× | {ms(n)} |"
            )
    lines += [
        "",
        "## Output sizes and byte budgets",
        "",
        "| output | " + " | ".join(f"{s}²" for s in sides) + " |",
        "|---|" + "---|" * len(sides),
    ]
    for name, label in [("png", "PNG"), ("jpeg_q90", "JPEG q90"), ("webp_q85", "WebP q85 (lossy)"), ("webp_lossless", "WebP lossless")]:
        cells = []
        for side in sides:
            b = ours[f"{name}_{side}_bytes"]
            cells.append(f"{size(b)} ({100 * b / ours[f'png_{side}_bytes']:.0f} % of PNG), {ms(ours[f'{name}_{side}_ms'])}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    for name, label in [("jpeg_budget", "JPEG, `max_bytes: 150000`"), ("webp_budget", "WebP, `max_bytes: 150000`")]:
        cells = []
        for side in sides:
            if f"{name}_{side}_bytes" in ours:
                cells.append(
                    f"{ours[f'{name}_{side}_bytes']} bytes at quality {ours[f'{name}_{side}_quality']}, {ms(ours[f'{name}_{side}_ms'])}"
                )
            else:
                cells.append(f"`output_budget_unmet` ({ours[f'{name}_{side}_unmet']} bytes at quality 40), {ms(ours[f'{name}_{side}_ms'])}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Peak RSS of the bench process (VmHWM): {ours['peak_rss_mib']} MiB.",
        "",
        "The bench's own table, as printed:",
        "",
        "```",
        (folder / "pipeline.txt").read_text().rstrip(),
        "```",
        "",
    ]
    print("\n".join(lines))


# The key modes of scripts/coldstart.py, as bench.sh runs them: (mode, request, round trips of
# ours, round trips of the Powertools peer).
SUBMIT_MODES = [
    ("none", "no Idempotency-Key", 2, 2),
    ("fresh", "a new Idempotency-Key", 3, 4),
    ("as-recorded", "a replayed Idempotency-Key", 1, 1),
]
PEER_DIR = Path(__file__).resolve().parent / "peers" / "powertools_submit"


def coldstart_figures(path):
    """The medians (ms) of a scripts/coldstart.py output: init, first, warm, cpu."""
    labels = {"init": "init", "first": "first invocation", "warm": "warm invocations", "cpu": "warm CPU"}
    figures = {}
    for line in path.read_text().splitlines():
        for name, label in labels.items():
            if line.startswith(label):
                # The first figure of the line, as bench.sh's table read it: "<label> 12.3 ms (max …)".
                figures[name] = float(re.match(r"[^0-9]*([0-9.]+) ms", line).group(1))
    missing = sorted(set(labels) - set(figures))
    if missing:
        sys.exit(f"{path}: no {', '.join(missing)} line")
    return figures


def submit_section(folder):
    """The "Submit path" section of docs/performance.md, as lines."""
    import platform

    pins = {}
    requirements = PEER_DIR / "requirements.txt"
    if requirements.exists():
        for line in requirements.read_text().splitlines():
            if "==" in line and not line.startswith("#"):
                name, version = line.split("==", 1)
                pins[name.strip().lower()] = version.strip()

    def ms(v):
        return f"{v:.0f} ms" if v >= 100 else f"{v:.1f} ms"

    lines = [
        "## Submit path",
        "",
        "The submit function's release binary behind `scripts/coldstart.py` (a minimal Lambda Runtime",
        "API on loopback) against DynamoDB Local and moto, 5 runs of 200 warm requests per mode:",
        "a body without an Idempotency-Key (2 round trips: job write, SendMessage), a new key per",
        "request (3: the key's claim and the job in one TransactWriteItems, SendMessage, the stored",
        "response), and the recorded key (a replay: the claim alone). Latency is the emulators'",
        "(moto's SendMessage dominates and grows with its queue); the CPU is the function's own",
        "(every thread's schedstat time, user and kernel), per warm request, median of the runs.",
        "The round trips are counted by `tests/submission.rs` on both adapter sets.",
        "",
        "Beside each mode, on the same harness in the same run (a table and queue of its own), its",
        "peer written the best-known Python way, `scripts/peers/powertools_submit`: Powertools for",
        f"AWS Lambda (Python) {pins.get('aws-lambda-powertools', '?')} (`APIGatewayHttpResolver`, `Logger`, `Metrics`, the idempotency",
        f"utility over `DynamoDBPersistenceLayer` in the same table), boto3 {pins.get('boto3', '?')}, awslambdaric",
        f"{pins.get('awslambdaric', '?')}, CPython {platform.python_version()}. It does the same work per request (the same key lookup and",
        "cache, validation, job item, message and answer; its handler's docstring lists what it leaves",
        "out), except that a new key costs it a fourth round trip: Powertools claims the key on its",
        "own, so the job is written apart. The ratios are ours over the peer's (below 1: ours is",
        "faster or cheaper).",
        "",
        "| request | function | round trips | init | first request | warm request | warm CPU per request | warm request, ours / peer | warm CPU, ours / peer |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode, request, ours_trips, peer_trips in SUBMIT_MODES:
        ours = coldstart_figures(folder / f"submit-{mode}.txt")
        peer_file = folder / f"peer-{mode}.txt"
        peer = coldstart_figures(peer_file) if peer_file.exists() else None
        ratios = ["", ""]
        if peer:
            ratios = [f"{ours['warm'] / peer['warm']:.2f}×", f"{ours['cpu'] / peer['cpu']:.2f}×"]
        cells = [ms(ours[k]) for k in ("init", "first", "warm", "cpu")]
        lines.append(f"| {request} | adgen (Rust) | {ours_trips} | " + " | ".join(cells + ratios) + " |")
        if peer:
            cells = [ms(peer[k]) for k in ("init", "first", "warm", "cpu")]
            lines.append(f"| | Powertools (Python) | {peer_trips} | " + " | ".join(cells) + " | | |")
    return lines


if __name__ == "__main__":
    if sys.argv[1] == "--report":
        report(Path(sys.argv[2]))
    elif sys.argv[1] == "--submit-report":
        print("\n".join(submit_section(Path(sys.argv[2]))))
    else:
        measure(Path(sys.argv[1]))
