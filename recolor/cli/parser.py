"""The ``recolor`` command's options, and the command each runs.

recolor.cli is the entry point: it handles signals and reports failures,
then imports this module. Nothing here imports numpy: one image through
``recolor apply`` (recolor.cli.apply) is recoloured by Pillow alone, since
numpy's import costs more than that work (recolor.core.choice).
``recolor techniques`` and ``recolor bench`` live in recolor.cli.bench,
imported when they run.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn

from recolor.cli.apply import run_apply
from recolor.cli.arguments import parse_color, parse_size, parse_tolerance, positive_int
from recolor.cli.options import OPTIONS
from recolor.files.fitting import DEFAULT_NEW, DEFAULT_OLD
from recolor.files.location import location

__all__ = ["build_parser", "run"]


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line instead of the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


#: How --old, --new and --tolerance are written, where the colour errors send the user.
COLOURS_HELP = """\
colours:
  --old and --new give one value 0..255 per band of the image, separated by
  commas, or #rrggbb / #rrggbbaa:
    RGBA  0,0,0,0  or  #000000ff     RGB  255,255,255  or  #ffffff
    gray  128                        gray with alpha (LA)  128,255
  A palette image takes RGB, or RGBA if it has a transparent colour.
  --tolerance is one value for every band (12) or one per band (2,2,2,0):
  a pixel matches when every band is within it of --old.
"""


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
        epilog=COLOURS_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    apply.add_argument(
        "paths",
        nargs="+",
        type=location,
        metavar="INPUT [OUTPUT]",
        help="image files; on Dask also fsspec URLs (s3://..., memory://...)",
    )
    apply.add_argument(
        "--out-dir", type=location, help="write every INPUT here, under its own name"
    )
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
        help="overwrite existing outputs (the input itself too), keeping their read and write "
        "permissions where they are yours; a symbolic link is followed and its target replaced",
    )
    written.add_argument(
        "--ignore-existing",
        action="store_true",
        help="skip inputs whose output exists, as rsync does: resumes an interrupted batch",
    )
    apply.add_argument(
        OPTIONS["allow_lossy"],
        action="store_true",
        help="allow conversions that lose information (bit depth, alpha, palette, size), "
        "each named in a note",
    )
    cluster = apply.add_mutually_exclusive_group()
    cluster.add_argument(
        "--jobs",
        type=positive_int,
        metavar="N",
        help="recolour a batch in N processes of this machine (default: one per core; "
        "1: in the command's own process)",
    )
    cluster.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help='run the batch on a local Dask cluster of N processes (pip install "recolor[dask]")',
    )
    cluster.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the batch on the Dask cluster whose scheduler is at ADDRESS (tls://host:8786); "
        "its TLS credentials come from Dask's configuration",
    )
    apply.add_argument(
        "--dashboard",
        action="store_true",
        help="with --workers: serve the cluster's dashboard on 127.0.0.1 and print its link",
    )
    apply.add_argument(
        "--max-pixels",
        type=positive_int,
        metavar="N",
        help="refuse an image whose frames add up to more than N pixels, before decoding it "
        "(default: Pillow's limit, 89478485)",
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
    return importlib.import_module("recolor.techniques").TECHNIQUES


def _bench_command(name: str) -> Callable[[argparse.Namespace], int]:
    """A command of recolor.cli.bench, which imports numpy and the race, run when chosen."""

    def run_command(args: argparse.Namespace) -> int:
        command: Callable[[argparse.Namespace], int] = getattr(
            importlib.import_module("recolor.cli.bench"), name
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
