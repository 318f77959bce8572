"""Safe writes: never half a file, never over one without --force, and a batch that resumes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

import recolor
from recolor.cli import main
from recolor.files import atomic
from recolor.files.atomic import atomic_write, remove_leftovers
from tests.processes import wait_for_signal_handlers

REPO = Path(__file__).resolve().parent.parent


def _portrait(path: Path, size: int = 24) -> Path:
    Image.fromarray(recolor.sample_image(size, size)).save(path)
    return path


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def _temporary_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_force_keeps_the_replaced_files_permissions(tmp_path: Path) -> None:
    source, out = _portrait(tmp_path / "in.png"), tmp_path / "out.png"
    out.write_bytes(b"old")
    out.chmod(0o600)
    assert main(["apply", str(source), str(out), "--force"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert _size(out) == (24, 24)


def test_force_over_a_symbolic_link_replaces_its_target_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target, link = _portrait(tmp_path / "in.png"), tmp_path / "real.png", tmp_path / "o.png"
    target.write_bytes(b"old")
    link.symlink_to(target)
    assert main(["apply", str(source), str(link), "--force"]) == 0
    assert link.is_symlink()
    assert _size(target) == (24, 24)
    assert f"a symbolic link; its target {target} was replaced" in capsys.readouterr().err


def test_force_over_a_hard_link_says_the_other_names_keep_the_old_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out, other = _portrait(tmp_path / "in.png"), tmp_path / "out.png", tmp_path / "b.png"
    out.write_bytes(b"old")
    os.link(out, other)
    assert main(["apply", str(source), str(out), "--force"]) == 0
    assert other.read_bytes() == b"old"
    assert "had 2 hard links; the new image replaces this name only" in capsys.readouterr().err


def test_a_dangling_symbolic_link_is_an_existing_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = _portrait(tmp_path / "in.png"), tmp_path / "out.png"
    out.symlink_to(tmp_path / "nowhere.png")
    assert main(["apply", str(source), str(out)]) == 1
    assert "already exists; pass --force to overwrite it" in capsys.readouterr().err
    assert out.is_symlink()
    assert not (tmp_path / "nowhere.png").exists()


def test_two_writers_of_one_name_never_both_win(tmp_path: Path) -> None:
    # The check and the move into place are one step (a hard link), not two.
    for attempt in range(100):
        path = tmp_path / f"out-{attempt}.bin"
        start = threading.Barrier(2)
        outcomes: list[str] = []

        def write(
            content: bytes,
            path: Path = path,
            start: threading.Barrier = start,
            outcomes: list[str] = outcomes,
        ) -> None:
            start.wait()
            try:
                atomic_write(path, lambda file: file.write(content), overwrite=False)
                outcomes.append("won")
            except FileExistsError:
                outcomes.append("refused")

        threads = [threading.Thread(target=write, args=(bytes([n]) * 1000,)) for n in (1, 2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == ["refused", "won"], attempt
        assert len(set(path.read_bytes())) == 1
    assert _temporary_files(tmp_path) == []


class _StopAtCall:
    """A profiler that raises KeyboardInterrupt, as a signal's handler does, at the ``at``-th
    place recolor.files.atomic could meet one: Python runs a handler as a function begins and
    after a call returns. Then none more, as after the first stop."""

    def __init__(self, at: int | None) -> None:
        self.at = at
        self.places: list[str] = []

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        in_atomic = frame.f_code.co_filename == atomic.__file__
        called_from_atomic = frame.f_back is not None and (
            frame.f_back.f_code.co_filename == atomic.__file__
        )
        if (event == "c_return" and in_atomic) or (
            event in ("call", "return") and called_from_atomic
        ):
            self.places.append(f"{event} {getattr(arg, '__name__', frame.f_code.co_name)}")
            if len(self.places) == self.at:
                raise KeyboardInterrupt


# A stop as os.fdopen returns leaves its file object to the garbage collector, which closes
# it (an unclosed-file warning): a descriptor, not a file on disk, which is what this is about.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("overwrite", [False, True])
def test_a_stop_anywhere_in_an_atomic_write_leaves_a_whole_file_or_none(
    tmp_path: Path, overwrite: bool
) -> None:
    # Every place the write may meet a signal, each its own case: in CI a SIGINT that came
    # after the hard link, as the cleanup began, left the temporary file beside the output.
    content = bytes(range(256)) * 64

    def write(path: Path, profiler: _StopAtCall) -> None:
        sys.setprofile(profiler)
        try:
            atomic_write(path, lambda file: file.write(content), overwrite=overwrite)
        finally:
            sys.setprofile(None)

    counted = _StopAtCall(None)
    write(tmp_path / "counted.bin", counted)
    assert len(counted.places) > 10, counted.places
    for at, place in enumerate(counted.places, start=1):
        path = tmp_path / f"out-{at}.bin"
        if overwrite:
            path.write_bytes(b"old")
        try:
            write(path, _StopAtCall(at))
        except KeyboardInterrupt:
            written = path.read_bytes() if path.exists() else None
            assert written in (content, b"old" if overwrite else None), place
        else:
            assert path.read_bytes() == content, place
        assert _temporary_files(tmp_path) == [], place


def test_leftovers_of_a_killed_run_are_removed_and_a_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    leftover = tmp_path / f".a.png.recolor-{dead_pid}-0badc0de.tmp"
    live = tmp_path / f".b.png.recolor-{os.getpid()}-0badc0de.tmp"
    unrelated = tmp_path / ".notes.tmp"
    for path in (leftover, live, unrelated):
        path.write_bytes(b"half")
    source = _portrait(tmp_path / "in.png")
    assert main(["apply", str(source), str(tmp_path / "out.png")]) == 0
    assert not leftover.exists()
    assert live.exists()
    assert unrelated.exists()
    assert remove_leftovers(tmp_path) == []


def test_ignore_existing_resumes_a_batch_and_the_summary_counts_each_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inputs = [_portrait(tmp_path / f"{name}.png") for name in ("a", "b", "c")]
    broken = tmp_path / "d.png"
    broken.write_bytes(b"not a png")
    blank = tmp_path / "e.png"
    Image.fromarray(np.full((4, 4, 4), 255, np.uint8)).save(blank)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "a.png").write_bytes(b"done before")

    paths = [str(p) for p in [*inputs, broken, blank]]
    assert main(["apply", *paths, "--out-dir", str(out_dir), "--ignore-existing"]) == 1
    captured = capsys.readouterr()
    assert (out_dir / "a.png").read_bytes() == b"done before"
    assert _size(out_dir / "b.png") == (24, 24)
    out = _lines(captured.out)
    assert out[-1] == "3 recoloured, 1 skipped, 1 failed"
    assert f"{inputs[0]} -> {out_dir / 'a.png'}: skipped, it exists" in out
    assert any(line.startswith(f"{inputs[1]} -> ") and "pixels recoloured" in line for line in out)
    err = captured.err
    assert f"{broken}: not an image file Pillow can read" in err
    assert f"warning: {blank}: no pixel matched the colour to replace" in err
    assert "1 of 5 images failed" in err


def test_ignore_existing_and_force_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["apply", "a.png", "b.png", "--force", "--ignore-existing"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["under a file", "a name too long", "a dangling link"])
def test_an_out_dir_that_cannot_be_created_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    source = _portrait(tmp_path / "in.png")
    if kind == "under a file":
        (tmp_path / "file").write_bytes(b"")
        out_dir = tmp_path / "file" / "out"
    elif kind == "a name too long":
        out_dir = tmp_path / ("x" * 300)  # fails for root too, unlike a read-only folder
    else:
        out_dir = tmp_path / "link"
        out_dir.symlink_to(tmp_path / "nowhere")
    assert main(["apply", str(source), "--out-dir", str(out_dir)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = _lines(err)
    assert line.startswith(f"recolor: error: --out-dir {out_dir}: cannot be created ("), line


def test_names_with_control_characters_are_shown_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "evil\nname\x1b[31m.png"
    assert main(["apply", str(missing), str(tmp_path / "out.png")]) == 1
    err = capsys.readouterr().err
    assert _lines(err) == [f"recolor: error: {tmp_path}/evil\\nname\\x1b[31m.png: no such file"]


def test_a_closed_pipe_is_one_line_and_exit_1(tmp_path: Path) -> None:
    command = f"{sys.executable} -m recolor techniques | head -c 1 > /dev/null"
    completed = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True, cwd=REPO
    )
    # head may read the whole table before it closes: then nothing broke.
    if completed.returncode == 0:
        assert completed.stderr == ""
    else:
        assert _lines(completed.stderr) == [
            "recolor: error: the output was closed before the end (broken pipe)"
        ]
        assert completed.returncode == 1


@pytest.mark.parametrize("option", ["--json", "--plot"])
def test_bench_refuses_to_overwrite_its_outputs_before_the_race(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    existing = tmp_path / ("r.json" if option == "--json" else "r.png")
    existing.write_bytes(b"precious")
    status = main(["bench", "--size", "8x8", "--techniques", "numpy_mask", option, str(existing)])
    assert status == 1
    assert _lines(capsys.readouterr().err) == [
        f"recolor: error: {existing}: already exists; pass --force to overwrite it"
    ]
    assert existing.read_bytes() == b"precious"


# ----------------------------------------------------------------- signals


def _batch(tmp_path: Path, count: int) -> tuple[list[str], Path]:
    sources = tmp_path / "in"
    sources.mkdir()
    image = Image.fromarray(recolor.sample_image(400, 400))
    paths = []
    for index in range(count):
        path = sources / f"{index:03}.png"
        image.save(path, compress_level=1)
        paths.append(str(path))
    return paths, tmp_path / "out"


#: Signals sent to a running command: POSIX's, which Windows does not deliver.
needs_posix_signals = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows delivers no SIGINT, SIGTERM or SIGHUP to a process"
)


def _signal_named(name: str) -> int:
    """The signal ``name`` on this system; the test is skipped where there is none."""
    number = getattr(signal, name, None)
    if number is None:
        pytest.skip(f"this system has no {name}")
    return int(number)


@needs_posix_signals
@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_batch_stopped_by_a_signal_at_any_moment_leaves_no_temporary_file(
    tmp_path: Path, signal_name: str
) -> None:
    signal_number = _signal_named(signal_name)
    paths, out_dir = _batch(tmp_path, 8)
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    # As recolor's handlers are set (before its heavy imports), in the first images, later.
    # A signal before then meets Python starting up, which recolor cannot touch.
    for moment in (0.0, 0.3, 0.65):
        for old in out_dir.glob("*") if out_dir.exists() else []:
            old.unlink()
        process = subprocess.Popen(
            [sys.executable, "-m", "recolor", "apply", *paths, "--out-dir", str(out_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=environment,
        )
        wait_for_signal_handlers(process)
        time.sleep(moment)
        process.send_signal(signal_number)
        _, err = process.communicate(timeout=60)
        assert not out_dir.exists() or _temporary_files(out_dir) == [], (moment, err)
        for written in out_dir.glob("*.png") if out_dir.exists() else []:
            with Image.open(written) as image:
                image.load()  # every output there is complete
        if process.returncode not in (0, -signal_number):
            # Stopped by us, not killed during start-up: one line, the signal's status.
            expected = 130 if signal_number == signal.SIGINT else 128 + signal_number
            assert process.returncode == expected, (moment, err)
            last = _lines(err.decode())[-1]
            assert last.startswith(("recolor: interrupted", "recolor: stopped by")), err


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
@pytest.mark.parametrize("delay", [0.0, 0.02, 0.1])
def test_ctrl_c_from_the_first_moment_recolor_handles_it_is_one_line(delay: float) -> None:
    """From the moment its handlers are in place, before numpy, Pillow or OpenCV load;
    however long the machine takes to get there, which the test waits for, not guesses."""
    process = subprocess.Popen(
        [sys.executable, "-m", "recolor", "bench", "--size", "64x64"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    wait_for_signal_handlers(process)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err, (delay, err)
    # CPython may end the process by raising SIGINT again at exit when an interrupt
    # crossed code it ran as a top-level script, although main handled it; a shell
    # reports that as 130 too. A race that finished first exits 0.
    if process.returncode != 0:
        assert process.returncode in (130, -signal.SIGINT), (delay, err)
        assert _lines(err.decode())[-1] == "recolor: interrupted", err


def test_an_output_name_the_system_refuses_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _portrait(tmp_path / "in.png")
    assert main(["apply", str(source), str(tmp_path / ("x" * 300 + ".png"))]) == 1
    (line,) = _lines(capsys.readouterr().err)
    assert line.startswith("recolor: error: ")
    assert "File name too long" in line
