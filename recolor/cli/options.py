"""What the commands share: their errors, and how they name options.

The file layer (recolor.files) speaks of keyword arguments (``allow_lossy``,
``force``, ``old``); :data:`OPTIONS` is how the command line names each, so
that its errors say which flag to pass.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from recolor.errors import RecolorError
from recolor.files.fitting import ColorCountError
from recolor.files.location import LocalFile
from recolor.files.read import ImageFile, read_image

__all__ = [
    "OPTIONS",
    "CommandError",
    "UsageError",
    "described",
    "print_notes",
    "read_noted",
]

#: The command-line flag of each keyword argument a remedy may name.
OPTIONS = {
    "allow_lossy": "--allow-lossy",
    "force": "--force",
    "skip_existing": "--ignore-existing",
    "max_pixels": "--max-pixels N",
    "old": "--old",
    "new": "--new",
    "tolerance": "--tolerance",
}


class CommandError(RecolorError):
    """A failure to report as one line on stderr, exit status 1."""

    exit_status = 1


class UsageError(CommandError):
    """A command line that cannot be right, whatever the files: exit status 2, as argparse's."""

    exit_status = 2


def described(error: BaseException) -> str:
    """``error``'s message, naming the command line's flags where it names options."""
    if isinstance(error, ColorCountError):
        return f"{error.describe(OPTIONS)} (see recolor apply --help)"
    if isinstance(error, RecolorError):
        return error.describe(OPTIONS)
    return str(error)


def read_noted(path: Path, *, allow_lossy: bool = False) -> ImageFile:
    """The frames of ``path``, saying on stderr what conversion they needed."""
    image_file = read_image(LocalFile(path), allow_lossy=allow_lossy)
    print_notes(image_file.notes)
    return image_file


def print_notes(notes: Sequence[str]) -> None:
    for note in notes:
        print(f"recolor: {note}", file=sys.stderr)
