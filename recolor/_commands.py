"""The ``recolor`` command: its options, and ``recolor apply``.

recolor.cli is the entry point: it handles signals and reports failures,
then imports this module. Nothing here imports numpy: one image through
``recolor apply`` is recoloured by Pillow alone, since numpy's import costs
more than that work (README, "Choosing a technique"). ``recolor techniques``
and ``recolor bench`` live in recolor._bench, imported when they run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from recolor._arguments import parse_color, parse_size, parse_tolerance, positive_int
from recolor._atomic import remove_leftovers
from recolor._colors import BACKGROUND, ORIGINAL_REPLACEMENT
from recolor._display import shown
from recolor._encode import check_output_path, encode, write_image
from recolor._frames import recolor_frame
from recolor._io import LOSSY_OPTION, ImageFile, ImageFileError, read_image

__all__ = ["CommandError", "build_parser", "fit_colors", "print_notes", "read_noted", "run"]

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
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    apply = commands.add_parser(
        "apply",
        help="recolour image files",
        description="Recolour INPUT into OUTPUT, or several INPUTs into --out-dir.",
    )
    apply.add_argument("paths", nargs="+", type=Path, metavar="INPUT [OUTPUT]")
    apply.add_argument("--out-dir", type=Path, help="write every INPUT here, under its own name")
    _add_color_options(apply)
    apply.add_argument(
        "--technique",
        choices=_TechniqueNames(),
        metavar="NAME",  # listing the choices here would import them all
        help="one of `recolor techniques` (default: the fastest here)",
    )
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
    techniques.set_defaults(run=_bench_command("run_techniques"))

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
        choices=_TechniqueNames(),
        metavar="NAME",
        help="race only these (default: every available technique)",
    )
    bench.add_argument("--threads", type=positive_int, help="cap OpenCV's and numba's threads")
    bench.add_argument(
        "--in-place",
        action="store_true",
        help="recolour in place (out=image), old to new and back on alternate calls",
    )
    bench.add_argument(
        "--repeat", type=positive_int, default=5, help="rounds per technique (default 5)"
    )
    bench.add_argument("--json", type=Path, help="also write the results as JSON here")
    bench.add_argument("--plot", type=Path, help="also draw a PNG chart here (needs matplotlib)")
    bench.add_argument("--force", action="store_true", help="overwrite --json and --plot files")
    bench.set_defaults(run=_bench_command("run_bench"))
    return parser


class _Version(argparse.Action):
    """``--version``, read from the package's metadata only when asked: that import is slow."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        from recolor import __version__

        print(f"recolor {__version__}")  # to stdout, as argparse's own version action does
        parser.exit()


class _TechniqueNames:
    """The registry's names as argparse choices, listed only when an option needs them.

    Listing them imports every technique's module, and so numpy.
    """

    def __contains__(self, name: object) -> bool:
        return name in _registry()

    def __iter__(self) -> Iterator[str]:
        return iter(_registry())


def _registry() -> Any:
    return importlib.import_module("recolor._registry").TECHNIQUES


def _bench_command(name: str) -> Callable[[argparse.Namespace], int]:
    """A command of recolor._bench, which imports numpy and the race, run when chosen."""

    def run_command(args: argparse.Namespace) -> int:
        command: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module("recolor._bench"), name
        )
        return command(args)

    return run_command


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
    image_file = read_noted(source, allow_lossy=args.allow_lossy)
    old, new, tolerance = fit_colors(args, len(image_file.frames[0].getbands()))
    frames = []
    changed = 0
    for frame in image_file.frames:
        try:
            recoloured, frame_changed = recolor_frame(
                frame, old, new, tolerance=tolerance, technique=args.technique
            )
        except (TypeError, ValueError) as error:
            raise CommandError(f"{shown(source)}: {error}") from None
        changed += frame_changed
        frames.append(recoloured)
    encoded = encode(frames, image_file, target, allow_lossy=args.allow_lossy)
    write_image(encoded, target, force=args.force)
    print_notes(encoded.notes)
    return changed, sum(frame.width * frame.height for frame in frames)


def read_noted(path: Path, *, allow_lossy: bool = False) -> ImageFile:
    """The frames of ``path``, saying on stderr what conversion they needed."""
    image_file = read_image(path, allow_lossy=allow_lossy)
    print_notes(image_file.notes)
    return image_file


def print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"recolor: {note}", file=sys.stderr)


def fit_colors(
    args: argparse.Namespace, channels: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """--old, --new and --tolerance for an image of ``channels``, or a CommandError."""
    mode = _MODE_BY_CHANNELS[channels]
    tolerance = args.tolerance
    if isinstance(tolerance, int):
        tolerance = (tolerance,) * channels
    return (
        _fit_color("--old", args.old, DEFAULT_OLD, channels, mode),
        _fit_color("--new", args.new, DEFAULT_NEW, channels, mode),
        _fit_color("--tolerance", tolerance, tolerance, channels, mode),
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
            + (" or one for every channel" if option == "--tolerance" else "")
        )
    return given
