"""The recolor command line, driven through main(argv) and a subprocess, on real files."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import recolor
from recolor.cli import main, parse_color
from recolor.testing import assert_image_equal, reference_recolor

OLD = (0, 0, 0, 0)
NEW = (5, 3, 192, 255)


@pytest.fixture
def portrait(tmp_path: Path) -> Path:
    path = tmp_path / "portrait.png"
    Image.fromarray(recolor.sample_image(40, 30)).save(path)
    return path


def _open(path: Path) -> Image.Image:
    with Image.open(path) as image:
        image.load()
        return image.copy()


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


# ----------------------------------------------------------------- apply


def test_apply_recolours_a_png(portrait: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    assert main(["apply", str(portrait), str(out)]) == 0
    expected = reference_recolor(np.asarray(_open(portrait)), OLD, NEW)
    assert_image_equal(np.asarray(_open(out)), expected)


@pytest.mark.parametrize("color", ["#0503c0ff", "5,3,192,255", "5, 3, 192, 255"])
def test_apply_takes_colours_in_every_spelling(portrait: Path, tmp_path: Path, color: str) -> None:
    out = tmp_path / "out.png"
    assert main(["apply", str(portrait), str(out), "--old", "#00000000", "--new", color]) == 0
    assert tuple(np.asarray(_open(out))[0, 0]) == NEW


def test_apply_with_tolerance_and_technique(portrait: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    args = ["apply", str(portrait), str(out), "--tolerance", "0,0,0,1", "--technique", "numpy_mask"]
    assert main(args) == 0
    expected = reference_recolor(np.asarray(_open(portrait)), OLD, NEW, tolerance=(0, 0, 0, 1))
    assert_image_equal(np.asarray(_open(out)), expected)


@pytest.mark.parametrize("suffix", [".png", ".webp", ".tif", ".bmp", ".jpg"])
def test_apply_writes_the_format_of_the_suffix(portrait: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    # The portrait keeps a few translucent pixels, which JPEG cannot hold.
    lossy = ["--allow-lossy"] if suffix == ".jpg" else []
    assert main(["apply", str(portrait), str(out), *lossy]) == 0
    expected_format = {
        ".png": "PNG",
        ".webp": "WEBP",
        ".tif": "TIFF",
        ".bmp": "BMP",
        ".jpg": "JPEG",
    }
    with Image.open(out) as image:
        assert image.format == expected_format[suffix]


def _apply_with_zero_colours(source: Path, out: Path, channels: int, *options: str) -> int:
    zero, nine = ",".join(["0"] * channels), ",".join(["9"] * channels)
    return main(["apply", str(source), str(out), "--old", zero, "--new", nine, *options])


@pytest.mark.parametrize(("mode", "expected_mode"), [("1", "L")])
def test_apply_converts_other_modes_without_loss_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str, expected_mode: str
) -> None:
    # LA and palette files are written back in their own mode: tests/test_cli_faults.py.
    source = tmp_path / "in.png"
    Image.fromarray(recolor.sample_image(12, 9)).convert("RGB").convert(mode).save(source)
    out = tmp_path / "out.png"
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[expected_mode]
    assert _apply_with_zero_colours(source, out, channels) == 0
    assert f"converted from mode {mode} to {expected_mode}" in capsys.readouterr().err
    assert _open(out).mode == expected_mode


@pytest.mark.parametrize(
    ("mode", "expected_mode", "reason"),
    [
        ("I;16", "L", "mode I;16 has more than 8 bits per value, and recolor works on 8"),
        ("CMYK", "RGB", "mode CMYK does not convert to RGB without loss"),
    ],
)
def test_apply_refuses_a_lossy_conversion_unless_allowed_and_then_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str, expected_mode: str, reason: str
) -> None:
    source, out = tmp_path / "in.tif", tmp_path / "out.png"
    Image.fromarray(recolor.sample_image(12, 9)).convert("RGB").convert(mode).save(source)
    channels = {"L": 1, "RGB": 3}[expected_mode]
    assert _apply_with_zero_colours(source, out, channels) == 1
    assert _error_line(capsys) == (
        f"recolor: error: {source}: {reason}; pass --allow-lossy to convert it anyway"
    )
    assert not out.exists()

    assert _apply_with_zero_colours(source, out, channels, "--allow-lossy") == 0
    err = capsys.readouterr().err
    assert f"converted from mode {mode} to {expected_mode}, losing information: {reason}" in err
    assert _open(out).mode == expected_mode


def test_apply_gray_image_takes_one_value_colours(tmp_path: Path) -> None:
    source, out = tmp_path / "gray.png", tmp_path / "out.png"
    Image.fromarray(np.array([[0, 7], [7, 0]], np.uint8)).save(source)
    assert main(["apply", str(source), str(out), "--old", "7", "--new", "200"]) == 0
    assert np.asarray(_open(out)).tolist() == [[0, 200], [200, 0]]


def test_apply_refuses_to_overwrite_without_force(
    portrait: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.png"
    out.write_bytes(b"precious")
    assert main(["apply", str(portrait), str(out)]) == 1
    assert "already exists; pass --force" in _error_line(capsys)
    assert out.read_bytes() == b"precious"
    assert main(["apply", str(portrait), str(out), "--force"]) == 0
    assert _open(out).size == (40, 30)


def test_apply_several_files_to_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = []
    for index in range(3):
        path = tmp_path / f"in{index}.png"
        Image.fromarray(recolor.sample_image(20, 10, seed=index)).save(path)
        inputs.append(str(path))
    out_dir = tmp_path / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys.stderr, "isatty", lambda: True)  # a terminal: the bar is drawn
        assert main(["apply", *inputs, "--out-dir", str(out_dir)]) == 0
    assert _files(out_dir) == ["in0.png", "in1.png", "in2.png"]
    assert "3/3" in capsys.readouterr().err  # the progress bar


def test_apply_several_files_reports_each_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(recolor.sample_image(20, 10)).save(good)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    out_dir = tmp_path / "out"
    assert main(["apply", str(good), str(bad), "--out-dir", str(out_dir)]) == 1
    err = capsys.readouterr().err
    assert "bad.png: not an image file Pillow can read" in err
    assert "1 of 2 images failed" in err
    assert _files(out_dir) == ["good.png"]


@pytest.mark.parametrize(
    ("make_input", "args", "message"),
    [
        (None, [], r"missing.png: no such file"),
        (lambda p: p.write_bytes(b"garbage"), [], r"not an image file Pillow can read"),
        (lambda p: p.write_bytes(_truncated_png()), [], r"unreadable or corrupt image"),
        (
            "portrait",
            ["--old", "0,0,0"],
            r"--old has 3 values but the image is RGBA with 4 channels; give 4 values",
        ),
        ("portrait", ["--new", "1,2"], r"--new has 2 values but the image is RGBA with 4 channels"),
        ("portrait", ["--tolerance", "1,2"], r"--tolerance has 2 values but the image is RGBA"),
    ],
)
def test_apply_errors_are_one_line_and_leave_no_file(
    tmp_path: Path, portrait: Path, capsys: pytest.CaptureFixture[str], make_input, args, message
) -> None:
    source = portrait if make_input == "portrait" else tmp_path / "missing.png"
    if callable(make_input):
        make_input(source)
    out_dir = tmp_path / "outputs"
    out_dir.mkdir()
    assert main(["apply", str(source), str(out_dir / "out.png"), *args]) == 1
    assert re.search(message, _error_line(capsys))
    assert _files(out_dir) == []


@pytest.mark.parametrize("color", ["red", "#12345", "1,2,300", "-1,0,0", "#gg0000"])
def test_apply_bad_colour_string_is_a_usage_error(
    portrait: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], color: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["apply", str(portrait), str(tmp_path / "out.png"), f"--old={color}"])
    assert exit_info.value.code == 2
    assert "is not a colour" in _error_line(capsys)
    assert not (tmp_path / "out.png").exists()


def test_apply_refuses_a_decompression_bomb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "big.png"
    Image.new("RGBA", (64, 64)).save(source)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # 4096 pixels is over the limit
    out = tmp_path / "out.png"
    assert main(["apply", str(source), str(out)]) == 1
    assert "decompression bomb" in _error_line(capsys)
    assert not out.exists()


def test_apply_unknown_suffix_is_refused_before_any_work(
    portrait: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["apply", str(portrait), str(tmp_path / "out.xyz")]) == 1
    assert "cannot tell the format from the suffix '.xyz'" in _error_line(capsys)
    assert _files(tmp_path) == ["portrait.png"]


def test_apply_failure_while_writing_leaves_no_partial_or_stray_file(
    portrait: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_save = Image.Image.save

    def broken_save(self: Image.Image, fp: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(fp, io.BytesIO):  # the dry run before writing
            return real_save(self, fp, *args, **kwargs)
        fp.write(b"half an ima")
        raise OSError("disk full")

    out = tmp_path / "out.png"
    monkeypatch.setattr(Image.Image, "save", broken_save)
    assert main(["apply", str(portrait), str(out)]) == 1
    assert "could not be written (disk full)" in _error_line(capsys)
    assert _files(tmp_path) == ["portrait.png"]


def test_apply_jpeg_output_refuses_to_drop_alpha_unless_allowed_and_then_says_so(
    portrait: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.jpg"
    assert main(["apply", str(portrait), str(out)]) == 1
    assert _error_line(capsys).endswith(
        "JPEG has no alpha channel, and the image has pixels that are not opaque; "
        "pass --allow-lossy to write it anyway"
    )
    assert not out.exists()

    assert main(["apply", str(portrait), str(out), "--allow-lossy"]) == 0
    err = capsys.readouterr().err
    assert "JPEG has no alpha channel, so it was written as RGB, dropping transparency" in err
    assert _open(out).mode == "RGB"


def test_apply_jpeg_output_of_an_opaque_image_needs_no_permission(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = tmp_path / "opaque.png", tmp_path / "out.jpg"
    Image.fromarray(np.full((8, 8, 4), 255, np.uint8)).save(source)
    assert main(["apply", str(source), str(out)]) == 0
    assert "so it was written as RGB" in capsys.readouterr().err


def test_apply_wrong_number_of_paths(portrait: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", str(portrait)]) == 2  # a wrong command line, as argparse's
    assert "apply takes INPUT OUTPUT, or INPUT... --out-dir DIR" in _error_line(capsys)


def _truncated_png() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray(recolor.sample_image(64, 64)).save(buffer, format="PNG")
    return buffer.getvalue()[:200]


def test_version_goes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    captured = capsys.readouterr()
    assert re.fullmatch(r"recolor \S+\n", captured.out)
    assert captured.err == ""


def test_parse_color() -> None:
    assert parse_color("#0503C0") == (5, 3, 192)
    assert parse_color("7") == (7,)


# ----------------------------------------------------------------- techniques


def test_techniques_lists_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["techniques"]) == 0
    out = capsys.readouterr().out
    for technique in recolor.TECHNIQUES.values():
        assert technique.name in out
        assert technique.description in out
    assert "available here" in out


# ----------------------------------------------------------------- bench


def test_bench_races_every_technique_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "race.json"
    assert (
        main(["bench", "--size", "64x48", "--repeat", "1", "--threads", "1", "--json", str(report)])
        == 0
    )
    out = capsys.readouterr().out
    for column in ["median", "MP/s", "x fastest", "x copy", "CPU"]:
        assert column in out
    results = json.loads(report.read_text())["results"]
    names = {r["technique"] for r in results}
    available = {t.name for t in recolor.TECHNIQUES.values() if t.available}
    assert names == available | {"numpy.copy"}
    assert min(r["x_fastest"] for r in results if r["technique"] != "numpy.copy") == 1.0


def test_bench_races_only_the_techniques_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "bench",
                "--size",
                "32x32",
                "--repeat",
                "1",
                "--techniques",
                "numpy_mask",
                "opencv_native",
            ]
        )
        == 0
    )
    rows = [line.split()[0] for line in capsys.readouterr().out.splitlines() if line[:1].isalpha()]
    assert set(rows) - {"technique", "CPU:"} == {"numpy.copy", "numpy_mask", "opencv_native"}


def test_bench_in_place_races_every_technique_recolouring_its_own_buffer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "race.json"
    args = ["bench", "--in-place", "--size", "32x24", "--repeat", "1", "--json", str(report)]
    assert main(args) == 0
    assert re.search(r"^32x24 \(all \d+ cores, in place\):$", capsys.readouterr().out, re.M)
    written = json.loads(report.read_text())
    assert written["in_place"] is True
    available = {t.name for t in recolor.TECHNIQUES.values() if t.available}
    assert {r["technique"] for r in written["results"]} == available | {"numpy.copy"}


def test_in_place_calls_recolour_one_buffer_back_and_forth() -> None:
    from recolor.bench.race import in_place_calls

    image = recolor.sample_image(8, 6)
    call = in_place_calls(recolor.numpy_mask, image, OLD, NEW)
    first = call().copy()
    assert_image_equal(first, reference_recolor(image, OLD, NEW))
    second = call()
    # Back to OLD: the pixels that were OLD are again, and the others never changed.
    assert_image_equal(second, reference_recolor(first, NEW, OLD))
    assert not np.shares_memory(second, image)  # the caller's image is never the buffer


def test_bench_on_the_users_own_image_at_two_sizes_with_a_plot(
    portrait: Path, tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    chart = tmp_path / "race.png"
    args = [
        "bench",
        "--image",
        str(portrait),
        "--size",
        "16x16",
        "32x24",
        "--repeat",
        "1",
        "--plot",
        str(chart),
    ]
    assert main(args) == 0
    with Image.open(chart) as image:
        assert image.format == "PNG"
        assert image.size[0] > image.size[1]  # two panels side by side


def test_bench_plot_without_matplotlib_says_what_to_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert main(["bench", "--size", "8x8", "--plot", str(tmp_path / "chart.png")]) == 1
    assert 'pip install "recolor[plot]"' in _error_line(capsys)
    assert not (tmp_path / "chart.png").exists()


@pytest.mark.parametrize("size", ["998", "0x5", "axb"])
def test_bench_bad_size_is_a_usage_error(size: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "--size", size])
    assert "is not a size" in capsys.readouterr().err


# ----------------------------------------------------------------- as a program


def test_python_dash_m_recolor_runs_as_a_subprocess(portrait: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.png"
    completed = subprocess.run(
        [sys.executable, "-m", "recolor", "apply", str(portrait), str(out), "--new", "#0503c0ff"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert out.exists()
    missing = subprocess.run(
        [
            sys.executable,
            "-m",
            "recolor",
            "apply",
            str(tmp_path / "nope.png"),
            str(tmp_path / "x.png"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"recolor: error: {tmp_path / 'nope.png'}: no such file"


@pytest.mark.parametrize(
    ("techniques", "skipped"), [(["numpy_packed", "numpy_loop"], True), (["numpy_packed"], False)]
)
def test_bench_says_which_loops_it_skips_of_those_asked_for(
    techniques: list[str], skipped: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    size = ["--size", "1001x1000", "--repeat", "1"]
    assert main(["bench", *size, "--techniques", *techniques]) == 0
    captured = capsys.readouterr()
    assert ("skipped numpy_loop, an interpreted loop" in captured.err) is skipped
    assert "skipped pil_putpixel" not in captured.err
    rows = {line.split()[0] for line in captured.out.splitlines() if line[:1].isalpha()}
    assert rows - {"technique", "CPU:"} == {"numpy.copy", "numpy_packed"}


@pytest.mark.parametrize("option", [["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:1"]])
def test_a_batch_on_dask_without_the_extra_says_what_to_install(
    portrait: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, option
) -> None:
    # A None entry in sys.modules makes the import fail, as if distributed were absent.
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert main(["apply", str(portrait), str(tmp_path / "out.png"), *option]) == 1
    err = capsys.readouterr().err
    assert f'recolor: error: {option[0]} needs Dask: pip install "recolor[dask]"' in err
    assert not (tmp_path / "out.png").exists()


def test_workers_and_scheduler_are_one_or_the_other(portrait: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(
            ["apply", str(portrait), str(tmp_path / "o.png"), "--workers", "2", "--scheduler", "x"]
        )


class _FlushRecorder(io.StringIO):
    """A stdout that is not a terminal (as StringIO is not), keeping what had been written at
    each flush."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[str] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue())


def test_each_images_line_reaches_a_pipe_when_the_image_is_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A log or a pipe (block-buffered) gets each line as its image is done, not all at
    the end: a command killed mid-batch has said what it wrote."""
    sources = []
    for index in range(3):
        sources.append(tmp_path / f"{index}.png")
        Image.fromarray(recolor.sample_image(8, 8, seed=index)).save(sources[-1])
    stdout = _FlushRecorder()
    monkeypatch.setattr(sys, "stdout", stdout)
    out = tmp_path / "out"
    assert main(["apply", *map(str, sources), "--out-dir", str(out), "--jobs", "1"]) == 0
    lines = stdout.getvalue().splitlines()
    assert len(lines) == 4  # three images and the count
    for done in range(1, 4):
        assert "\n".join(lines[:done]) + "\n" in stdout.flushed, f"line {done} was not flushed"
