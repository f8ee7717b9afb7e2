"""libvips on the same files and steps as the pipeline bench (scripts/bench.sh runs both).

Usage: vips_bench.py DIR    (DIR: what `ADGEN_BENCH_DIR=DIR cargo bench -p adgen-render
--bench pipeline` wrote). Prints a JSON object of libvips figures on stdout.
       vips_bench.py --report DIR    Prints docs/performance.md from DIR's pipeline.json,
pipeline.txt, vips-1.json and vips-n.json (no pyvips needed).

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


if __name__ == "__main__":
    if sys.argv[1] == "--report":
        report(Path(sys.argv[2]))
    else:
        measure(Path(sys.argv[1]))
