"""Parsing the command line's values: colours, tolerances, sizes and counts.

Light on purpose (argparse and re only): recolor.cli imports it before
anything heavy, so that Ctrl-C is handled from the start.
"""

from __future__ import annotations

import argparse
import re

__all__ = ["parse_color", "parse_size", "parse_tolerance", "positive_int"]


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
