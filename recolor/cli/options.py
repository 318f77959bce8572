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
}


class CommandError(RecolorError):
    """A failure to report as one line on stderr, exit status 1."""


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
    args: Any, channels: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """--old, --new and --tolerance for an image of ``channels``, or a CommandError.

    ``args`` has them as attributes ``old``, ``new`` and ``tolerance``: the
    parsed arguments, or a batch's settings.
    """
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
