"""``recolor techniques`` and ``recolor bench``: the registry listed, and the techniques raced."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from recolor.bench.race import COPY, RaceResult, race, slow_loops_skipped
from recolor.bench.timing import format_seconds
from recolor.cli.options import CommandError, print_notes, read_noted
from recolor.core.sample import sample_image
from recolor.core.threads import available_cores, thread_limit
from recolor.files.atomic import atomic_write
from recolor.files.display import shown
from recolor.files.fitting import fit_colors
from recolor.files.write import check_output_path
from recolor.techniques import TECHNIQUES

__all__ = ["run_bench", "run_techniques"]


def run_techniques(args: argparse.Namespace) -> int:
    rows = [("name", "description", "threads", "needs", "available here")]
    for technique in TECHNIQUES.values():
        rows.append(
            (
                technique.name,
                technique.description,
                "several" if technique.multithreaded else "one",
                technique.requires or "-",
                "yes"
                if technique.available
                else f"no: pip install 'recolor[{technique.requires}]'",
            )
        )
    _print_table(rows)
    return 0


def _print_table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
        if index == 0:
            print("  ".join("-" * width for width in widths))


def run_bench(args: argparse.Namespace) -> int:
    for output in (args.json, args.plot):
        if output is not None and os.path.lexists(output) and not args.force:
            raise CommandError(f"{shown(output)}: already exists; pass --force to overwrite it")
    if args.json is not None and not args.json.parent.is_dir():
        raise CommandError(
            f"{shown(args.json)}: the folder {shown(args.json.parent)} does not exist"
        )
    if args.plot is not None:
        _require_matplotlib()
        check_output_path(args.plot, force=True)
    images = _bench_images(args)
    rounds_total = args.repeat * len(images)
    from tqdm import tqdm

    results: list[RaceResult] = []
    with (
        thread_limit(args.threads),
        tqdm(total=rounds_total, desc="racing", unit="round", file=sys.stderr) as progress,
    ):
        for label, image in images:
            channels = 1 if image.ndim == 2 else image.shape[2]
            old, new, tolerance = fit_colors(args.old, args.new, args.tolerance, channels)
            progress.set_postfix_str(label)
            for name in slow_loops_skipped(image, args.techniques):
                reason = "an interpreted loop (seconds per megapixel)"
                progress.write(f"recolor: {label}: skipped {name}, {reason}", file=sys.stderr)
            try:
                results += race(
                    image,
                    old,
                    new,
                    tolerance=tolerance,
                    repeat=args.repeat,
                    techniques=args.techniques,
                    in_place=args.in_place,
                    on_round=lambda: progress.update(1),
                )
            except (TypeError, ValueError) as error:
                raise CommandError(str(error)) from None
    _print_bench(results, args.threads, in_place=args.in_place)
    if args.json is not None:
        _write_text_atomically(
            args.json, json.dumps(_bench_json(results, args), indent=1) + "\n", force=args.force
        )
    if args.plot is not None:
        from recolor.bench.plot import plot_race

        try:
            plot_race(results, args.plot, overwrite=args.force)
        except FileExistsError:
            raise CommandError(
                f"{shown(args.plot)}: already exists; pass --force to overwrite it"
            ) from None
    return 0


def _bench_images(args: argparse.Namespace) -> list[tuple[str, np.ndarray[Any, Any]]]:
    if args.image is None:
        sizes = args.size or [(998, 998)]
        return [(f"sample {w}x{h}", sample_image(w, h)) for w, h in sizes]
    image_file = read_noted(args.image)
    first = image_file.frames[0]
    if len(image_file.frames) > 1:
        print_notes([f"{shown(args.image)}: racing its first frame of {len(image_file.frames)}"])
    sizes = args.size or [first.size]
    return [
        (
            f"{args.image.name} {w}x{h}",
            np.asarray(
                first if (w, h) == first.size else first.resize((w, h), Image.Resampling.NEAREST)
            ),
        )
        for w, h in sizes
    ]


def _print_bench(results: list[RaceResult], threads: int | None, *, in_place: bool) -> None:
    cores = (
        f"{threads} thread{'s' if threads != 1 else ''}"
        if threads
        else f"all {available_cores()} cores"
    )
    how = ", in place" if in_place else ""
    for size in dict.fromkeys((r.width, r.height) for r in results):
        print(f"\n{size[0]}x{size[1]} ({cores}{how}):")
        rows = [("technique", "median", "MP/s", "x fastest", "x copy", "CPU")]
        for r in results:
            if (r.width, r.height) != size:
                continue
            rows.append(
                (
                    r.technique,
                    format_seconds(r.median),
                    f"{r.megapixels_per_second:.1f}",
                    "-" if r.technique == COPY else f"{r.x_fastest:.2f}",
                    f"{r.x_copy:.2f}",
                    f"{r.cpu_utilization:.2f}",
                )
            )
        _print_table(rows)
    print("\nCPU: process CPU seconds per wall second while timed (2.00 = two cores busy).")


def _bench_json(results: list[RaceResult], args: argparse.Namespace) -> dict[str, Any]:
    import platform

    from recolor import __version__

    return {
        "recolor": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": available_cores(),
        "threads": args.threads,
        "repeat": args.repeat,
        "in_place": args.in_place,
        "results": [result.as_dict() for result in results],
    }


def _write_text_atomically(path: Path, text: str, *, force: bool) -> None:
    try:
        atomic_write(path, lambda file: file.write(text.encode("utf-8")), overwrite=force)
    except FileExistsError:
        raise CommandError(f"{shown(path)}: already exists; pass --force to overwrite it") from None
    except OSError as error:
        raise CommandError(f"{shown(path)}: could not be written ({error})") from None


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError(
            "--plot needs matplotlib, which is not installed; install it with: "
            'pip install "recolor[plot]"'
        ) from None
