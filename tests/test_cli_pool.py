"""``recolor apply`` on a pool of processes (recolor.cli.pool): the batch of one process, faster.

What the pool must not change: the bytes written, the lines printed, the
exit status. What it must survive: a pool process killed, from outside or by
its own image, and the command stopped while the pool works.
"""

from __future__ import annotations

import functools
import io
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import recolor
from recolor.cli import main, pool
from recolor.cli.batch import FAST_PNG_MIN_BYTES
from recolor.files.png import can_write_fast
from tests import pool_faults
from tests.processes import wait_until

REPO = Path(__file__).resolve().parent.parent

needs_posix_signals = pytest.mark.skipif(
    sys.platform == "win32", reason="Windows delivers no SIGINT, SIGTERM or SIGHUP to a process"
)

#: What an input of a generated batch can be: a mode Pillow writes (as PNG, or as the
#: output's format), or bytes no reader takes.
_MODES = ("RGBA", "RGB", "L", "LA", "P", "corrupt")
_SUFFIXES = (".png", ".webp", ".tif", ".gif")


@st.composite
def _batches(draw: st.DrawFn) -> list[tuple[str, int, int, str, bool]]:
    """Images of a batch: mode, width, height, output suffix, whether the output exists."""
    count = draw(st.integers(2, 7))
    return [
        (
            draw(st.sampled_from(_MODES)),
            draw(st.integers(1, 40)),
            draw(st.integers(1, 40)),
            draw(st.sampled_from(_SUFFIXES)),
            draw(st.booleans()),
        )
        for _ in range(count)
    ]


def _write_batch(folder: Path, batch: list[tuple[str, int, int, str, bool]]) -> list[Path]:
    folder.mkdir()
    sources = []
    for index, (mode, width, height, suffix, _) in enumerate(batch):
        path = folder / f"{index}{suffix}"
        if mode == "corrupt":
            path.write_bytes(b"not an image")
        else:
            pixels = recolor.sample_image(height, width, seed=index)
            Image.fromarray(pixels).convert(mode).save(path)
        sources.append(path)
    return sources


def _run(
    sources: list[Path],
    out: Path,
    existing: list[bool],
    jobs: int,
    capsys: pytest.CaptureFixture[str],
) -> tuple[int, str, str, dict[str, bytes]]:
    out.mkdir()
    for source, exists in zip(sources, existing, strict=True):
        if exists:
            (out / source.name).write_bytes(b"written before")
    options = ["--jobs", str(jobs), "--ignore-existing", "--allow-lossy"]
    status = main(["apply", *map(str, sources), "--out-dir", str(out), *options])
    captured = capsys.readouterr()
    written = {path.name: path.read_bytes() for path in sorted(out.iterdir())}
    return (
        status,
        captured.out.replace(str(out), "OUT"),
        captured.err.replace(str(out), "OUT"),
        written,
    )


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=_batches(), jobs=st.integers(2, 3))
def test_a_batch_on_a_pool_writes_the_bytes_and_the_lines_of_one_process(
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
    batch: list[tuple[str, int, int, str, bool]],
    jobs: int,
) -> None:
    folder = tmp_path_factory.mktemp("batch")
    sources = _write_batch(folder / "in", batch)
    existing = [exists for *_, exists in batch]
    alone = _run(sources, folder / "alone", existing, 1, capsys)
    pooled = _run(sources, folder / "pooled", existing, jobs, capsys)
    assert pooled == alone


def test_large_pngs_are_the_same_bytes_from_a_pool_as_from_one_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Written by recolor's PNG writer, in a batch large enough for it, from any process."""
    sources = _portraits(tmp_path / "in", 4, side=700)
    assert sum(path.stat().st_size for path in sources) >= FAST_PNG_MIN_BYTES
    with Image.open(sources[0]) as image:
        assert can_write_fast(image, {})
    alone = _reference(sources, tmp_path / "alone")
    assert main(["apply", *map(str, sources), "--out-dir", str(tmp_path / "pool"), *JOBS]) == 0
    assert {path.name: path.read_bytes() for path in (tmp_path / "pool").iterdir()} == alone


def _portraits(folder: Path, count: int, side: int = 32) -> list[Path]:
    folder.mkdir()
    paths = []
    for index in range(count):
        path = folder / f"{index:02d}.png"
        path.write_bytes(_portrait_png(side, index))
        paths.append(path)
    return paths


@functools.cache
def _portrait_png(side: int, seed: int) -> bytes:
    """The PNG file of a portrait, encoded once a process: the long batches' tests share it
    (24 images of 600x600 take a second and a half to encode)."""
    file = io.BytesIO()
    Image.fromarray(recolor.sample_image(side, side, seed=seed)).save(file, format="PNG")
    return file.getvalue()


def _apply_in_process(
    sources: list[Path], out: Path, monkeypatch: pytest.MonkeyPatch, run: object = None
) -> int:
    """``recolor apply`` on two pool processes, each calling ``run`` for an image."""
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the pool processes import tests.pool_faults
    if run is not None:
        monkeypatch.setattr(pool, "run_job", run)
    return main(["apply", *map(str, sources), "--out-dir", str(out), "--jobs", "2"])


def _reference(sources: list[Path], out: Path) -> dict[str, bytes]:
    assert main(["apply", *map(str, sources), "--out-dir", str(out), "--jobs", "1"]) == 0
    return {path.name: path.read_bytes() for path in out.iterdir()}


def _no_temporary_file(folder: Path) -> None:
    assert [path.name for path in folder.iterdir() if path.name.endswith(".tmp")] == []


def test_an_image_whose_process_was_killed_is_recoloured_by_a_new_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = _portraits(tmp_path / "in", 5)
    expected = _reference(sources, tmp_path / "alone")
    capsys.readouterr()
    status = _apply_in_process(
        sources, tmp_path / "out", monkeypatch, pool_faults.dies_once_per_image
    )
    assert (status, capsys.readouterr().out.splitlines()[-1]) == (
        0,
        "5 recoloured, 0 skipped, 0 failed",
    )
    assert {path.name: path.read_bytes() for path in (tmp_path / "out").iterdir()} == expected
    # Every image did kill its first process.
    assert len(list((tmp_path / "in").glob(".*.died"))) == 5


def test_an_image_that_kills_its_process_every_time_fails_alone_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = _portraits(tmp_path / "in", 4)
    poison = sources[1].rename(sources[1].with_name(f"{pool_faults.POISON}.png"))
    sources[1] = poison
    status = _apply_in_process(sources, tmp_path / "out", monkeypatch, pool_faults.dies_on_poison)
    captured = capsys.readouterr()
    assert status == 1
    assert captured.out.splitlines()[-1] == "3 recoloured, 0 skipped, 1 failed"
    assert (
        f"recolor: error: {poison}: the process recolouring it died {pool.ATTEMPTS} times "
        "(killed by SIGKILL); the other images go on"
    ) in captured.err
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "00.png",
        "02.png",
        "03.png",
    ]
    _no_temporary_file(tmp_path / "out")


def test_running_out_of_memory_in_a_pool_process_fails_that_image_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _portraits(tmp_path / "in", 2)
    first = first.rename(first.with_name("a.png"))
    status = _apply_in_process(
        [first, second], tmp_path / "out", monkeypatch, pool_faults.out_of_memory_on_a
    )
    assert status == 1
    assert [path.name for path in (tmp_path / "out").iterdir()] == [second.name]
    assert f"recolor: error: {first}: ran out of memory; the other images go on" in (
        capsys.readouterr().err
    )


JOBS = ("--jobs", "2")


def _start(sources: list[Path], out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "recolor",
            "apply",
            *map(str, sources),
            "--out-dir",
            str(out),
            *JOBS,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        start_new_session=True,  # a process group of its own, as a terminal gives a command
    )


def _pool_processes(command: subprocess.Popen[str]) -> list[psutil.Process]:
    def both() -> list[psutil.Process]:
        # Its only children: forked from it, or started as python -m recolor.cli.pool_process.
        children = psutil.Process(command.pid).children()
        return children if len(children) == 2 else []

    return wait_until(
        both, seconds=60, pause=0.01, failure="the command never started its two pool processes"
    )


#: A batch long enough that the test acts while the pool still has most of it to do:
#: 24 images of 600x600 take the pool a second or more, an order above the test's own steps.
_LONG_BATCH = {"count": 24, "side": 600}


@needs_posix_signals
def test_a_pool_process_killed_from_outside_mid_batch_makes_no_false_failure(
    tmp_path: Path,
) -> None:
    sources = _portraits(tmp_path / "in", **_LONG_BATCH)
    expected = _reference(sources, tmp_path / "alone")
    with _start(sources, tmp_path / "out") as command:
        _pool_processes(command)[0].kill()  # at work on its first image, or about to be
        out, err = command.communicate(timeout=120)
    assert (command.returncode, out.splitlines()[-1]) == (
        0,
        f"{len(sources)} recoloured, 0 skipped, 0 failed",
    ), err
    assert {path.name: path.read_bytes() for path in (tmp_path / "out").iterdir()} == expected


@needs_posix_signals
@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM", "SIGHUP"])
def test_a_signal_to_the_whole_process_group_mid_batch_stops_it_in_one_line(
    tmp_path: Path, signal_name: str
) -> None:
    """As a terminal sends Ctrl-C or a hangup: to the command and to every process of its
    group. Only the command answers; no temporary file stays, and no pool process."""
    number = getattr(signal, signal_name)
    sources = _portraits(tmp_path / "in", **_LONG_BATCH)
    with _start(sources, tmp_path / "out") as command:
        processes = _pool_processes(command)
        assert command.stdout is not None
        command.stdout.readline()  # the first image is written: the pool is at work
        os.killpg(command.pid, number)
        _, err = command.communicate(timeout=60)
    expected = 130 if number == signal.SIGINT else 128 + number
    stopped = "interrupted" if number == signal.SIGINT else f"stopped by {signal_name}"
    assert (command.returncode, err.strip().splitlines()) == (expected, [f"recolor: {stopped}"])
    _no_temporary_file(tmp_path / "out")
    for written in (tmp_path / "out").iterdir():
        with Image.open(written) as image:
            image.load()  # complete
    assert not [process for process in processes if process.is_running()]


def test_a_pool_answers_an_error_of_its_function_without_dying() -> None:
    from recolor.cli.pool_process import read_message, write_message

    process = subprocess.Popen(
        [sys.executable, "-m", "recolor.cli.pool_process"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert process.stdin is not None
    assert process.stdout is not None
    write_message(process.stdin, (int, ("not a number",)))
    assert read_message(process.stdout) == (
        False,
        "ValueError: invalid literal for int() with base 10: 'not a number'",
    )
    write_message(process.stdin, (np.add, (2, 3)))
    assert read_message(process.stdout) == (True, 5)
    process.stdin.close()
    assert process.wait(timeout=60) == 0
    process.stdout.close()


def test_jobs_and_a_dask_cluster_are_refused_together(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["apply", "a.png", "b.png", "--jobs", "2", "--workers", "2"])
    assert exited.value.code == 2
    assert "--workers: not allowed with argument --jobs" in capsys.readouterr().err


def test_a_message_is_read_back_as_written_and_a_cut_one_is_an_end() -> None:
    from recolor.cli.pool_process import read_message, write_message

    stream = io.BytesIO()
    write_message(stream, {"image": b"\x00" * 10})
    data = stream.getvalue()
    assert read_message(io.BytesIO(data)) == {"image": b"\x00" * 10}
    with pytest.raises(EOFError):
        read_message(io.BytesIO(data[:-1]))


def test_a_pool_starts_only_for_a_batch_that_pays_for_it_unless_jobs_asks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recolor.files.batch import Plan
    from recolor.files.location import location

    small = _portraits(tmp_path / "small", 2)
    large = tmp_path / "large.bin"
    large.write_bytes(b"\0" * pool.MIN_BATCH_BYTES)

    def plan(*paths: Path, existing: int = 0) -> Plan:
        jobs = [(location(path), location(tmp_path / "out" / path.name)) for path in paths]
        return Plan(jobs, set(jobs[:existing]), [])

    assert not pool.pays_off(plan(*small))
    assert pool.pays_off(plan(large, *small))
    assert not pool.pays_off(plan(large, *small, existing=1))  # the large one is done

    started = []
    monkeypatch.setattr(pool, "_Pool", lambda *args, **kwargs: started.append(args) or 1 / 0)
    out = str(tmp_path / "out")
    assert main(["apply", *map(str, small), "--out-dir", out]) == 0  # in this process
    assert started == []
    with pytest.raises(ZeroDivisionError):
        main(["apply", *map(str, small), "--out-dir", out, "--force", "--jobs", "2"])
    assert len(started) == 1


def test_the_pool_starts_before_the_progress_bar_whose_thread_would_keep_it_from_forking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    real_pool, real_bar = pool._Pool, pool.progress_bar

    def recording_pool(*args: object, **kwargs: object) -> object:
        order.append("pool")
        return real_pool(*args, **kwargs)  # type: ignore[arg-type]

    def recording_bar(*args: object) -> object:
        order.append("progress bar")
        return real_bar(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pool, "_Pool", recording_pool)
    monkeypatch.setattr(pool, "progress_bar", recording_bar)
    sources = _portraits(tmp_path / "in", 2)
    assert main(["apply", *map(str, sources), "--out-dir", str(tmp_path / "out"), *JOBS]) == 0
    assert order == ["pool", "progress bar"]
