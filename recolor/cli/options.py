"""What the commands share: their error, their default colours, and how they name options.

The file layer (recolor.files) speaks of keyword arguments (``allow_lossy``,
``force``); :data:`OPTIONS` is how the command line names each, so that its
errors say which flag to pass.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from recolor.core.colors import BACKGROUND, ORIGINAL_REPLACEMENT
from recolor.errors import RecolorError
from recolor.files.read import ImageFile, read_image

__all__ = [
    "DEFAULT_NEW",
    "DEFAULT_OLD",
    "OPTIONS",
    "CommandError",
    "UsageError",
    "described",
    "fit_colors",
    "print_notes",
    "read_noted",
]

# RGBA, the original experiment's; an RGB or gray image takes their leading channels.
DEFAULT_OLD = BACKGROUND
DEFAULT_NEW = ORIGINAL_REPLACEMENT
# The mode of an image with so many channels, as load_image gives it.
_MODE_BY_CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}

#: The command-line flag of each keyword argument a remedy may name.
OPTIONS = {
    "allow_lossy": "--allow-lossy",
    "force": "--force",
    "skip_existing": "--ignore-existing",
    "max_pixels": "--max-pixels N",
}


class CommandError(RecolorError):
    """A failure to report as one line on stderr, exit status 1."""

    exit_status = 1


class UsageError(CommandError):
    """A command line that cannot be right, whatever the files: exit status 2, as argparse's."""

    exit_status = 2


def described(error: BaseException) -> str:
    """``error``'s message, naming the command line's flags where it names options."""
    if isinstance(error, RecolorError):
        return error.describe(OPTIONS)
    return str(error)


def read_noted(path: Path, *, allow_lossy: bool = False) -> ImageFile:
    """The frames of ``path``, saying on stderr what conversion they needed."""
    image_file = read_image(path, allow_lossy=allow_lossy)
    print_notes(image_file.notes)
    return image_file


def print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"recolor: {note}", file=sys.stderr)


def fit_colors(
    args: Any, channels: int, file_mode: str | None = None
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """--old, --new and --tolerance for an image of ``channels``, or a CommandError.

    ``args`` has them as attributes ``old``, ``new`` and ``tolerance``: the
    parsed arguments, or a batch's settings. ``file_mode`` "LA" says the file
    is gray with alpha, worked on as RGBA: its colours are given as gray and
    alpha (two values), or as RGBA.
    """
    mode = _MODE_BY_CHANNELS[channels]
    tolerance = args.tolerance
    if isinstance(tolerance, int):
        tolerance = (tolerance,) * channels
    colours = (("--old", args.old, DEFAULT_OLD), ("--new", args.new, DEFAULT_NEW))
    if file_mode == "LA":
        fitted = [_fit_gray_alpha(option, given, default) for option, given, default in colours]
        return fitted[0], fitted[1], _fit_gray_alpha("--tolerance", tolerance, tolerance)
    return (
        _fit_color("--old", args.old, DEFAULT_OLD, channels, mode),
        _fit_color("--new", args.new, DEFAULT_NEW, channels, mode),
        _fit_color("--tolerance", tolerance, tolerance, channels, mode),
    )


def _fit_gray_alpha(
    option: str, given: tuple[int, ...] | None, default: tuple[int, ...]
) -> tuple[int, ...]:
    """A colour of an LA image as the RGBA it is worked on in: gray and alpha, or RGBA."""
    if given is None:
        return default
    if len(given) == 2:
        gray, alpha = given
        return (gray, gray, gray, alpha)
    if len(given) == 4:
        return given
    raise CommandError(
        f"{option} has {_count(len(given), 'value')} but the image is LA (gray with alpha); "
        "give 2 values, gray and alpha, or 4 (RGBA) (see recolor apply --help)"
    )


def _fit_color(
    option: str, given: tuple[int, ...] | None, default: tuple[int, ...], channels: int, mode: str
) -> tuple[int, ...]:
    """The colour for an image with ``channels`` channels, or a CommandError that says why not."""
    if given is None:
        return default[:channels]
    if len(given) != channels:
        raise CommandError(
            f"{option} has {_count(len(given), 'value')} but the image is {mode} with "
            f"{_count(channels, 'channel')}; give {_count(channels, 'value')}"
            + (" or one for every channel" if option == "--tolerance" else "")
            + " (see recolor apply --help)"
        )
    return given


def _count(number: int, noun: str) -> str:
    """ "1 value", "4 values"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
