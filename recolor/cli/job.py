"""One image of ``recolor apply``: read, recolour every frame, encode, write.

The same function runs in the command's own process and on a Dask worker,
so a batch on Dask writes the very bytes a batch here would. It prints
nothing: what it has to say comes back in its :class:`Outcome`.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from typing import NamedTuple

from recolor.cli.options import CommandError, fit_colors
from recolor.files.display import shown
from recolor.files.frames import recolor_frame
from recolor.files.read import read_image
from recolor.files.urls import Location, write_url
from recolor.files.write import encode, save, write_image

__all__ = ["Outcome", "Settings", "recolor_file"]


class Settings(NamedTuple):
    """What ``recolor apply``'s options say of each image (picklable, for Dask's workers)."""

    old: tuple[int, ...] | None
    new: tuple[int, ...] | None
    tolerance: int | tuple[int, ...]
    technique: str | None
    allow_lossy: bool
    force: bool
    max_pixels: int | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Settings:
        return cls(
            args.old,
            args.new,
            args.tolerance,
            args.technique,
            args.allow_lossy,
            args.force,
            args.max_pixels,
        )


class Outcome(NamedTuple):
    """What became of one image."""

    #: Pixels recoloured, of how many, over all frames.
    changed: int
    total: int
    #: The conversions its reading and writing made, one line each, to print.
    notes: list[str]
    #: The encoded file, when it was not written (for the caller to write).
    data: bytes | None = None


def recolor_file(
    source: Location,
    target: Location,
    settings: Settings,
    *,
    data: bytes | None = None,
    write: bool = True,
) -> Outcome:
    """Recolour ``source`` (or its bytes, ``data``) into ``target``.

    Without ``write``, the encoded file comes back in :attr:`Outcome.data`
    instead. Raises RecolorError (or OSError) for this image alone.
    """
    image_file = read_image(
        source, allow_lossy=settings.allow_lossy, data=data, max_pixels=settings.max_pixels
    )
    old, new, tolerance = fit_colors(
        settings, len(image_file.frames[0].getbands()), image_file.kept_mode
    )
    frames = []
    changed = 0
    for frame in image_file.frames:
        try:
            recoloured, frame_changed = recolor_frame(
                frame, old, new, tolerance=tolerance, technique=settings.technique
            )
        except (TypeError, ValueError) as error:
            raise CommandError(f"{shown(source)}: {error}") from None
        changed += frame_changed
        frames.append(recoloured)
    encoded = encode(frames, image_file, target, allow_lossy=settings.allow_lossy)
    total = sum(frame.width * frame.height for frame in frames)
    if write and isinstance(target, Path):
        write_image(encoded, target, force=settings.force)  # may add notes on links
        return Outcome(changed, total, image_file.notes + encoded.notes)
    notes = image_file.notes + encoded.notes
    buffer = io.BytesIO()
    save(encoded, buffer, target)
    if not write:
        return Outcome(changed, total, notes, buffer.getvalue())
    assert isinstance(target, str)
    write_url(target, buffer.getvalue(), force=settings.force)
    return Outcome(changed, total, notes)
