"""``recolor apply`` keeps everything it does not recolour, on real files the tests make."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageSequence, JpegImagePlugin, PngImagePlugin

import recolor
from recolor.cli import main
from recolor.testing import assert_image_equal, reference_recolor

OLD = (0, 0, 0, 0)
NEW = (5, 3, 192, 255)
ORIENTATION = 0x0112


def _open(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image.copy()


def _frames(path: Path) -> list[Image.Image]:
    with Image.open(path) as image:
        return [frame.copy() for frame in ImageSequence.Iterator(image)]


def _photo(width: int = 64, height: int = 48) -> Image.Image:
    """An opaque RGB picture, smooth as a photo, with a white background to recolour."""
    pixels = np.full((height, width, 3), 255, np.uint8)
    y, x = np.mgrid[0:32, 0:48]
    pixels[8:40, 8:56] = np.stack([x * 4, y * 5, 200 - x * 2], axis=-1).astype(np.uint8)
    return Image.fromarray(pixels)


def _psnr(a: Image.Image, b: Image.Image) -> float:
    error = np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)
    return float(10 * np.log10(255**2 / error))


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # rotate 90 degrees clockwise to display
    exif[0x010F] = "recolor tests"  # Make
    return exif


def _srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _apply(source: Path, out: Path, *options: str) -> int:
    return main(["apply", str(source), str(out), *options])


WHITE_TO_BLUE = ("--old", "255,255,255", "--new", "0,0,255")


def test_jpeg_keeps_exif_orientation_icc_dpi_and_its_quality(tmp_path: Path) -> None:
    source, out = tmp_path / "photo.jpg", tmp_path / "out.jpg"
    _photo().save(source, quality=95, exif=_exif(), icc_profile=_srgb_profile(), dpi=(300, 300))
    assert _apply(source, out, *WHITE_TO_BLUE, "--tolerance", "12") == 0

    with Image.open(source) as before, Image.open(out) as after:
        assert after.getexif()[ORIENTATION] == 6
        assert after.getexif()[0x010F] == "recolor tests"
        assert after.info["icc_profile"] == before.info["icc_profile"]
        assert after.info["dpi"] == pytest.approx((300, 300))
        # The same tables: the quality of the input, not Pillow's default of 75.
        assert isinstance(after, JpegImagePlugin.JpegImageFile)
        assert isinstance(before, JpegImagePlugin.JpegImageFile)
        assert after.quantization == before.quantization
        assert JpegImagePlugin.get_sampling(after) == JpegImagePlugin.get_sampling(before)
    # Pixels the command never touched: far closer to the input than at Pillow's default.
    untouched = (16, 16, 48, 32)
    before_crop, after_crop = _open(source).crop(untouched), _open(out).crop(untouched)
    default = tmp_path / "default.jpg"
    _open(source).save(default)
    assert _psnr(before_crop, after_crop) > _psnr(before_crop, _open(default).crop(untouched)) + 5


def test_png_keeps_text_icc_dpi_and_exif(tmp_path: Path) -> None:
    source, out = tmp_path / "in.png", tmp_path / "out.png"
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", "recolor tests")
    chunks.add_itxt("Description", "café")
    Image.fromarray(recolor.sample_image(32, 24)).save(
        source, pnginfo=chunks, icc_profile=_srgb_profile(), dpi=(144, 144), exif=_exif()
    )
    assert _apply(source, out) == 0
    with Image.open(out) as after:
        assert isinstance(after, PngImagePlugin.PngImageFile)
        assert after.text == {"Author": "recolor tests", "Description": "café"}
        assert after.info["icc_profile"] == _open(source).info["icc_profile"]
        assert after.info["dpi"] == pytest.approx((144, 144), rel=1e-3)
        assert after.getexif()[ORIENTATION] == 6
        expected = reference_recolor(recolor.sample_image(32, 24), OLD, NEW)
        assert_image_equal(np.asarray(after), expected)


def test_metadata_an_output_format_cannot_hold_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tmp_path / "in.png", tmp_path / "out.bmp"
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", "recolor tests")
    _photo().save(source, pnginfo=chunks, icc_profile=_srgb_profile())
    assert _apply(source, out, *WHITE_TO_BLUE) == 0
    err = capsys.readouterr().err
    assert "BMP cannot hold the input's ICC profile; it was left out" in err
    assert "BMP cannot hold PNG text; it was left out" in err


def test_lossless_webp_with_alpha_stays_lossless_and_exact(tmp_path: Path) -> None:
    source, out = tmp_path / "in.webp", tmp_path / "out.webp"
    pixels = recolor.sample_image(40, 30)
    Image.fromarray(pixels).save(source, lossless=True, exact=True)
    assert _apply(source, out) == 0
    assert_image_equal(np.asarray(_open(out)), reference_recolor(pixels, OLD, NEW))
    assert b"VP8L" in out.read_bytes()[:64]


@pytest.mark.parametrize("suffix", [".gif", ".png", ".webp"])
def test_an_animation_keeps_every_frame_its_duration_and_loop(tmp_path: Path, suffix: str) -> None:
    source, out = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    frames = [_gif_frame(shift) for shift in range(3)]
    extra: dict[str, Any] = {"lossless": True} if suffix == ".webp" else {"disposal": [1, 2, 1]}
    frames[0].save(
        source, save_all=True, append_images=frames[1:], duration=[80, 120, 160], loop=2, **extra
    )
    # Pillow reads an animated WebP as RGBA.
    colours = (
        ("--old", "255,255,255,255", "--new", "0,0,255,255") if suffix == ".webp" else WHITE_TO_BLUE
    )
    assert _apply(source, out, *colours) == 0

    written = _frames(out)
    assert len(written) == 3
    assert [frame.info["duration"] for frame in written] == [80, 120, 160]
    if suffix != ".webp":  # Pillow keeps no disposal per frame for WebP
        with Image.open(out) as image:
            disposals = [
                getattr(frame, "disposal_method", None) or frame.info.get("disposal")
                for frame in ImageSequence.Iterator(image)
            ]
        assert disposals == [1, 2, 1]
    assert _open(out).info["loop"] == 2
    for before, after in zip(_frames(source), written, strict=True):
        expected = reference_recolor(
            np.asarray(before.convert("RGB")), (255, 255, 255), (0, 0, 255)
        )
        assert_image_equal(np.asarray(after.convert("RGB")), expected)


def _gif_frame(shift: int) -> Image.Image:
    pixels = np.full((20, 30, 3), 255, np.uint8)
    pixels[5:15, 5 + shift * 5 : 15 + shift * 5] = (200, 30, 30)
    return Image.fromarray(pixels)


def test_multi_frame_tiff_keeps_every_frame_and_its_compression(tmp_path: Path) -> None:
    source, out = tmp_path / "in.tif", tmp_path / "out.tif"
    frames = [Image.fromarray(recolor.sample_image(16, 12, seed=seed)) for seed in range(3)]
    frames[0].save(source, save_all=True, append_images=frames[1:], compression="tiff_lzw")
    assert _apply(source, out) == 0
    written = _frames(out)
    assert len(written) == 3
    assert _open(out).info["compression"] == "tiff_lzw"
    for seed, frame in enumerate(written):
        expected = reference_recolor(recolor.sample_image(16, 12, seed=seed), OLD, NEW)
        assert_image_equal(np.asarray(frame), expected)


def test_several_frames_into_a_one_image_format_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tmp_path / "in.gif", tmp_path / "out.jpg"
    frames = [_gif_frame(shift) for shift in range(3)]
    frames[0].save(source, save_all=True, append_images=frames[1:])
    assert _apply(source, out, *WHITE_TO_BLUE) == 1
    err = capsys.readouterr().err
    assert (
        "JPEG holds one image, and the input has 3 frames; write .gif, .png, .tiff or .webp" in err
    )
    assert not out.exists()


def test_sixteen_bit_png_is_refused_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tmp_path / "deep.png", tmp_path / "out.png"
    Image.fromarray(np.full((4, 4), 40000, np.uint16)).save(source)
    assert _apply(source, out, "--old", "0", "--new", "9") == 1
    assert "more than 8 bits per value" in capsys.readouterr().err
    assert _apply(source, out, "--old", "0", "--new", "9", "--allow-lossy") == 0
    assert "losing information" in capsys.readouterr().err


def test_forty_eight_bit_png_is_refused_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tmp_path / "deep.png", tmp_path / "out.png"
    source.write_bytes(_png_48_bit(4, 3, 40000))
    assert _apply(source, out, "--old", "0,0,0", "--new", "9,9,9") == 1
    assert "it stores RGB;16B: 16 bits per value, and recolor works on 8" in capsys.readouterr().err
    assert not out.exists()
    assert _apply(source, out, "--old", "0,0,0", "--new", "9,9,9", "--allow-lossy") == 0
    assert "losing information: it stores RGB;16B" in capsys.readouterr().err


def _png_48_bit(width: int, height: int, value: int) -> bytes:
    """A PNG of 16 bits per channel, which Pillow reads but cannot write."""
    row = b"\x00" + np.full((width, 3), value, ">u2").tobytes()

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("suffix", "problem"),
    [
        (".gif", "GIF has only fully transparent or opaque pixels, and the image has others"),
        (".ico", "ICO holds at most 256x256, and the image is 300x300"),
    ],
)
def test_conversions_that_lose_information_are_refused_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, problem: str
) -> None:
    source, out = tmp_path / "in.png", tmp_path / f"out{suffix}"
    Image.fromarray(recolor.sample_image(300, 300)).save(source)
    assert _apply(source, out) == 1
    assert problem in capsys.readouterr().err
    assert not out.exists()
    assert _apply(source, out, "--allow-lossy") == 0
    assert problem in capsys.readouterr().err  # named in the note


def test_gif_with_more_than_256_colours_is_refused_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tmp_path / "in.png", tmp_path / "out.gif"
    _photo().save(source)
    assert _apply(source, out, *WHITE_TO_BLUE) == 1
    assert "GIF holds 256 colours, and the image has" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("suffix", "gray", "problem"),
    [
        (".pcx", False, "PCX has no alpha channel, and the image has pixels that are not opaque"),
        (".eps", False, "EPS has no alpha channel, and the image has pixels that are not opaque"),
        (".blp", False, "Pillow cannot write this image as BLP"),
        (".qoi", True, "Pillow cannot write this image as QOI"),
    ],
)
def test_a_format_pillow_cannot_write_for_the_image_is_one_line_before_any_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, gray: bool, problem: str
) -> None:
    source, out = tmp_path / "in.png", tmp_path / f"out{suffix}"
    pixels = recolor.sample_image(8, 8)
    pixels[0, 0] = (9, 9, 9, 128)  # translucent
    Image.fromarray(pixels[..., 0] if gray else pixels).save(source)
    colours = ("--old", "0", "--new", "9") if gray else ()
    assert _apply(source, out, *colours) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert problem in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


def test_the_library_keeps_a_pillow_images_info(tmp_path: Path) -> None:
    source = tmp_path / "in.png"
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", "recolor tests")
    Image.fromarray(recolor.sample_image(8, 8)).save(source, pnginfo=chunks, dpi=(72, 72))
    with Image.open(source) as image:
        result = recolor.recolor(image, OLD, NEW)
        assert result.info["Author"] == "recolor tests"
        assert result.info["dpi"] == pytest.approx((72, 72), rel=1e-3)
        assert result.info is not image.info
    buffer = io.BytesIO()
    result.save(buffer, format="PNG", pnginfo=_text_of(result.info))
    assert b"recolor tests" in buffer.getvalue()


def _text_of(info: dict[str, Any]) -> PngImagePlugin.PngInfo:
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Author", info["Author"])
    return chunks
