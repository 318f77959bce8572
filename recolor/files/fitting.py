"""The colours and tolerance asked for, fitted to one image's channels.

The same ``old``, ``new`` and ``tolerance`` go to every image of a batch:
an RGB image takes an RGBA colour's first three values, a gray image with
alpha (worked on as RGBA) takes gray and alpha. What cannot fit is a
:class:`ColorCountError`, which names the argument as the caller names it.
"""

from __future__ import annotations

from collections.abc import Mapping

from recolor.core.colors import BACKGROUND, ORIGINAL_REPLACEMENT
from recolor.errors import RecolorError

__all__ = ["DEFAULT_NEW", "DEFAULT_OLD", "ColorCountError", "fit_colors"]

# RGBA, the original experiment's; an RGB or gray image takes their leading channels.
DEFAULT_OLD = BACKGROUND
DEFAULT_NEW = ORIGINAL_REPLACEMENT
# The mode of an image with so many channels, as load_image gives it.
_MODE_BY_CHANNELS = {1: "L", 3: "RGB", 4: "RGBA"}

Values = tuple[int, ...]


class ColorCountError(RecolorError):
    """A colour or tolerance with a number of values the image cannot take."""

    def __init__(self, argument: str, given: int, image: str, expected: str) -> None:
        self.argument = argument
        self.given = given
        self.image = image  # "RGBA with 4 channels", "LA (gray with alpha)"
        self.expected = expected  # "4 values", "2 values, gray and alpha, or 4 (RGBA)"
        super().__init__(self.describe())

    def describe(self, options: Mapping[str, str] | None = None) -> str:
        """The message, naming the argument as ``options`` names it (else as a keyword)."""
        name = (options or {}).get(self.argument, self.argument)
        return (
            f"{name} has {_count(self.given, 'value')} but the image is {self.image}; "
            f"give {self.expected}"
        )


def fit_colors(
    old: Values | None,
    new: Values | None,
    tolerance: int | Values,
    channels: int,
    file_mode: str | None = None,
) -> tuple[Values, Values, Values]:
    """``old``, ``new`` and ``tolerance`` for an image of ``channels``, or ColorCountError.

    None is the default colour. ``file_mode`` "LA" says the file is gray with
    alpha, worked on as RGBA: its colours are given as gray and alpha (two
    values), or as RGBA.
    """
    mode = _MODE_BY_CHANNELS[channels]
    if isinstance(tolerance, int):
        tolerance = (tolerance,) * channels
    colours = (
        ("old", old, DEFAULT_OLD),
        ("new", new, DEFAULT_NEW),
        ("tolerance", tolerance, tolerance),
    )
    if file_mode == "LA":
        fitted = [_fit_gray_alpha(name, given, default) for name, given, default in colours]
    else:
        fitted = [
            _fit_color(name, given, default, channels, mode) for name, given, default in colours
        ]
    return fitted[0], fitted[1], fitted[2]


def _fit_gray_alpha(argument: str, given: Values | None, default: Values) -> Values:
    """A colour of an LA image as the RGBA it is worked on in: gray and alpha, or RGBA."""
    if given is None:
        return default
    if len(given) == 2:
        gray, alpha = given
        return (gray, gray, gray, alpha)
    if len(given) == 4:
        return given
    raise ColorCountError(
        argument, len(given), "LA (gray with alpha)", "2 values, gray and alpha, or 4 (RGBA)"
    )


def _fit_color(
    argument: str, given: Values | None, default: Values, channels: int, mode: str
) -> Values:
    """The colour for an image with ``channels`` channels, or a ColorCountError."""
    if given is None:
        return default[:channels]
    if len(given) != channels:
        expected = _count(channels, "value")
        if argument == "tolerance":
            expected += " or one for every channel"
        raise ColorCountError(
            argument, len(given), f"{mode} with {_count(channels, 'channel')}", expected
        )
    return given


def _count(number: int, noun: str) -> str:
    """ "1 value", "4 values"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
