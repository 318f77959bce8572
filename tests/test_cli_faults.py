"""``recolor apply`` under attack, under faults, and as a new user meets it."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import recolor
import recolor.cli
from recolor.cli import main
from recolor.cli.parser import build_parser
from tests.processes import wait_for_signal_handlers

REPO = Path(__file__).resolve().parent.parent


def _portrait(path: Path, size: int = 24) -> Path:
    Image.fromarray(recolor.sample_image(size, size)).save(path)
    return path


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


# ---------------------------------------------------------------- permissions


def test_force_never_passes_on_set_id_or_sticky_bits(tmp_path: Path) -> None:
    source, out = _portrait(tmp_path / "in.png"), tmp_path / "out.png"
    out.write_bytes(b"old")
    out.chmod(0o7775)
    assert main(["apply", str(source), str(out), "--force"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o775  # read, write, execute kept; no more


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chowns as root")
def test_force_over_another_users_file_takes_none_of_its_bits(tmp_path: Path) -> None:
    source, out = _portrait(tmp_path / "in.png"), tmp_path / "out.png"
    out.write_bytes(b"planted")
    os.chown(out, 65534, 65534)  # nobody
    out.chmod(0o6777)
    umask = os.umask(0o022)
    try:
        assert main(["apply", str(source), str(out), "--force"]) == 0
    finally:
        os.umask(umask)
    written = out.stat()
    assert (written.st_uid, stat.S_IMODE(written.st_mode)) == (0, 0o644)


# ------------------------------------------------------------ frames as a bomb


def _many_frames(path: Path, frames: int, side: int) -> Path:
    """A small GIF of ``frames`` frames of ``side`` x ``side``: each differs in one pixel, so
    the writer stores a tiny region for each, and the file stays small."""
    first = Image.new("P", (side, side), 0)
    first.putpalette([0, 0, 0, 255, 255, 255])
    rest = []
    for index in range(1, frames):
        frame = first.copy()
        frame.putpixel((index % side, 0), 1)
        rest.append(frame)
    first.save(path, save_all=True, append_images=rest, duration=40, loop=0)
    return path


def test_frames_that_add_up_to_a_bomb_are_refused_before_decoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = _many_frames(tmp_path / "bomb.gif", frames=20, side=2200)  # 96.8 Mpx in all
    assert bomb.stat().st_size < 100_000
    assert Image.MAX_IMAGE_PIXELS is not None
    assert Image.MAX_IMAGE_PIXELS > 2200 * 2200  # each frame within Pillow's own limit
    assert main(["apply", str(bomb), str(tmp_path / "out.png")]) == 1
    (line,) = _lines(capsys.readouterr().err)
    assert line == (
        f"recolor: error: {bomb}: refused before decoding: its 20 frame(s) of 2200x2200 add up "
        f"to 96800000 pixels, more than the limit of {Image.MAX_IMAGE_PIXELS}; raise it with "
        "--max-pixels N if the file is yours and the memory is there"
    )


def test_in_a_batch_only_the_bomb_fails_and_max_pixels_sets_the_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = _many_frames(tmp_path / "a.gif", frames=3, side=50)  # 7,500 pixels
    good = _portrait(tmp_path / "b.png")
    status = main(
        ["apply", str(small), str(good), "--out-dir", str(tmp_path / "out"), "--max-pixels", "5000"]
    )
    assert status == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["b.png"]
    err = capsys.readouterr().err
    assert "a.gif: refused before decoding: its 3 frame(s) of 50x50 add up to 7500" in err
    assert main(["apply", str(small), str(tmp_path / "a-out.gif"), "--max-pixels", "7500"]) == 0


def test_running_out_of_memory_fails_one_image_not_the_batch(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from recolor.cli import apply

    first, second = _portrait(tmp_path / "a.png"), _portrait(tmp_path / "b.png")
    real = apply.recolor_file

    def recolor_file(source, target, settings):  # type: ignore[no-untyped-def]
        if source.name == "a.png":
            raise MemoryError
        return real(source, target, settings)

    monkeypatch.setattr(apply, "recolor_file", recolor_file)
    # In the command's own process; in a pool's: tests/test_cli_pool.py.
    out_dir = str(tmp_path / "out")
    status = main(["apply", str(first), str(second), "--out-dir", out_dir, "--jobs", "1"])
    assert status == 1
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["b.png"]
    assert f"recolor: error: {first}: ran out of memory; the other images go on" in (
        capsys.readouterr().err
    )


# ------------------------------------------------------------------- signals


#: A SIGTERM that arrives while Python runs a weakref callback (importlib runs one as it
#: releases a module's lock), where the exception its handler raises cannot propagate.
_STOP_IN_A_CALLBACK = """
import gc, os, signal, sys, weakref
from recolor.cli.signals import Stopped, stop_received, stopping_signals_raise

class Thing:
    pass

with stopping_signals_raise():
    thing = Thing()
    reference = weakref.ref(thing, lambda _: os.kill(os.getpid(), signal.SIGTERM))
    del thing
    gc.collect()
    print(type(stop_received()).__name__)
"""


def test_a_stop_raised_where_python_cannot_raise_it_is_recorded_and_not_reported() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _STOP_IN_A_CALLBACK], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Stopped"
    assert done.stderr == ""


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("burst", [(signal.SIGTERM,) * 8, (signal.SIGINT,) * 3])
def test_a_burst_of_signals_leaves_no_temporary_file_and_one_line(
    tmp_path: Path, burst: tuple[int, ...]
) -> None:
    sources = [_portrait(tmp_path / f"in{index}.png", size=300) for index in range(30)]
    out = tmp_path / "out"
    rng = random.Random(7)
    for trial in range(6):
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "recolor",
                "apply",
                *map(str, sources),
                "--out-dir",
                str(out),
                "--force",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=REPO,
        )
        wait_for_signal_handlers(process)
        time.sleep(rng.uniform(0.05, 0.6))  # somewhere in the batch, often mid-write
        for number in burst:
            process.send_signal(number)
            time.sleep(0.001)
        _, err = process.communicate(timeout=60)
        assert b"Traceback" not in err, (trial, err)
        assert not [p.name for p in out.glob(".*.tmp")], (trial, err)
        if process.returncode not in (0,):  # the batch may have finished first
            expected = 128 + burst[0] if burst[0] != signal.SIGINT else 130
            assert process.returncode in (expected, -burst[0]), (trial, process.returncode, err)


STOP_THEN_A_LATE_SIGINT = """
import os, signal, time
from recolor.cli.signals import Stopped, stopping_signals_raise
with stopping_signals_raise(process_ends=True):
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        while True:
            time.sleep(0.01)
    except Stopped:
        pass
os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C pressed again as the process ends
time.sleep(0.05)
print("ended")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_signal_after_the_stop_finds_the_process_still_ignoring_it() -> None:
    # The burst above, made deterministic: the late signal lands after the block ends.
    ended = subprocess.run(
        [sys.executable, "-c", STOP_THEN_A_LATE_SIGINT],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert (ended.returncode, ended.stdout.strip()) == (0, "ended"), ended.stderr


A_LIBRARY_TURNS_THE_STOP_INTO = """
import os, signal, sys, time
import recolor.cli
from recolor.files.write import EncodedImage

saves = []
save = EncodedImage.save

def save_interrupted(self, file):
    saves.append(1)
    try:
        signal.raise_signal(signal.SIG{name})  # its handler raises here
        time.sleep(5)
    except BaseException:
        if "{what}" == "nothing":  # caught, and the save goes on
            save(self, file)
            return
    # as numpy's import does: whatever interrupted it becomes an ImportError
    raise ImportError("cannot load module more than once per process")

EncodedImage.save = save_interrupted
status = recolor.cli.main(sys.argv[1:])
print(len(saves))
sys.exit(status)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("what", ["an error", "nothing"])
@pytest.mark.parametrize("images", [1, 3])
@pytest.mark.parametrize(("name", "status"), [("HUP", 129), ("TERM", 143), ("INT", 130)])
def test_a_stop_that_a_library_turns_into_an_error_or_nothing_still_stops(
    tmp_path: Path, name: str, status: int, images: int, what: str
) -> None:
    # In CI a SIGTERM that landed in numpy's first import (the fast PNG writer's, mid-batch)
    # became an ImportError: the batch went on, each image failing, and exited 1.
    sources = [_portrait(tmp_path / f"in{index}.png") for index in range(images)]
    out = tmp_path / "out"
    script = A_LIBRARY_TURNS_THE_STOP_INTO.replace("{name}", name).replace("{what}", what)
    arguments = ["apply", *map(str, sources), "--out-dir", str(out), "--jobs", "1"]
    ended = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    stopped = "recolor: interrupted" if name == "INT" else f"recolor: stopped by SIG{name}"
    assert (ended.returncode, _lines(ended.stderr), ended.stdout.splitlines()[-1:]) == (
        status,
        [stopped],
        ["1"],  # the batch stopped at its first image
    ), ended.stderr
    assert not [path.name for path in out.glob(".*.tmp")]


SIGNAL_AS_THE_HANDLERS_ARE_SET = """
import contextlib, signal, sys
import recolor.cli
from recolor.cli import signals

@contextlib.contextmanager
def signalled_on_entry(**options):
    with signals.stopping_signals_raise(**options):
        signal.raise_signal(signal.SIG{name})  # handlers set, main's own code not yet begun
        yield

recolor.cli.stopping_signals_raise = signalled_on_entry
STOPPING = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
def callers(number, frame):
    pass
for number in STOPPING:
    signal.signal(number, callers)
status = recolor.cli.main(["--version"])
# main() called in a program that goes on: that program's handlers are back.
print(all(signal.getsignal(number) is callers for number in STOPPING))
sys.exit(status)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize(("name", "status"), [("HUP", 129), ("TERM", 143), ("INT", 130)])
def test_a_signal_as_the_handlers_are_set_is_one_line_and_gives_the_handlers_back(
    name: str, status: int
) -> None:
    # The moment the signal tests above hit only by chance (a signal sent as soon as the
    # handlers show in /proc), made deterministic.
    ended = subprocess.run(
        [sys.executable, "-c", SIGNAL_AS_THE_HANDLERS_ARE_SET.replace("{name}", name)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert (ended.returncode, _lines(ended.stderr), ended.stdout) == (
        status,
        ["recolor: interrupted" if name == "INT" else f"recolor: stopped by SIG{name}"],
        "True\n",
    ), ended.stderr


# -------------------------------------------------------------- encoder limits


@pytest.mark.parametrize(
    ("suffix", "width", "limit"), [(".webp", 16384, 16383), (".gif", 65536, 65535)]
)
def test_an_image_past_the_encoders_limit_is_refused_before_any_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, width: int, limit: int
) -> None:
    source = tmp_path / "wide.png"
    Image.new("RGB", (width, 1), (1, 2, 3)).save(source)
    out = tmp_path / f"out{suffix}"
    assert main(["apply", str(source), str(out), "--old", "1,2,3", "--new", "3,2,1"]) == 1
    (line,) = _lines(capsys.readouterr().err)
    assert f"holds at most {limit} pixels a side, and the image is {width}x1" in line
    assert list(tmp_path.iterdir()) == [source]


def test_a_save_that_fails_after_the_trial_one_passed_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "wide.png"
    Image.new("RGB", (65536, 1), (1, 2, 3)).save(source)
    out = tmp_path / "out.ico"
    status = main(
        ["apply", str(source), str(out), "--old", "1,2,3", "--new", "3,2,1", "--allow-lossy"]
    )
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if status == 1:
        assert _lines(err)[-1].startswith(f"recolor: error: {out}: ")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["wide.png"]
    else:  # this Pillow wrote it after all
        assert out.exists()


# ------------------------------------------------------ what a new user trips on


def test_a_folder_as_output_points_to_out_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, folder = _portrait(tmp_path / "me.png"), tmp_path / "adir"
    folder.mkdir()
    assert main(["apply", str(source), str(folder)]) == 2
    (line,) = _lines(capsys.readouterr().err)
    assert line == (
        f"recolor: error: {folder}: is a folder; to write into it under the input's name, "
        f"pass --out-dir {folder}"
    )


def test_the_input_as_its_own_output_needs_force_and_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _portrait(tmp_path / "me.png")
    before = source.read_bytes()
    assert main(["apply", str(source), str(source)]) == 1
    assert _lines(capsys.readouterr().err) == [
        f"recolor: error: {source}: is the input itself; pass --force to replace it with the "
        "recoloured image (written atomically: the input stays whole until then)"
    ]
    assert source.read_bytes() == before
    assert main(["apply", str(source), str(source), "--force"]) == 0
    assert f"recolor: {source}: is the input itself, replaced (--force)" in (
        capsys.readouterr().err
    )
    assert source.read_bytes() != before


def test_a_gray_image_with_alpha_stays_la_and_takes_two_values(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    gray = rng.choice(np.array([255, 90], np.uint8), size=(200, 200))
    alpha = rng.choice(np.array([255, 0], np.uint8), size=(200, 200))
    source = tmp_path / "la.png"
    Image.fromarray(np.dstack([gray, alpha]), mode="LA").save(source)
    out = tmp_path / "out.png"
    assert main(["apply", str(source), str(out), "--old", "255,255", "--new", "0,255"]) == 0
    with Image.open(out) as written:
        assert written.mode == "LA"
        pixels = np.asarray(written)
    expected = np.dstack([np.where((gray == 255) & (alpha == 255), 0, gray), alpha])
    np.testing.assert_array_equal(pixels, expected)
    as_rgba = tmp_path / "as-rgba.png"
    Image.open(out).convert("RGBA").save(as_rgba)  # what it was written as before
    assert out.stat().st_size < as_rgba.stat().st_size
    # A colour that is not gray: written as RGBA, and said so.
    colour = tmp_path / "colour.png"
    assert (
        main(
            ["apply", str(source), str(colour), "--old", "255,255,255,255", "--new", "5,3,192,255"]
        )
        == 0
    )
    with Image.open(colour) as written:
        assert written.mode == "RGBA"


def test_a_palette_image_stays_a_palette_image(tmp_path: Path) -> None:
    source = tmp_path / "p.png"
    Image.fromarray(recolor.sample_image(120, 120)).convert("RGB").quantize(16).save(source)
    with Image.open(source) as image:
        old = image.convert("RGB").getpixel((0, 0))
    out = tmp_path / "out.png"
    old_text = ",".join(map(str, old))
    assert main(["apply", str(source), str(out), "--old", old_text, "--new", "5,3,192"]) == 0
    with Image.open(out) as written, Image.open(source) as original:
        assert written.mode == "P"
        expected = np.asarray(original.convert("RGB")).copy()
        expected[np.all(expected == old, axis=-1)] = (5, 3, 192)
        np.testing.assert_array_equal(np.asarray(written.convert("RGB")), expected)
    as_rgb = tmp_path / "as-rgb.png"
    Image.open(out).convert("RGB").save(as_rgb)  # what it was written as before
    assert out.stat().st_size < as_rgb.stat().st_size


def test_a_wrong_command_line_exits_2_and_counts_in_english(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _portrait(tmp_path / "me.png")
    assert main(["apply", str(source)]) == 2
    assert _lines(capsys.readouterr().err) == [
        "recolor: error: apply takes INPUT OUTPUT, or INPUT... --out-dir DIR; got 1 path"
    ]
    gray = tmp_path / "gray.png"
    Image.new("L", (4, 4), 7).save(gray)
    assert main(["apply", str(gray), str(tmp_path / "o.png"), "--old", "1,2"]) == 1
    (line,) = _lines(capsys.readouterr().err)
    assert "--old has 2 values but the image is L with 1 channel; give 1 value " in line


def test_apply_help_says_how_colours_are_written() -> None:
    apply = build_parser()._subparsers._group_actions[0].choices["apply"]  # type: ignore[union-attr]
    text = apply.format_help()
    for part in ["colours:", "#rrggbb", "0,0,0,0", "gray with alpha (LA)  128,255", "--tolerance"]:
        assert part in text


def test_a_log_file_gets_lines_and_the_count_not_progress_frames(tmp_path: Path) -> None:
    sources = [_portrait(tmp_path / f"in{index}.png") for index in range(4)]
    log = tmp_path / "log.txt"
    with log.open("w") as stderr:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "recolor",
                "apply",
                *map(str, sources),
                "--out-dir",
                str(tmp_path / "out"),
            ],
            stderr=stderr,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == "4 recoloured, 0 skipped, 0 failed"
    assert "\r" not in log.read_text()
    assert "it/s" not in log.read_text()
    assert "image/s" not in log.read_text()
