"""One image file recoloured: read, recolour every frame, encode, write.

The same function runs in ``recolor apply``'s own process and on a Dask
worker, so a batch on Dask writes the very bytes a batch here would. It
prints nothing: what it has to say comes back in its :class:`Outcome`.
"""

from __future__ import annotations

import io
from typing import NamedTuple

from recolor.files.display import shown
from recolor.files.fitting import fit_colors
from recolor.files.frames import recolor_frame
from recolor.files.location import Location
from recolor.files.read import ImageFileError, read_image
from recolor.files.write import encode, save

__all__ = ["Outcome", "Settings", "recolor_file"]


class Settings(NamedTuple):
    """What is asked of every image of a batch (picklable, for Dask's workers)."""

    old: tuple[int, ...] | None  # None: the default colour
    new: tuple[int, ...] | None
    tolerance: int | tuple[int, ...]
    technique: str | None
    allow_lossy: bool
    force: bool
    max_pixels: int | None = None
    #: Whether PNGs may be written by recolor.files.png, which needs numpy: decided once for
    #: the command, so that a file is the same bytes from any process of its batch.
    fast_png: bool = False


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
        settings.old,
        settings.new,
        settings.tolerance,
        len(image_file.frames[0].getbands()),
        image_file.kept_mode,
    )
    frames = []
    changed = 0
    for frame in image_file.frames:
        try:
            recoloured, frame_changed = recolor_frame(
                frame, old, new, tolerance=tolerance, technique=settings.technique
            )
        except (TypeError, ValueError) as error:
            raise ImageFileError(f"{shown(source)}: {error}") from None
        changed += frame_changed
        frames.append(recoloured)
    encoded = encode(
        frames, image_file, target, allow_lossy=settings.allow_lossy, fast_png=settings.fast_png
    )
    total = sum(frame.width * frame.height for frame in frames)
    if write:
        target.write(encoded, force=settings.force)  # may add notes on links
        return Outcome(changed, total, image_file.notes + encoded.notes)
    buffer = io.BytesIO()
    save(encoded, buffer, target)
    return Outcome(changed, total, image_file.notes + encoded.notes, buffer.getvalue())
