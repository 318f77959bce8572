"""Reading image files for the command line, keeping what is not recoloured.

An :class:`ImageFile` holds every frame's pixels in a mode recolor handles
(L, RGB or RGBA) and what the writer needs to give the output back the
rest: metadata (EXIF, ICC profile, DPI, PNG text), the frames' timing, and
the encoder settings of the input (JPEG tables, lossless WebP, TIFF
compression). A conversion that would lose information is refused unless
``allow_lossy``, and is then named in a note.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from PIL import Image, ImageSequence, JpegImagePlugin, UnidentifiedImageError

from recolor.core.colors import PIL_MODES
from recolor.errors import RecolorError
from recolor.files.display import shown

__all__ = ["ImageFile", "ImageFileError", "Source", "read_image"]

# Modes whose values convert to a recolor mode without loss.
_LOSSLESS_CONVERSIONS = {"1": "L", "LA": "RGBA", "PA": "RGBA", "RGBX": "RGB"}
# Modes whose conversion loses information (precision, premultiplication, colour space).
_LOSSY_CONVERSIONS = {
    "La": "RGBA",
    "RGBa": "RGBA",
    "CMYK": "RGB",
    "YCbCr": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
}
# Metadata kept from the input's info, by Pillow's name for it.
METADATA_KEYS = ("exif", "icc_profile", "dpi")


class ImageFileError(RecolorError):
    """A file could not be read or written; the message is one line for the user."""


class ImageFile:
    """An image file's frames, of one mode of :data:`PIL_MODES`, and what the writer keeps.

    A plain class rather than a dataclass: importing dataclasses costs the
    command line 6 ms, and one image's whole run is about 0.2 s.
    """

    def __init__(self, frames: list[Image.Image], image_format: str | None) -> None:
        self.frames = frames
        self.format = image_format  # the input's Pillow format name, such as "PNG"
        self.metadata: dict[str, Any] = {}  # exif, icc_profile, dpi
        self.text: dict[str, str] = {}  # PNG text chunks
        self.durations: list[int] | None = None  # milliseconds per frame
        self.disposals: list[int] | None = None
        self.loop: int | None = None
        self.jpeg_tables: dict[str, Any] | None = None  # qtables and subsampling of a JPEG input
        self.lossless_webp = False
        self.tiff_compression: str | None = None
        self.notes: list[str] = []
        #: The file's own mode, when it is one recolor converts for its work but the writer
        #: can give back without loss: "LA" (gray with alpha) or "P" (a palette); else None.
        self.kept_mode: str | None = None


class Source(Protocol):
    """An image file to read, as :class:`recolor.files.location.Location` gives it."""

    def readable(self) -> Path | BinaryIO:
        """What Pillow opens."""

    def read_bytes(self) -> bytes:
        """The file's bytes."""


def read_image(
    source: Source,
    *,
    allow_lossy: bool = False,
    data: bytes | None = None,
    max_pixels: int | None = None,
) -> ImageFile:
    """Read every frame of ``source`` as a Pillow image of mode L, RGB or RGBA.

    With ``data``, the file's bytes are those (read by another process, say),
    and ``source`` only names it. An image whose frames add up to more than
    ``max_pixels`` (Pillow's ``Image.MAX_IMAGE_PIXELS`` by default) is
    refused before any frame is decoded: Pillow's own limit is per frame,
    and a small file of many large frames would otherwise fill the memory.
    """
    budget = max_pixels if max_pixels is not None else Image.MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            # Past Pillow's limit it only warns; past twice the limit it raises.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source.readable() if data is None else io.BytesIO(data)) as image:
                if budget is not None:
                    _check_budget(image, source, budget)
                return _read(image, source, allow_lossy, data)
    except FileNotFoundError:
        raise ImageFileError(f"{shown(source)}: no such file") from None
    except IsADirectoryError:
        raise ImageFileError(f"{shown(source)}: is a folder, not an image file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageFileError(
            f"{shown(source)}: refused as a possible decompression bomb, larger than Pillow's "
            f"limit of {Image.MAX_IMAGE_PIXELS} pixels ({error})"
        ) from None
    except UnidentifiedImageError:
        raise ImageFileError(f"{shown(source)}: not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageFileError(f"{shown(source)}: unreadable or corrupt image ({error})") from None


def _check_budget(image: Image.Image, path: Source, budget: int) -> None:
    """Refuse ``image`` if its frames add up to more than ``budget`` pixels, undecoded.

    Counting frames reads their headers, not their pixels.
    """
    frames = int(getattr(image, "n_frames", 1))
    width, height = image.size
    total = frames * width * height
    if total > budget:
        raise ImageFileError(
            f"{shown(path)}: refused before decoding: its {frames} frame(s) of {width}x{height} "
            f"add up to {total} pixels, more than the limit of {budget}",
            "raise it with {max_pixels} if the file is yours and the memory is there",
        )
    image.seek(0)


def _read(image: Image.Image, path: Source, allow_lossy: bool, data: bytes | None) -> ImageFile:
    deep = _deep_rawmode(image)  # before loading: the tiles say how the file stores values
    source_format = image.format
    info = dict(image.info)
    result = ImageFile([], source_format)
    result.metadata = {key: info[key] for key in METADATA_KEYS if info.get(key)}
    result.text = {str(k): str(v) for k, v in getattr(image, "text", {}).items()}
    if source_format == "JPEG":
        assert isinstance(image, JpegImagePlugin.JpegImageFile)
        result.jpeg_tables = {
            "qtables": image.quantization,
            "subsampling": JpegImagePlugin.get_sampling(image),
        }
    if source_format == "WEBP":
        result.lossless_webp = _is_lossless_webp(path.read_bytes() if data is None else data)
    if source_format == "TIFF":
        result.tiff_compression = info.get("compression")

    frames, disposals = [], []
    for frame in ImageSequence.Iterator(image):
        disposals.append(_disposal(frame))  # an attribute of the open file, not of a copy
        frames.append(frame.copy())
    if len(frames) > 1:
        result.durations = [int(frame.info.get("duration", 0)) for frame in frames]
        result.loop = info.get("loop")
        if all(value is not None for value in disposals):
            result.disposals = [int(value) for value in disposals if value is not None]

    original_modes = {frame.mode for frame in frames}
    target = _common_mode(frames)
    lost = _lossy_reason(frames, target)
    if deep and not lost:
        # Pillow itself reads 16 bits per channel of RGB as 8, without a word.
        lost = f"it stores {deep}: 16 bits per value, and recolor works on 8"
    if lost and not allow_lossy:
        raise ImageFileError(f"{shown(path)}: {lost}", "pass {allow_lossy} to convert it anyway")
    result.frames = [_convert(frame, target) for frame in frames]
    if original_modes in ({"LA"}, {"P"}):
        # Worked on as RGBA or RGB; the writer gives the file back its mode if it can.
        result.kept_mode = original_modes.pop()
        return result
    changes = []
    if original_modes != {target}:
        changes.append(f"converted from mode {', '.join(sorted(original_modes))} to {target}")
    if lost:
        changes.append(f"losing information: {lost}")
    if changes:
        result.notes.append(f"{shown(path)}: {', '.join(changes)}")
    return result


def _deep_rawmode(image: Image.Image) -> str | None:
    """The raw mode of a file that stores more than 8 bits per value, such as RGB;16B."""
    for tile in getattr(image, "tile", ()):
        rawmode = tile.args if isinstance(tile.args, str) else None
        if isinstance(tile.args, tuple) and tile.args and isinstance(tile.args[0], str):
            rawmode = tile.args[0]
        if rawmode and ";16" in rawmode and not image.mode.startswith("I;16"):
            return rawmode
    return None


def _disposal(frame: Image.Image) -> int | None:
    value = getattr(frame, "disposal_method", None)  # GIF
    if value is None:
        value = frame.info.get("disposal")  # APNG
    return None if value is None else int(value)


def _common_mode(frames: list[Image.Image]) -> str:
    """The recolor mode every frame converts to: one mode for the whole file."""
    targets = {_target_mode(frame) for frame in frames}
    for mode in ("RGBA", "RGB", "L"):
        if mode in targets:
            return mode
    raise AssertionError(targets)  # _target_mode returns one of PIL_MODES


def _target_mode(frame: Image.Image) -> str:
    mode = frame.mode
    if mode in PIL_MODES:
        return mode
    if mode == "P":
        return "RGBA" if "transparency" in frame.info else "RGB"
    if mode.startswith(("I", "F")):
        return "L"
    return _LOSSLESS_CONVERSIONS.get(mode) or _LOSSY_CONVERSIONS.get(mode, "RGBA")


def _lossy_reason(frames: list[Image.Image], target: str) -> str | None:
    """Why converting ``frames`` to ``target`` would lose information, or None."""
    for frame in frames:
        mode = frame.mode
        if mode.startswith(("I", "F")):
            return f"mode {mode} has more than 8 bits per value, and recolor works on 8"
        if mode in _LOSSY_CONVERSIONS:
            return f"mode {mode} does not convert to {target} without loss"
    return None


def _convert(frame: Image.Image, target: str) -> Image.Image:
    if frame.mode.startswith(("I", "F")):
        import numpy as np  # only here: the common modes need no numpy

        # 16- and 32-bit gray: scale into 0..255 rather than clip.
        pixels = np.asarray(frame, dtype=np.float64)
        peak = 65535.0 if frame.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        frame = Image.fromarray(np.clip(pixels / peak * 255.0 + 0.5, 0, 255).astype(np.uint8))
    if frame.mode == target:
        return frame
    return frame.convert(target)


def _is_lossless_webp(data: bytes) -> bool:
    """Whether a WebP file's bytes hold lossless (VP8L) image data and no lossy (VP8) data."""
    chunks = set()
    offset = 12  # after "RIFF", the size and "WEBP"
    while offset + 8 <= len(data):
        name = data[offset : offset + 4]
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        chunks.add(name)
        if name == b"ANMF":  # an animation frame holds its own chunks after 16 bytes
            offset += 8 + 16
            continue
        offset += 8 + size + (size & 1)
    return b"VP8L" in chunks and b"VP8 " not in chunks
