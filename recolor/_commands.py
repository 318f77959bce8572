"""The ``recolor`` command's work: recolour files, list the techniques, race them.

recolor.cli is the entry point: it handles signals and reports failures,
then imports this module, which needs numpy, Pillow and OpenCV.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

import numpy as np
import numpy.typing as npt
from PIL import Image

from recolor import __version__
from recolor._api import recolor
from recolor._arguments import parse_color, parse_size, parse_tolerance, positive_int
from recolor._atomic import atomic_write, remove_leftovers
from recolor._display import shown
from recolor._encode import check_output_path, encode, write_image
from recolor._io import LOSSY_OPTION, ImageFile, ImageFileError, read_image
from recolor._race import COPY, RaceResult, race, slow_loops_skipped
from recolor._registry import TECHNIQUES
from recolor._sample import BACKGROUND, ORIGINAL_REPLACEMENT, sample_image
from recolor._threads import available_cores, thread_limit
from recolor.timing import format_seconds

__all__ = ["CommandError", "build_parser", "run"]

# RGBA, the original experiment's; an RGB or gray image takes their leading channels.
DEFAULT_OLD = BACKGROUND
DEFAULT_NEW = ORIGINAL_REPLACEMENT
# The mode of an image with so many channels, as load_image gives it.
_MODE_BY_CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}


class CommandError(Exception):
    """A failure to report as one line on stderr, exit status 1."""


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
    written = apply.add_mutually_exclusive_group()
    written.add_argument(
        "--force",
        action="store_true",
        help="overwrite existing outputs, keeping their permissions; a symbolic link is "
        "followed and its target replaced",
    )
    written.add_argument(
        "--ignore-existing",
        action="store_true",
        help="skip inputs whose output exists, as rsync does: resumes an interrupted batch",
    )
    apply.add_argument(
        LOSSY_OPTION,
        action="store_true",
        help="allow conversions that lose information (bit depth, alpha, palette, size), "
        "each named in a note",
    )
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
    bench.add_argument("--force", action="store_true", help="overwrite --json and --plot files")
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


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run its command; the exit status. recolor.cli reports failures."""
    args = build_parser().parse_args(argv)
    status: int = args.run(args)
    sys.stdout.flush()  # a closed pipe shows here rather than at exit
    return status


# ----------------------------------------------------------------- apply


def run_apply(args: argparse.Namespace) -> int:
    jobs = _apply_jobs(args)
    for folder in {target.parent for _, target in jobs}:
        remove_leftovers(folder)
    counts = {"recoloured": 0, "skipped": 0, "failed": 0}
    progress = _progress(jobs)
    for source, target in progress:
        try:
            if not check_output_path(target, force=args.force, skip_existing=args.ignore_existing):
                counts["skipped"] += 1
                progress.write(f"{shown(source)} -> {shown(target)}: skipped, it exists")
                continue
            changed, total = _apply_one(source, target, args)
        except (ImageFileError, CommandError, OSError) as error:
            if len(jobs) == 1:
                raise
            counts["failed"] += 1
            progress.write(f"recolor: error: {error}", file=sys.stderr)
            continue
        counts["recoloured"] += 1
        progress.write(
            f"{shown(source)} -> {shown(target)}: {changed} of {total} pixels recoloured"
        )
        if not changed:
            progress.write(
                f"recolor: warning: {shown(source)}: no pixel matched the colour to replace; "
                "written unchanged",
                file=sys.stderr,
            )
    if len(jobs) > 1:
        print(", ".join(f"{count} {what}" for what, count in counts.items()))
    if counts["failed"]:
        print(f"recolor: {counts['failed']} of {len(jobs)} images failed", file=sys.stderr)
        return 1
    return 0


class _NoProgress:
    """One image: no progress bar, and no import of tqdm either."""

    def __init__(self, jobs: list[tuple[Path, Path]]) -> None:
        self.jobs = jobs

    def __iter__(self) -> Iterator[tuple[Path, Path]]:
        return iter(self.jobs)

    @staticmethod
    def write(text: str, file: TextIO | None = None) -> None:
        print(text, file=file)


def _progress(jobs: list[tuple[Path, Path]]) -> Any:
    if len(jobs) < 2:
        return _NoProgress(jobs)
    from tqdm import tqdm

    return tqdm(jobs, desc="recolor", unit="image", file=sys.stderr)


def _apply_jobs(args: argparse.Namespace) -> list[tuple[Path, Path]]:
    """Pairs of (input, output), every output checked before any work."""
    if args.out_dir is None:
        if len(args.paths) != 2:
            raise CommandError(
                f"apply takes INPUT OUTPUT, or INPUT... --out-dir DIR; got {len(args.paths)} paths"
            )
        source, target = args.paths
        jobs = [(source, target)]
    else:
        _make_folder(args.out_dir)
        names = [source.name for source in args.paths]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise CommandError(
                f"several inputs would be written to the same name: "
                f"{', '.join(map(shown, duplicates))}"
            )
        jobs = [(source, args.out_dir / source.name) for source in args.paths]
    for _, target in jobs:
        check_output_path(target, force=args.force, skip_existing=args.ignore_existing)
    return jobs


def _make_folder(folder: Path) -> None:
    try:
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{shown(folder)}: --out-dir is a file, not a folder")
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        raise CommandError(f"{shown(folder)}: --out-dir cannot be created ({reason})") from None


def _apply_one(source: Path, target: Path, args: argparse.Namespace) -> tuple[int, int]:
    """Recolour ``source`` into ``target``; how many pixels changed, of how many."""
    image_file = _read(source, allow_lossy=args.allow_lossy)
    old, new = _fit_colors(args, image_file.pixels)
    frames = []
    changed = 0
    for pixels in image_file.frames:
        try:
            out = recolor(pixels, old, new, tolerance=args.tolerance, technique=args.technique)
        except (TypeError, ValueError) as error:
            raise CommandError(f"{shown(source)}: {error}") from None
        changed += _changed_pixels(pixels, out)
        frames.append(out)
    encoded = encode(frames, image_file, target, allow_lossy=args.allow_lossy)
    write_image(encoded, target, force=args.force)
    _print_notes(encoded.notes)
    return changed, sum(frame.shape[0] * frame.shape[1] for frame in frames)


def _changed_pixels(before: npt.NDArray[np.uint8], after: npt.NDArray[np.uint8]) -> int:
    differ = before != after
    return int(np.count_nonzero(differ if differ.ndim == 2 else differ.any(axis=2)))


def _read(path: Path, *, allow_lossy: bool = False) -> ImageFile:
    """The frames of ``path``, saying on stderr what conversion they needed."""
    image_file = read_image(path, allow_lossy=allow_lossy)
    _print_notes(image_file.notes)
    return image_file


def _print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"recolor: {note}", file=sys.stderr)


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
        _write_text_atomically(
            args.json, json.dumps(_bench_json(results, args), indent=1) + "\n", force=args.force
        )
    if args.plot is not None:
        from recolor._plot import plot_race

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
    image_file = _read(args.image)
    pixels = image_file.pixels
    if len(image_file.frames) > 1:
        _print_notes([f"{shown(args.image)}: racing its first frame of {len(image_file.frames)}"])
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
