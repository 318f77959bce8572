"""Writing recoloured frames in the output's format, keeping what the input had.

What is kept, where the output format can hold it: EXIF (orientation
included), the ICC profile, DPI, PNG text, every frame with its duration,
the loop count and GIF/APNG disposal, and the encoder settings of the
input (a JPEG's quantisation tables and subsampling, a TIFF's compression).
WebP is written lossless, PNG is lossless by nature, and GIF gets an exact
palette. What cannot be kept (alpha in JPEG, more than 256 colours in GIF,
more than 256 pixels a side in ICO, several frames in a one-image format)
is refused before any file is written, unless ``allow_lossy`` allows the
conversions that lose information; each one is then named in a note.

Pillow writes every format, but for the image data of most PNGs, which
recolor.files.png writes faster and smaller than Pillow's encoder at its
defaults (Pillow still writes their other chunks).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

from PIL import Image, ImageChops, PngImagePlugin

from recolor.files import png
from recolor.files.atomic import atomic_write
from recolor.files.display import shown
from recolor.files.read import ImageFile, ImageFileError

__all__ = [
    "EncodedImage",
    "Named",
    "check_output_path",
    "encode",
    "output_format",
    "save",
    "write_file",
    "write_image",
]

# Which of the kept metadata each format's writer takes.
_METADATA_BY_FORMAT = {
    "JPEG": ("exif", "icc_profile", "dpi"),
    "PNG": ("exif", "icc_profile", "dpi"),
    "WEBP": ("exif", "icc_profile"),
    "TIFF": ("exif", "icc_profile", "dpi"),
}
_METADATA_NAMES = {"exif": "EXIF", "icc_profile": "ICC profile", "dpi": "DPI"}
# Formats with timing per frame, and which also keep a disposal per frame.
_TIMED_FORMATS = {"GIF", "PNG", "WEBP"}
_DISPOSAL_FORMATS = {"GIF", "PNG"}
_ICO_LARGEST = 256
# A JPEG made from an input that was not one: the quality of Pillow's "web_high" preset.
_JPEG_QUALITY = 95
# The widest or tallest image each format's encoder writes (WebP's is its bitstream's, 2^14 - 1;
# GIF's a 16-bit field); Pillow finds out only while writing the whole image.
_LARGEST_SIDE = {"WEBP": 16383, "GIF": 65535}
# Formats whose writer keeps a gray image with alpha, and a palette with one alpha per entry.
_LA_FORMATS = {"PNG", "TIFF"}
_PALETTE_FORMATS = {"PNG"}


class Named(Protocol):
    """A file's name, whose suffix says its format: a Path, or a Location."""

    @property
    def suffix(self) -> str: ...


class EncodedImage:
    """The first frame as Pillow writes it, and the ``save`` arguments for the rest."""

    def __init__(
        self, image: Image.Image, image_format: str, notes: list[str], *, fast_png: bool = False
    ) -> None:
        self.image = image
        self.format = image_format
        self.options: dict[str, Any] = {}
        self.notes = notes
        self.fast_png = fast_png  # recolor.files.png may write it

    def save(self, file: Any) -> None:
        if self.format == "PNG" and self.fast_png and png.can_write_fast(self.image, self.options):
            png.write_png(self.image, file, self.options)  # Pillow's chunks, faster image data
        else:
            self.image.save(file, format=self.format, **self.options)

    def dry_run(self) -> None:
        """Save in memory what Pillow would refuse to write, before any file is touched.

        A corner of a single image shows it at no cost. Frames are saved whole:
        corners of different frames may be alike, and writers merge alike frames.
        """
        if "append_images" in self.options:
            self.save(io.BytesIO())
        else:
            _corner(self.image).save(io.BytesIO(), format=self.format, **self.options)


def _corner(image: Image.Image) -> Image.Image:
    corner = image.crop((0, 0, min(image.width, 2), min(image.height, 2)))
    corner.info = image.info  # a palette image's transparency
    return corner


def output_format(path: Named | str) -> str:
    """The Pillow format name for ``path``'s suffix (a path's or a URL's), or ImageFileError."""
    # The common formats first, as Image.save does: loading every plugin takes 25 ms.
    Image.preinit()
    written_suffix = PurePosixPath(path).suffix if isinstance(path, str) else path.suffix
    suffix = written_suffix.lower()
    image_format = Image.EXTENSION.get(suffix)
    if image_format is None or image_format not in Image.SAVE:
        image_format = Image.registered_extensions().get(suffix)  # every plugin
    if image_format is None or image_format not in Image.SAVE:
        known = ", ".join(sorted({".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".gif"}))
        raise ImageFileError(
            f"{shown(path)}: cannot tell the format from the suffix {shown(written_suffix)!r}; "
            f"use one of {known}"
        )
    return image_format


def check_output_path(path: Path, *, force: bool, skip_existing: bool = False) -> bool:
    """Refuse, before any work, an output that cannot be written; False: skip it.

    An existing output is refused without ``force``, or skipped with
    ``skip_existing`` (its writing was atomic, so it is complete).
    """
    output_format(path)
    if path.is_dir():
        raise ImageFileError(f"{shown(path)}: is a folder; give a file name")
    if os.path.lexists(path) and not force:  # a dangling symbolic link holds the name too
        if skip_existing:
            return False
        raise ImageFileError(
            f"{shown(path)}: already exists",
            "pass {force} to overwrite it, or {skip_existing} to skip it",
        )
    if not path.parent.is_dir():
        raise ImageFileError(f"{shown(path)}: the folder {shown(path.parent)} does not exist")
    return True


def encode(
    frames: list[Image.Image],
    source: ImageFile,
    path: Named,
    *,
    allow_lossy: bool = False,
    fast_png: bool = False,
) -> EncodedImage:
    """How to write ``frames`` (recoloured from ``source``) to ``path``, checked by a dry run.

    ``fast_png``: a PNG may be written by recolor.files.png (which needs numpy).
    """
    image_format = output_format(path)
    name = shown(path)
    if len(frames) > 1 and image_format not in Image.SAVE_ALL:
        raise ImageFileError(
            f"{name}: {image_format} holds one image, and the input has {len(frames)} frames; "
            "write .gif, .png, .tiff or .webp to keep them all"
        )
    largest = _LARGEST_SIDE.get(image_format)
    if largest is not None and max(frames[0].size) > largest:
        width, height = frames[0].size
        raise ImageFileError(
            f"{name}: {image_format} holds at most {largest} pixels a side, and the image is "
            f"{width}x{height}; write .png or .tiff"
        )
    if source.kept_mode is not None:
        restored = [_restore_mode(frame, source.kept_mode, image_format) for frame in frames]
        frames = [image for image, _ in restored]
        kept_notes = {f"{name}: {note}" for _, note in restored if note}
    else:
        kept_notes = set()
    fitted = [_fit_mode(frame, image_format, name, allow_lossy) for frame in frames]
    images = [image for image, _ in fitted]
    notes = sorted({note for _, note in fitted if note} | kept_notes)
    encoded = EncodedImage(images[0], image_format, notes=notes, fast_png=fast_png)
    _keep_settings(encoded, source, name)
    if len(images) > 1:
        _keep_frames(encoded, images[1:], source)
    try:
        encoded.dry_run()  # Pillow's own refusals, before any file is touched
    except Exception as error:  # Pillow raises many types for one cause
        raise ImageFileError(
            f"{name}: Pillow cannot write this image as {image_format} ({error})"
        ) from None
    return encoded


def save(encoded: EncodedImage, file: Any, name: Named) -> None:
    """``encoded`` written to ``file``; what Pillow's encoder refuses only now, one line."""
    try:
        encoded.save(file)
    except OSError:
        raise
    except Exception as error:  # Pillow raises many types for one cause
        raise ImageFileError(
            f"{shown(name)}: Pillow's {encoded.format} encoder refused the whole image "
            f"({type(error).__name__}: {error})"
        ) from None


def write_image(encoded: EncodedImage, path: Path, *, force: bool) -> None:
    """Write ``encoded`` to ``path`` atomically; never over an existing file without ``force``.

    Over a symbolic link, its target is replaced; over a file with other hard
    links, those keep the old image. Either gets a note in ``encoded.notes``.
    """
    encoded.notes += write_file(path, lambda file: save(encoded, file, path), force=force)


def write_file(path: Path, fill: Callable[[BinaryIO], object], *, force: bool) -> list[str]:
    """Write the file ``fill`` fills to ``path`` atomically; the notes on links it replaced."""
    notes = _link_notes(path) if force else []
    try:
        atomic_write(path, fill, overwrite=force)
    except FileExistsError:
        raise ImageFileError(
            f"{shown(path)}: already exists", "pass {force} to overwrite it"
        ) from None
    except OSError as error:
        raise ImageFileError(f"{shown(path)}: could not be written ({error})") from None
    return notes


def _link_notes(path: Path) -> list[str]:
    if path.is_symlink():
        return [f"{shown(path)}: a symbolic link; its target {shown(path.resolve())} was replaced"]
    try:
        links = os.stat(path).st_nlink
    except OSError:
        return []
    if links > 1:
        return [
            f"{shown(path)}: had {links} hard links; the new image replaces this name only, "
            "and the others keep the old one"
        ]
    return []


def _restore_mode(image: Image.Image, mode: str, image_format: str) -> tuple[Image.Image, str]:
    """``image`` back in the input file's own ``mode`` where that loses nothing; else a note."""
    if mode == "LA":
        red, green, blue, _ = image.split()
        gray = ImageChops.difference(red, green).getbbox() is None and (
            ImageChops.difference(green, blue).getbbox() is None
        )
        if not gray:
            return image, "written as RGBA: a colour that is not gray is no LA pixel"
        if image_format not in _LA_FORMATS:
            return image, f"written as RGBA: {image_format} holds no gray with alpha (LA)"
        return image.convert("LA"), ""
    if image_format not in _PALETTE_FORMATS:
        return image, ""  # GIF has its own palette; other formats have none
    palette = _exact_palette(image)
    if palette is None:
        return image, f"written as {image.mode}: over 256 colours, more than a palette holds"
    return palette, ""


def _exact_palette(image: Image.Image) -> Image.Image | None:
    """``image`` (RGB or RGBA) as a palette image of exactly its colours, or None: over 256.

    Each palette entry keeps its own alpha (PNG's tRNS chunk).
    """
    import numpy as np  # palette images only

    if image.getcolors(256) is None:
        return None
    rgba = np.asarray(image.convert("RGBA"))
    colors, indices = np.unique(rgba.reshape(-1, 4), axis=0, return_inverse=True)
    palette_image = Image.fromarray(indices.reshape(rgba.shape[:2]).astype(np.uint8), mode="P")
    palette_image.putpalette(colors[:, :3].astype(np.uint8).tobytes(), rawmode="RGB")
    if image.mode == "RGBA" and (colors[:, 3] != 255).any():
        palette_image.info["transparency"] = colors[:, 3].astype(np.uint8).tobytes()
    return palette_image


def _fit_mode(
    image: Image.Image, image_format: str, name: str, allow_lossy: bool
) -> tuple[Image.Image, str | None]:
    if image_format == "GIF":
        return _to_palette(image, name, allow_lossy)
    if image_format == "ICO" and max(image.size) > _ICO_LARGEST:
        problem = (
            f"{name}: ICO holds at most {_ICO_LARGEST}x{_ICO_LARGEST}, and the image is "
            f"{image.size[0]}x{image.size[1]}"
        )
        _refuse_unless(allow_lossy, problem)
        return image, f"{problem}; Pillow shrank it"
    if (
        image.mode == "RGBA"
        and not _can_write("RGBA", image_format)
        and _can_write("RGB", image_format)
    ):
        opaque = image.getchannel("A").getextrema() == (255, 255)
        if not opaque:
            _refuse_unless(
                allow_lossy,
                f"{name}: {image_format} has no alpha channel, and the image has "
                "pixels that are not opaque",
            )
        note = f"{name}: {image_format} has no alpha channel, so it was written as RGB"
        return image.convert("RGB"), note + ("" if opaque else ", dropping transparency")
    return image, None


def _to_palette(image: Image.Image, name: str, allow_lossy: bool) -> tuple[Image.Image, str | None]:
    """``image`` as a palette image with exactly its colours, if GIF can hold them."""
    import numpy as np  # GIF only

    rgba = np.asarray(image.convert("RGBA"))
    alpha = rgba[..., 3]
    if np.any((alpha != 0) & (alpha != 255)):
        problem = "GIF has only fully transparent or opaque pixels, and the image has others"
    else:
        colors, indices = np.unique(
            np.where(alpha[..., np.newaxis] == 0, 0, rgba).reshape(-1, 4),
            axis=0,
            return_inverse=True,
        )
        if len(colors) <= 256:
            palette_image = Image.fromarray(indices.reshape(alpha.shape).astype(np.uint8), mode="P")
            palette_image.putpalette(colors[:, :3].astype(np.uint8).tobytes(), rawmode="RGB")
            transparent = np.flatnonzero(colors[:, 3] == 0)
            if transparent.size:
                palette_image.info["transparency"] = int(transparent[0])
            return palette_image, None
        problem = f"GIF holds 256 colours, and the image has {len(colors)}"
    _refuse_unless(allow_lossy, f"{name}: {problem}")
    return image.convert(
        "RGBA" if image.mode == "RGBA" else "RGB"
    ), f"{name}: {problem}; Pillow reduced them"


def _keep_settings(encoded: EncodedImage, source: ImageFile, name: str) -> None:
    options, image_format = encoded.options, encoded.format
    accepted = _METADATA_BY_FORMAT.get(image_format, ())
    for key, value in source.metadata.items():
        if key in accepted:
            options[key] = value
        else:
            encoded.notes.append(
                f"{name}: {image_format} cannot hold the input's {_METADATA_NAMES[key]}; "
                "it was left out"
            )
    if source.text:
        if image_format == "PNG":
            chunks = PngImagePlugin.PngInfo()
            for key, value in source.text.items():
                chunks.add_itxt(key, value)
            options["pnginfo"] = chunks
        else:
            encoded.notes.append(f"{name}: {image_format} cannot hold PNG text; it was left out")
    if image_format == "JPEG":
        if source.jpeg_tables is not None:
            options.update(source.jpeg_tables)  # the input's quality and subsampling, exactly
        else:
            options["quality"] = _JPEG_QUALITY
            encoded.notes.append(
                f"{name}: written as JPEG, which is lossy, at quality {_JPEG_QUALITY}"
            )
    elif image_format == "WEBP":
        options["lossless"] = True
        options["exact"] = True  # keep the colour of transparent pixels, which may be recoloured
    elif image_format == "TIFF" and source.tiff_compression:
        options["compression"] = source.tiff_compression


def _keep_frames(encoded: EncodedImage, rest: list[Image.Image], source: ImageFile) -> None:
    options = encoded.options
    options["save_all"] = True
    options["append_images"] = rest
    if encoded.format in _TIMED_FORMATS and source.durations is not None:
        options["duration"] = source.durations
        options["loop"] = source.loop if source.loop is not None else 0
        if encoded.format in _DISPOSAL_FORMATS and source.disposals is not None:
            options["disposal"] = source.disposals
    if encoded.format == "GIF":
        options["optimize"] = False  # keep each frame's exact palette


def _can_write(mode: str, image_format: str) -> bool:
    try:
        Image.new(mode, (1, 1)).save(io.BytesIO(), format=image_format)
    except Exception:  # Pillow raises many types for one cause
        return False
    return True


def _refuse_unless(allowed: bool, problem: str) -> None:
    if not allowed:
        raise ImageFileError(problem, "pass {allow_lossy} to write it anyway")
