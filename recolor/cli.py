"""The ``recolor`` command: recolour files, list the techniques, race them.

Run ``recolor --help``, or ``python -m recolor --help``. Every error is one
line on stderr and a non-zero exit status: 1 when the work failed, 2 when
the command line was wrong.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt
from PIL import Image
from tqdm import tqdm

from recolor import __version__
from recolor._api import recolor
from recolor._atomic import atomic_write
from recolor._io import ImageFileError, check_output_path, load_image, save_image
from recolor._race import COPY, RaceResult, race, slow_loops_skipped
from recolor._registry import TECHNIQUES
from recolor._sample import BACKGROUND, ORIGINAL_REPLACEMENT, sample_image
from recolor._threads import available_cores, thread_limit
from recolor.timing import format_seconds

__all__ = ["main", "parse_color"]

# RGBA, the original experiment's; an RGB or gray image takes their leading channels.
DEFAULT_OLD = BACKGROUND
DEFAULT_NEW = ORIGINAL_REPLACEMENT
# The mode of an image with so many channels, as load_image gives it.
_MODE_BY_CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}


class CommandError(Exception):
    """A failure to report as one line on stderr, exit status 1."""


def parse_color(text: str) -> tuple[int, ...]:
    """``"0,0,0,0"``, ``"#rrggbb"`` or ``"#rrggbbaa"`` as a tuple of ints.

    Examples
    --------
    >>> parse_color("#0503c0ff")
    (5, 3, 192, 255)
    >>> parse_color("5, 3, 192")
    (5, 3, 192)
    """
    text = text.strip()
    if re.fullmatch(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{8})", text):
        return tuple(int(text[i : i + 2], 16) for i in range(1, len(text), 2))
    if re.fullmatch(r"\d+(\s*,\s*\d+)*", text):
        values = tuple(int(part) for part in text.split(","))
        if all(0 <= value <= 255 for value in values):
            return values
    raise argparse.ArgumentTypeError(
        f"{text!r} is not a colour: write values 0..255 separated by commas, such as "
        "0,0,0,0, or #rrggbb or #rrggbbaa"
    )


def parse_tolerance(text: str) -> int | tuple[int, ...]:
    """``"8"`` or ``"1,2,3,4"``: one value for every channel, or one per channel."""
    if re.fullmatch(r"\d+", text.strip()) and int(text) <= 255:
        return int(text)
    try:
        return parse_color(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a tolerance: write N or a,b,c,d with values 0..255"
        ) from None


def parse_size(text: str) -> tuple[int, int]:
    """``"998x998"`` as (width, height)."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text)
    if not match or int(match[1]) < 1 or int(match[2]) < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: write WIDTHxHEIGHT, such as 998x998"
        )
    return int(match[1]), int(match[2])


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return int(text)


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="recolor",
        description="Replace one colour in images, by the fastest of many identical techniques.",
    )
    parser.add_argument("--version", action="version", version=f"recolor {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    apply = commands.add_parser(
        "apply",
        help="recolour image files",
        description="Recolour INPUT into OUTPUT, or several INPUTs into --out-dir.",
    )
    apply.add_argument("paths", nargs="+", type=Path, metavar="INPUT [OUTPUT]")
    apply.add_argument("--out-dir", type=Path, help="write every INPUT here, under its own name")
    _add_color_options(apply)
    apply.add_argument("--technique", choices=list(TECHNIQUES), help="default: the fastest here")
    apply.add_argument("--force", action="store_true", help="overwrite existing outputs")
    apply.set_defaults(run=run_apply)

    techniques = commands.add_parser("techniques", help="list the techniques")
    techniques.set_defaults(run=run_techniques)

    bench = commands.add_parser(
        "bench",
        help="race the techniques on this machine",
        description="Time every technique on the sample portrait (the original experiment) "
        "or on your own image.",
    )
    bench.add_argument("--image", type=Path, help="your own image (default: the sample portrait)")
    bench.add_argument(
        "--size",
        type=parse_size,
        nargs="+",
        metavar="WxH",
        help="sizes to race at (default: 998x998, or --image's own size)",
    )
    _add_color_options(bench)
    bench.add_argument(
        "--techniques",
        nargs="+",
        choices=list(TECHNIQUES),
        metavar="NAME",
        help="race only these (default: every available technique)",
    )
    bench.add_argument("--threads", type=positive_int, help="cap OpenCV's and numba's threads")
    bench.add_argument(
        "--repeat", type=positive_int, default=5, help="rounds per technique (default 5)"
    )
    bench.add_argument("--json", type=Path, help="also write the results as JSON here")
    bench.add_argument("--plot", type=Path, help="also draw a PNG chart here (needs matplotlib)")
    bench.set_defaults(run=run_bench)
    return parser


def _add_color_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--old", type=parse_color, default=None, help=f"colour to replace ({_text(DEFAULT_OLD)})"
    )
    parser.add_argument(
        "--new", type=parse_color, default=None, help=f"replacement ({_text(DEFAULT_NEW)})"
    )
    parser.add_argument("--tolerance", type=parse_tolerance, default=0, help="N or a,b,c,d (0)")


def _text(color: tuple[int, ...]) -> str:
    """A colour as the command line writes it: ``0,0,0,0``."""
    return ",".join(map(str, color))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        status: int = args.run(args)
    except (CommandError, ImageFileError) as error:
        print(f"recolor: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("recolor: interrupted", file=sys.stderr)
        return 130
    return status


# ----------------------------------------------------------------- apply


def run_apply(args: argparse.Namespace) -> int:
    jobs = _apply_jobs(args)
    failures = 0
    progress = tqdm(jobs, desc="recolor", unit="image", disable=len(jobs) < 2, file=sys.stderr)
    for source, target in progress:
        try:
            _apply_one(source, target, args)
        except (ImageFileError, CommandError) as error:
            if len(jobs) == 1:
                raise
            failures += 1
            progress.write(f"recolor: error: {error}", file=sys.stderr)
    if failures:
        print(f"recolor: {failures} of {len(jobs)} images failed", file=sys.stderr)
        return 1
    return 0


def _apply_jobs(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    """Pairs of (input, output), every output checked before any work."""
    if args.out_dir is None:
        if len(args.paths) != 2:
            raise CommandError(
                f"apply takes INPUT OUTPUT, or INPUT... --out-dir DIR; got {len(args.paths)} paths"
            )
        source, target = args.paths
        check_output_path(target, force=args.force)
        return [(source, target)]
    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise CommandError(f"{args.out_dir}: --out-dir is a file, not a folder")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    names = [source.name for source in args.paths]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise CommandError(
            f"several inputs would be written to the same name: {', '.join(duplicates)}"
        )
    jobs = [(source, args.out_dir / source.name) for source in args.paths]
    for _, target in jobs:
        check_output_path(target, force=args.force)
    return jobs


def _apply_one(source: Path, target: Path, args: argparse.Namespace) -> None:
    pixels = _load(source)
    old, new = _fit_colors(args, pixels)
    try:
        out = recolor(pixels, old, new, tolerance=args.tolerance, technique=args.technique)
    except (TypeError, ValueError) as error:
        raise CommandError(f"{source}: {error}") from None
    note = save_image(out, target, force=args.force)
    if note:
        print(f"recolor: {note}", file=sys.stderr)


def _load(path: Path) -> npt.NDArray[np.uint8]:
    """The pixels of ``path``, saying on stderr what conversion they needed."""
    loaded = load_image(path)
    if loaded.note:
        print(f"recolor: {loaded.note}", file=sys.stderr)
    return loaded.pixels


def _fit_colors(
    args: argparse.Namespace, pixels: npt.NDArray[np.uint8]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """--old and --new for ``pixels``, or a CommandError that says why not."""
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    mode = _MODE_BY_CHANNELS[channels]
    return (
        _fit_color("--old", args.old, DEFAULT_OLD, channels, mode),
        _fit_color("--new", args.new, DEFAULT_NEW, channels, mode),
    )


def _fit_color(
    option: str, given: tuple[int, ...] | None, default: tuple[int, ...], channels: int, mode: str
) -> tuple[int, ...]:
    """The colour for an image with ``channels`` channels, or a CommandError that says why not."""
    if given is None:
        return default[:channels]
    if len(given) != channels:
        raise CommandError(
            f"{option} has {len(given)} values but the image is {mode} with {channels} "
            f"channel{'s' if channels > 1 else ''}; give {channels} values"
        )
    return given


# ----------------------------------------------------------------- techniques


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


# ----------------------------------------------------------------- bench


def run_bench(args: argparse.Namespace) -> int:
    if args.plot is not None:
        _require_matplotlib()
        check_output_path(args.plot, force=True)
    images = _bench_images(args)
    rounds_total = args.repeat * len(images)
    results: list[RaceResult] = []
    with (
        thread_limit(args.threads),
        tqdm(total=rounds_total, desc="racing", unit="round", file=sys.stderr) as progress,
    ):
        for label, image in images:
            old, new = _fit_colors(args, image)
            progress.set_postfix_str(label)
            for name in slow_loops_skipped(image, args.techniques):
                reason = "an interpreted loop (seconds per megapixel)"
                progress.write(f"recolor: {label}: skipped {name}, {reason}", file=sys.stderr)
            try:
                results += race(
                    image,
                    old,
                    new,
                    tolerance=args.tolerance,
                    repeat=args.repeat,
                    techniques=args.techniques,
                    on_round=lambda: progress.update(1),
                )
            except (TypeError, ValueError) as error:
                raise CommandError(str(error)) from None
    _print_bench(results, args.threads)
    if args.json is not None:
        _write_text_atomically(args.json, json.dumps(_bench_json(results, args), indent=1) + "\n")
    if args.plot is not None:
        from recolor._plot import plot_race

        plot_race(results, args.plot)
    return 0


def _bench_images(args: argparse.Namespace) -> list[tuple[str, np.ndarray[Any, Any]]]:
    if args.image is None:
        sizes = args.size or [(998, 998)]
        return [(f"sample {w}x{h}", sample_image(w, h)) for w, h in sizes]
    pixels = _load(args.image)
    if not args.size:
        height, width = pixels.shape[:2]
        return [(f"{args.image.name} {width}x{height}", pixels)]
    source = Image.fromarray(pixels)
    return [
        (f"{args.image.name} {w}x{h}", np.asarray(source.resize((w, h), Image.Resampling.NEAREST)))
        for w, h in args.size
    ]


def _print_bench(results: list[RaceResult], threads: int | None) -> None:
    cores = (
        f"{threads} thread{'s' if threads != 1 else ''}"
        if threads
        else f"all {available_cores()} cores"
    )
    for size in dict.fromkeys((r.width, r.height) for r in results):
        print(f"\n{size[0]}x{size[1]} ({cores}):")
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

    return {
        "recolor": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": available_cores(),
        "threads": args.threads,
        "repeat": args.repeat,
        "results": [result.as_dict() for result in results],
    }


def _write_text_atomically(path: Path, text: str) -> None:
    if not path.parent.is_dir():
        raise CommandError(f"{path}: the folder {path.parent} does not exist")
    atomic_write(path, lambda file: file.write(text.encode("utf-8")))


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise CommandError(
            "--plot needs matplotlib, which is not installed; install it with: "
            'pip install "recolor[plot]"'
        ) from None


if __name__ == "__main__":
    sys.exit(main())
