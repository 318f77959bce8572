"""recolor's PNG writer (recolor.files.png): Pillow's file, pixel for pixel and chunk for chunk.

Every chunk but the image data must be the one Pillow writes for the same
image and options, and the image data must decode to the same pixels, for
any image of the modes the writer takes and any metadata recolor keeps.
"""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

import recolor
from recolor.files.png import FAST_MODES, MIN_PIXELS, can_write_fast, write_png
from recolor.testing import assert_image_equal


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        name, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(name + body), f"{name!r}: a wrong CRC"
        chunks.append((name, body))
        at += 12 + length
    return chunks


@st.composite
def _images(draw: st.DrawFn) -> Image.Image:
    mode = draw(st.sampled_from(sorted(FAST_MODES)))
    width, height = draw(st.integers(1, 70)), draw(st.integers(1, 70))
    kind = draw(st.sampled_from(["noise", "flat", "portrait", "gradient"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    if kind == "noise":
        pixels = rng.integers(0, 256, (height, width, 4), dtype=np.uint8)
    elif kind == "flat":
        pixels = np.full((height, width, 4), rng.integers(0, 256, 4, dtype=np.uint8))
    elif kind == "portrait":
        pixels = recolor.sample_image(height, width, seed=seed)
    else:
        ramp = np.add.outer(np.arange(height), np.arange(width)) % 256
        pixels = np.repeat(ramp[..., None], 4, axis=2).astype(np.uint8)
    return Image.fromarray(pixels, "RGBA").convert(mode)


@st.composite
def _options(draw: st.DrawFn, image: Image.Image) -> dict[str, object]:
    options: dict[str, object] = {}
    if draw(st.booleans()):
        text = PngImagePlugin.PngInfo()
        for key, value in draw(
            st.dictionaries(st.sampled_from(["Author", "Title"]), st.text())
        ).items():
            text.add_itxt(key, value)
        options["pnginfo"] = text
    if draw(st.booleans()):
        options["dpi"] = (draw(st.integers(1, 1200)), draw(st.integers(1, 1200)))
    if draw(st.booleans()):
        options["icc_profile"] = draw(st.binary(min_size=1, max_size=200))
    if draw(st.booleans()):
        exif = Image.Exif()
        exif[0x0112] = draw(st.integers(1, 8))  # orientation
        options["exif"] = exif.tobytes()
    if image.mode == "L" and draw(st.booleans()):
        image.info["transparency"] = draw(st.integers(0, 255))
    if image.mode == "RGB" and draw(st.booleans()):
        image.info["transparency"] = tuple(draw(st.integers(0, 255)) for _ in range(3))
    return options


@given(data=st.data())
def test_a_png_is_pillows_file_with_other_image_data_and_the_same_pixels(
    data: st.DataObject,
) -> None:
    image = data.draw(_images())
    options = data.draw(_options(image))
    ours, pillows = io.BytesIO(), io.BytesIO()
    write_png(image, ours, options)
    image.save(pillows, format="PNG", **options)
    ours_chunks, pillows_chunks = _chunks(ours.getvalue()), _chunks(pillows.getvalue())
    assert [chunk for chunk in ours_chunks if chunk[0] != b"IDAT"] == [
        chunk for chunk in pillows_chunks if chunk[0] != b"IDAT"
    ]
    with Image.open(ours) as back:
        back.load()
        assert back.mode == image.mode
        assert back.size == image.size
        assert_image_equal(np.asarray(back), np.asarray(image))
        with Image.open(pillows) as expected:
            assert back.info == expected.info


def test_palettes_sixteen_bits_animations_and_small_images_stay_with_pillow() -> None:
    """Small: below MIN_PIXELS, Pillow's encoder is the faster."""
    large = (128, -(-MIN_PIXELS // 128))
    assert can_write_fast(Image.new("RGBA", large), {})
    assert not can_write_fast(Image.new("RGBA", (128, large[1] - 1)), {})
    assert not can_write_fast(Image.new("P", large), {})
    assert not can_write_fast(Image.new("I;16", large), {})
    assert not can_write_fast(Image.new("RGBA", large), {"append_images": [], "save_all": True})


@pytest.mark.parametrize("mode", sorted(FAST_MODES))
def test_the_filter_is_chosen_by_the_size_it_deflates_to(mode: str) -> None:
    """A smooth ramp deflates best with a predicting filter, the flat portrait background with
    none: each image gets what suits it, and never a file larger than Pillow's by much."""
    ramp = np.add.outer(np.arange(300), np.arange(300) * 3).astype(np.uint8)
    smooth = Image.fromarray(np.repeat(ramp[..., None], 4, axis=2), "RGBA").convert(mode)
    portrait = Image.fromarray(recolor.sample_image(300, 300), "RGBA").convert(mode)
    for image in (smooth, portrait):
        ours, pillows = io.BytesIO(), io.BytesIO()
        write_png(image, ours, {})
        image.save(pillows, format="PNG")
        assert len(ours.getvalue()) <= 1.1 * len(pillows.getvalue())
    filters = {
        row[0]
        for row in np.frombuffer(
            zlib.decompress(
                b"".join(body for name, body in _chunks(_written(smooth)) if name == b"IDAT")
            ),
            np.uint8,
        ).reshape(300, -1)
    }
    assert filters != {0}, "a ramp written without a predicting filter"


def _written(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    write_png(image, buffer, {})
    return buffer.getvalue()
