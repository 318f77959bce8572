"""recolor on Dask: arrays chunk by chunk, and ``recolor apply`` batches on a real cluster.

The batches run on a ``distributed.LocalCluster`` of processes started here,
through the command line's own entry point (so that ``memory://`` files,
which only this process sees, can be written first and read after).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

import recolor
import recolor.cli
from recolor.files.atomic import remove_leftovers
from recolor.testing import assert_image_equal
from tests.images import speckled
from tests.processes import wait_until

da = pytest.importorskip("dask.array", reason='needs the dask extra: pip install "recolor[dask]"')
distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")
fsspec = pytest.importorskip("fsspec")

OLD = (0, 0, 0, 0)
NEW = (5, 3, 192, 255)


# Arrays.


@pytest.mark.parametrize(
    ("shape", "chunks"),
    [
        ((53, 41, 4), (7, 11, 4)),
        ((53, 41, 4), (53, 41, 4)),
        ((53, 41, 4), (10, 9, 3)),  # the colour axis split: rechunked whole
        ((53, 41, 4), (1, 41, 1)),
        ((29, 31, 3), (13, 5, 2)),
        ((37, 23), (4, 9)),
        ((37, 23, 1), (5, 5, 1)),
    ],
)
@pytest.mark.parametrize("technique", [None, "numpy_packed", "opencv_native", "numpy_mask"])
def test_a_dask_array_is_recoloured_lazily_as_numpy_would(shape, chunks, technique) -> None:
    channels = shape[2] if len(shape) == 3 else 1
    old, new = OLD[:channels], NEW[:channels]
    image = speckled(shape, old)
    lazy = recolor.recolor(da.from_array(image, chunks=chunks), old, new, technique=technique)
    assert isinstance(lazy, da.Array)
    if len(shape) == 3:
        assert len(lazy.chunks[2]) == 1  # each pixel's channels in one chunk
    assert lazy.shape == image.shape
    assert lazy.dtype == np.uint8
    expected = recolor.recolor(image, old, new, technique=technique)
    assert_image_equal(lazy.compute(), expected)


def test_a_dask_array_with_a_tolerance_and_a_numba_kernel_matches_numpy() -> None:
    image = speckled((64, 48, 4), OLD)
    lazy = da.from_array(image, chunks=(17, 13, 4))
    for technique in [None, *(t.name for t in recolor.TECHNIQUES.values() if t.available)]:
        if technique is not None and recolor.TECHNIQUES[technique].per_pixel_loop:
            continue
        result = recolor.recolor(lazy, OLD, NEW, tolerance=(2, 0, 3, 1), technique=technique)
        expected = recolor.recolor(image, OLD, NEW, tolerance=(2, 0, 3, 1))
        assert_image_equal(result.compute(), expected)


def _splits(total: int) -> st.SearchStrategy[tuple[int, ...]]:
    """Chunk sizes that add up to ``total``, empty chunks among them."""
    return st.lists(st.integers(0, total), max_size=4).map(
        lambda cuts: tuple(np.diff([0, *sorted(cuts), total]).tolist())
    )


@settings(max_examples=40)  # each example computes a graph
@given(data=st.data())
def test_any_chunking_empty_chunks_included_gives_numpys_result(data: st.DataObject) -> None:
    height, width = data.draw(st.integers(1, 30)), data.draw(st.integers(1, 30))
    image = speckled((height, width, 4), OLD)
    chunks = (data.draw(_splits(height)), data.draw(_splits(width)), (4,))
    lazy = recolor.recolor(da.from_array(image, chunks=chunks), OLD, NEW)
    assert lazy.chunks == chunks
    assert_image_equal(lazy.compute(), recolor.recolor(image, OLD, NEW))


def test_the_docs_remedy_for_unknown_chunk_sizes_recolours_its_empty_chunks() -> None:
    image = recolor.sample_image(37, 29)
    x = da.from_array(image, chunks=(10, 37, 4))
    keep = da.from_array(np.r_[[True] * 10, [False] * 10, [True] * 9], chunks=10)
    known = x[keep].compute_chunk_sizes()
    assert 0 in known.chunks[0]
    result = recolor.recolor(known, OLD, NEW).compute()
    assert_image_equal(result, recolor.recolor(np.asarray(known), OLD, NEW))


def test_the_dask_input_is_not_modified() -> None:
    image = speckled((20, 20, 4), OLD)
    before = image.copy()
    recolor.recolor(da.from_array(image, chunks=7), OLD, NEW).compute()
    assert_image_equal(image, before)


@pytest.mark.parametrize(
    ("make", "old", "new", "kwargs", "error", "message"),
    [
        (lambda: da.zeros((4, 4, 5), dtype=np.uint8), 0, 1, {}, ValueError, "1, 3 or 4 channels"),
        (lambda: da.zeros((4, 4, 4), dtype=np.float32), OLD, NEW, {}, TypeError, "dtype uint8"),
        (lambda: da.zeros((2, 2, 2, 4), dtype=np.uint8), OLD, NEW, {}, ValueError, "4 dimensions"),
        (
            lambda: da.zeros((0, 4, 4), dtype=np.uint8),
            OLD,
            NEW,
            {},
            ValueError,
            "at least one pixel",
        ),
        (
            lambda: da.zeros((4, 4, 4), dtype=np.uint8),
            (0, 0, 0),
            NEW,
            {},
            ValueError,
            "old must have 4",
        ),
        (
            lambda: da.zeros((4, 4, 4), dtype=np.uint8),
            OLD,
            (1, 2, 3, 256),
            {},
            ValueError,
            "0..255",
        ),
        (
            lambda: da.zeros((4, 4, 4), dtype=np.uint8),
            OLD,
            NEW,
            {"technique": "nope"},
            ValueError,
            "technique must be one of",
        ),
        (
            lambda: da.zeros((4, 4, 4), dtype=np.uint8),
            OLD,
            NEW,
            {"out": np.zeros((4, 4, 4), np.uint8)},
            TypeError,
            "out works with numpy arrays",
        ),
        (
            lambda: da.zeros((8, 4, 4), dtype=np.uint8)[da.arange(8) > 3],
            OLD,
            NEW,
            {},
            ValueError,
            "known shape",
        ),
    ],
)
def test_bad_dask_arguments_are_refused_before_any_chunk_is_computed(
    make, old, new, kwargs, error, message
) -> None:
    with pytest.raises(error, match=message):
        recolor.recolor(make(), old, new, **kwargs)


# Batches of files.


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    # A killed worker's nanny starts a new one under the same name; the cluster closes that
    # nanny for good if the new worker is not back within lost-worker-timeout (15 s), which a
    # busy machine exceeds while the new worker imports numpy and OpenCV. The fault tests
    # wait for the restart instead, however long it takes.
    with (
        dask.config.set({"distributed.deploy.lost-worker-timeout": "10 minutes"}),
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
    ):
        yield local


def _write_images(folder: Path, count: int, side: int = 40) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"image{index:03d}.png"
        chunks = PngImagePlugin.PngInfo()
        chunks.add_text("Author", f"recolor tests {index}")
        Image.fromarray(recolor.sample_image(side + index % 7, side, seed=index)).save(
            path, pnginfo=chunks, dpi=(144, 144)
        )
        paths.append(path)
    animated = folder / "animated.gif"
    frames = [
        Image.fromarray(speckled((12, 10, 3), (0, 0, 0), seed=n)).convert("P") for n in range(3)
    ]
    frames[0].save(animated, save_all=True, append_images=frames[1:], duration=[40, 50, 60], loop=0)
    return [*paths, animated]


def _apply(*args: object) -> int:
    return recolor.cli.main(["apply", *map(str, args)])


def _outputs(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def test_a_batch_on_dask_writes_the_bytes_of_one_process_and_keeps_metadata(
    tmp_path: Path, cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = _write_images(tmp_path / "in", 9)
    assert _apply(*sources, "--out-dir", tmp_path / "here") == 0
    here_lines = capsys.readouterr().out.splitlines()
    status = _apply(
        *sources, "--out-dir", tmp_path / "dask", "--scheduler", cluster.scheduler_address
    )
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert _outputs(tmp_path / "dask") == _outputs(tmp_path / "here")
    # One line per image, in the order they finished, and the count.
    assert lines[-1] == here_lines[-1] == f"{len(sources)} recoloured, 0 skipped, 0 failed"
    assert sorted(lines[:-1]) == sorted(
        line.replace(f"{tmp_path / 'here'}", f"{tmp_path / 'dask'}") for line in here_lines[:-1]
    )
    with Image.open(tmp_path / "dask" / "image003.png") as after:
        assert after.text["Author"] == "recolor tests 3"
        assert after.info["dpi"] == pytest.approx((144, 144), abs=0.1)
    with Image.open(tmp_path / "dask" / "animated.gif") as after:
        assert after.n_frames == 3


def test_a_batch_reads_and_writes_fsspec_urls(tmp_path: Path, cluster, capsys) -> None:
    sources = _write_images(tmp_path / "in", 4)
    memory = fsspec.filesystem("memory")
    root = f"/recolor-tests-{os.getpid()}-{time.monotonic_ns()}"
    urls = []
    for source in sources:
        memory.pipe_file(f"{root}/in/{source.name}", source.read_bytes())
        urls.append(f"memory://{root}/in/{source.name}")
    assert _apply(*sources, "--out-dir", tmp_path / "here") == 0
    # memory:// in and out; then memory:// in, a local folder out.
    address = cluster.scheduler_address
    assert _apply(*urls, "--out-dir", f"memory://{root}/out", "--scheduler", address) == 0
    assert _apply(*urls, "--out-dir", tmp_path / "from-urls", "--scheduler", address) == 0
    expected = _outputs(tmp_path / "here")
    for name, data in expected.items():
        assert memory.cat_file(f"{root}/out/{name}") == data, name
    assert _outputs(tmp_path / "from-urls") == expected
    capsys.readouterr()
    # Refused before any write without --force; resumed with --ignore-existing.
    assert _apply(*urls, "--out-dir", f"memory://{root}/out", "--scheduler", address) == 1
    assert "already exists; pass --force" in capsys.readouterr().err
    status = _apply(
        *urls, "--out-dir", f"memory://{root}/out", "--scheduler", address, "--ignore-existing"
    )
    assert status == 0
    assert (
        capsys.readouterr().out.splitlines()[-1] == f"0 recoloured, {len(urls)} skipped, 0 failed"
    )
    memory.rm(root, recursive=True)


def test_a_url_without_dask_is_refused_with_what_to_pass(capsys) -> None:
    assert _apply("memory://a.png", "memory://b.png") == 2  # a wrong command line
    assert "pass --workers N or --scheduler ADDRESS" in capsys.readouterr().err


def test_a_bad_file_among_good_ones_fails_alone(tmp_path: Path, cluster, capsys) -> None:
    sources = _write_images(tmp_path / "in", 3)
    bad = tmp_path / "in" / "broken.png"
    bad.write_bytes(b"not a png")
    status = _apply(
        *sources, bad, "--out-dir", tmp_path / "out", "--scheduler", cluster.scheduler_address
    )
    out, err = capsys.readouterr()
    assert status == 1
    assert out.splitlines()[-1] == f"{len(sources)} recoloured, 0 skipped, 1 failed"
    assert "recolor: error: " in err
    assert "broken.png: not an image file Pillow can read" in err
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(
        source.name for source in sources
    )


def test_an_existing_output_is_refused_before_any_image_is_written(
    tmp_path: Path, cluster, capsys
) -> None:
    sources = _write_images(tmp_path / "in", 3)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / sources[2].name).write_bytes(b"kept")
    status = _apply(
        *sources, "--out-dir", tmp_path / "out", "--scheduler", cluster.scheduler_address
    )
    assert status == 1
    assert "already exists" in capsys.readouterr().err
    assert _outputs(tmp_path / "out") == {sources[2].name: b"kept"}


def test_workers_n_starts_a_local_cluster_of_processes(tmp_path: Path) -> None:
    sources = _write_images(tmp_path / "in", 3)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "recolor",
            "apply",
            *map(str, sources),
            "--out-dir",
            str(tmp_path / "out"),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == f"{len(sources)} recoloured, 0 skipped, 0 failed"
    assert recolor.cli.main(["apply", *map(str, sources), "--out-dir", str(tmp_path / "here")]) == 0
    assert _outputs(tmp_path / "out") == _outputs(tmp_path / "here")


def test_the_local_cluster_refuses_a_client_without_its_credentials() -> None:
    import argparse

    from recolor.cli.cluster import _client

    args = argparse.Namespace(workers=1, scheduler=None, dashboard=False)
    with _client(args) as client:
        address = client.scheduler.address
        assert address.startswith("tls://127.0.0.1:")
        assert client.run(lambda: 1)  # the owner's client works
        scheduler = client.cluster.scheduler
        listening = {socket.getsockname()[:2] for socket in scheduler.http_server._sockets.values()}
        assert {host for host, _ in listening} == {"127.0.0.1"}  # on loopback only
        (port,) = {port for _, port in listening}
        for page in ("status", "info/main/workers.html", "json/counts.json", "proxy/1/x"):
            with pytest.raises(urllib.error.HTTPError, match="404"):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/{page}", timeout=5)
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=5).status == 200
        with pytest.raises((OSError, TimeoutError)) as refused:
            distributed.Client(address.replace("tls://", "tcp://"), timeout="3s",
                               set_as_default=False)  # fmt: skip
        print(f"plain TCP, no credentials: {type(refused.value).__name__}: {refused.value}")
        with pytest.raises((OSError, TimeoutError, TypeError)) as refused_tls:
            distributed.Client(address, timeout="3s", set_as_default=False)
        print(f"TLS, no credentials: {type(refused_tls.value).__name__}: {refused_tls.value}")
        with pytest.raises((OSError, TimeoutError)) as refused_other:
            distributed.Client(
                address,
                timeout="3s",
                set_as_default=False,
                security=distributed.Security.temporary(),  # credentials, but not the cluster's
            )
        print(
            f"TLS, credentials of its own: {type(refused_other.value).__name__}: "
            f"{refused_other.value}"
        )


def test_a_worker_killed_mid_batch_never_makes_a_false_failure(
    tmp_path: Path, cluster: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """10 batches, each losing a worker at a task and a moment drawn, without repeats, from
    every task after the first and both moments (as it starts, or once its output is written
    but not yet reported): every batch still writes every output, exactly."""
    import cloudpickle

    from tests import dask_faults

    cloudpickle.register_pickle_by_value(dask_faults)
    sources = _write_images(tmp_path / "in", 11, side=160)
    here = tmp_path / "here"
    assert _apply(*sources, "--out-dir", here) == 0
    expected = {path.name: path.read_bytes() for path in here.iterdir()}
    capsys.readouterr()
    rng = random.Random(31)
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    summaries = []
    moments = [(at, state) for at in range(1, len(sources)) for state in ("executing", "memory")]
    with distributed.Client(address, set_as_default=False) as client:
        for batch, (at, state) in enumerate(rng.sample(moments, 10)):
            _wait_for_workers(client, cluster)
            faults = tmp_path / f"faults{batch}"
            faults.mkdir()
            client.register_plugin(dask_faults.KillAtTask(faults, at=at, state=state), name="kill")
            out = tmp_path / f"out{batch}"
            status = _apply(*sources, "--out-dir", out, "--scheduler", address)
            client.unregister_worker_plugin("kill")
            summary = capsys.readouterr().out.splitlines()[-1]
            summaries.append(f"{summary} (a worker killed at task {at} of {len(sources)}, {state})")
            assert (faults / "killed").read_text() == state, f"batch {batch}: no worker was killed"
            assert (status, summary) == (0, f"{len(sources)} recoloured, 0 skipped, 0 failed")
            _wait_until_idle(client, cluster)
            remove_leftovers(out)
            assert {path.name: path.read_bytes() for path in out.iterdir()} == expected
    print("\n".join(f"batch {index}: {line}" for index, line in enumerate(summaries)))


def test_a_worker_killed_while_writing_leaves_a_temporary_file_the_next_run_removes(
    tmp_path: Path, cluster: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGKILL at a random moment, such as mid-write: whatever it interrupts, the outputs are
    exact, and a temporary file it leaves is removed by the next run on the folder."""
    sources = _write_images(tmp_path / "in", 11, side=160)
    here = tmp_path / "here"
    assert _apply(*sources, "--out-dir", here) == 0
    expected = {path.name: path.read_bytes() for path in here.iterdir()}
    capsys.readouterr()
    rng = random.Random(37)
    address = cluster.scheduler_address  # type: ignore[attr-defined]
    with distributed.Client(address, set_as_default=False) as client:
        for batch in range(5):
            pids = list(client.run(os.getpid, workers=_wait_for_workers(client, cluster)).values())
            victim = rng.choice(pids)
            killer = threading.Timer(rng.uniform(0.0, 0.4), os.kill, (victim, signal.SIGKILL))
            killer.start()
            out = tmp_path / f"out{batch}"
            status = _apply(*sources, "--out-dir", out, "--scheduler", address)
            killer.join()
            _wait_until_dead(victim)  # killed after the batch ended, it may be dying still
            summary = capsys.readouterr().out.splitlines()[-1]
            assert (status, summary) == (0, f"{len(sources)} recoloured, 0 skipped, 0 failed")
            _wait_until_idle(client, cluster)
            remove_leftovers(out)
            assert {path.name: path.read_bytes() for path in out.iterdir()} == expected


def _wait_for_workers(client: distributed.Client, cluster: object) -> list[str]:
    """Return the cluster's two workers once both live and the scheduler lists them alone. A
    restarted worker imports recolor, numpy and OpenCV: slow on a busy machine."""

    def both_listed() -> list[str]:
        live = _live_workers(cluster)
        listed = len(live) == 2 and set(live) == set(client.scheduler_info()["workers"])
        return live if listed else []

    return wait_until(
        both_listed,
        seconds=600,
        pause=0.05,
        failure="the cluster has not two workers 10 minutes on",
    )


def _wait_until_idle(client: distributed.Client, cluster: object) -> None:
    """Return once no worker runs a task. A task whose result died with its worker after
    the batch took it may have been started again: that run finds its output written and
    removes its own temporary file, but it may still be running when the batch returns."""

    def idle() -> bool:
        running = client.run(_tasks_running, workers=_live_workers(cluster), on_error="ignore")
        return not any(running.values())

    wait_until(idle, seconds=120, pause=0.05, failure="the cluster still runs a task 2 minutes on")


def _wait_until_dead(pid: int) -> None:
    """Return once the process is gone or a zombie: until then its nanny still counts it."""
    wait_until(
        lambda: _dead(pid),
        seconds=60,
        pause=0.01,
        failure=f"process {pid} still runs a minute after SIGKILL",
    )


def _dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _live_workers(cluster: object) -> list[str]:
    """The addresses of the workers whose process lives, from their nannies in this process.
    The scheduler may list a killed worker for a moment, and a message to it would wait out
    the connect timeout (30 s)."""
    live = []
    for nanny in list(cluster.workers.values()):  # type: ignore[attr-defined]
        worker = nanny.process
        # A restarting worker keeps its old address until the new process reports in.
        if worker is None or worker.status != distributed.core.Status.running:
            continue
        if not _dead(worker.process.pid):
            live.append(worker.worker_address)
    return live


def _tasks_running(dask_worker: distributed.Worker) -> int:
    # Counts a task the scheduler has cancelled while its thread still runs it.
    return len(dask_worker.state.executing)


def test_a_scheduler_that_cannot_be_reached_is_named_before_any_write(
    tmp_path: Path, capsys
) -> None:
    sources = _write_images(tmp_path / "in", 2)
    assert _apply(*sources, "--out-dir", tmp_path / "out", "--scheduler", "no-port-here") == 1
    assert "recolor: error: --scheduler no-port-here: cannot connect" in capsys.readouterr().err
    assert list((tmp_path / "out").iterdir()) == []
    # Nor did it become the default client of the process's later Dask work.
    with pytest.raises(ValueError, match="No clients found"):
        distributed.default_client()
