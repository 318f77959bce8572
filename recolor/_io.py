"""Reading and writing image files for the command line.

Reading converts any mode Pillow reads into one recolor handles, and says
what it did. Writing is atomic: a temporary file in the output's folder,
then a rename, so a failure never leaves a partial or stray file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, UnidentifiedImageError

from recolor._api import PIL_MODES
from recolor._atomic import atomic_write

__all__ = ["ImageFileError", "LoadedImage", "check_output_path", "load_image", "save_image"]

# What the modes recolor does not take as they are (PIL_MODES) become.
_CONVERSIONS = {
    "1": "L",
    "LA": "RGBA",
    "La": "RGBA",
    "PA": "RGBA",
    "RGBa": "RGBA",
    "RGBX": "RGB",
    "CMYK": "RGB",
    "YCbCr": "RGB",
    "LAB": "RGB",
    "HSV": "RGB",
}
# Formats that cannot hold an alpha channel: an RGBA result is written as RGB.
_NO_ALPHA_FORMATS = {"JPEG", "BMP"}


class ImageFileError(Exception):
    """A file could not be read or written; the message is one line for the user."""


@dataclass(frozen=True)
class LoadedImage:
    pixels: npt.NDArray[np.uint8]
    note: str | None  # what conversion was made, if any


def load_image(path: Path) -> LoadedImage:
    """Read ``path`` into an (H, W[, C]) uint8 array of mode L, RGB or RGBA."""
    try:
        with warnings.catch_warnings():
            # Past Pillow's limit it only warns; past twice the limit it raises.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                original_mode = image.mode
                converted = _convert(image)
    except FileNotFoundError:
        raise ImageFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImageFileError(f"{path}: is a folder, not an image file") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ImageFileError(
            f"{path}: refused as a possible decompression bomb, larger than Pillow's limit of "
            f"{Image.MAX_IMAGE_PIXELS} pixels ({error})"
        ) from None
    except UnidentifiedImageError:
        raise ImageFileError(f"{path}: not an image file Pillow can read") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ImageFileError(f"{path}: unreadable or corrupt image ({error})") from None
    note = None
    if converted.mode != original_mode:
        note = f"{path}: converted from mode {original_mode} to {converted.mode}"
    return LoadedImage(np.asarray(converted), note)


def _convert(image: Image.Image) -> Image.Image:
    if image.mode in PIL_MODES:
        return image.copy()
    if image.mode == "P":
        # A palette with a transparent entry keeps it as alpha.
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode.startswith(("I", "F")):
        # 16- and 32-bit gray: scale into 0..255 rather than clip.
        pixels = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        return Image.fromarray(np.clip(pixels / peak * 255.0 + 0.5, 0, 255).astype(np.uint8))
    return image.convert(_CONVERSIONS.get(image.mode, "RGBA"))


def output_format(path: Path) -> str:
    """The Pillow format name for ``path``'s suffix, or ImageFileError."""
    extensions = Image.registered_extensions()
    image_format = extensions.get(path.suffix.lower())
    if image_format is None or image_format not in Image.SAVE:
        known = ", ".join(sorted({".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff", ".bmp"}))
        raise ImageFileError(
            f"{path}: cannot tell the format from the suffix {path.suffix!r}; use one of {known}"
        )
    return image_format


def check_output_path(path: Path, *, force: bool) -> None:
    """Refuse, before any work, an output that exists (without force) or cannot be written."""
    output_format(path)
    if path.is_dir():
        raise ImageFileError(f"{path}: is a folder; give a file name")
    if path.exists() and not force:
        raise ImageFileError(f"{path}: already exists; pass --force to overwrite it")
    if not path.parent.is_dir():
        raise ImageFileError(f"{path}: the folder {path.parent} does not exist")


def save_image(pixels: npt.NDArray[np.uint8], path: Path, *, force: bool) -> str | None:
    """Write ``pixels`` to ``path`` atomically, in the format of its suffix.

    Returns a note when the image had to be changed to fit the format.
    """
    image_format = output_format(path)
    image = Image.fromarray(pixels)
    note = None
    if image.mode == "RGBA" and image_format in _NO_ALPHA_FORMATS:
        image = image.convert("RGB")
        note = f"{path}: {image_format} has no alpha channel, so it was written as RGB"
    try:
        atomic_write(path, lambda file: image.save(file, format=image_format), overwrite=force)
    except FileExistsError:
        raise ImageFileError(f"{path}: already exists; pass --force to overwrite it") from None
    except OSError as error:
        raise ImageFileError(f"{path}: could not be written ({error})") from None
    return note
