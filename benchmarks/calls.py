"""How a case becomes a call: the suite's side of every measurement, in the parent and in workers.

A worker measuring another commit's tree (``--recolor-compare REF``) imports
this module after REF's tree is on its path, so every recolor name used
here is public (``recolor.TECHNIQUES``, ``recolor.sample_image``,
``recolor.thread_limit``): REF's private layout can neither break nor bend
what is measured. Inputs come from a seeded, cached factory, so building
them is never timed and every benchmark of a size sees the same pixels.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

import recolor
from benchmarks.cases import ALL_CORES, COPY, Case
from benchmarks.instrument.machine import available_cores
from benchmarks.yardsticks import bandwidth_probe, moves_memory, yardstick_call, yardstick_name

#: recolor's documented cap on OpenCV's and numba's threads, which workers inherit.
THREADS_ENV_VAR = "RECOLOR_THREADS"
#: RECOLOR_BENCH_SLOWDOWN="name=1.5[,name=factor...]" makes those techniques
#: slower by busy-waiting after each call: how the gate itself is tested.
SLOWDOWN_ENV_VAR = "RECOLOR_BENCH_SLOWDOWN"


@contextlib.contextmanager
def case_threads(case: Case) -> Iterator[None]:
    """The case's own thread cap while it runs; without one, the session's.

    The session's is RECOLOR_THREADS (``--recolor-threads`` exports it),
    which worker processes inherit.
    """
    cap = thread_cap(case)
    if cap is None:
        yield
    else:
        with recolor.thread_limit(cap):
            yield


def thread_cap(case: Case) -> int | None:
    """The case's own cap on threads, counted on this machine; None: the session's."""
    if case.threads is None:
        return None
    return available_cores() if case.threads == ALL_CORES else case.threads


_IMAGES: dict[int, npt.NDArray[np.uint8]] = {}
_RGB_IMAGES: dict[int, npt.NDArray[np.uint8]] = {}


def image_for(size: int, channels: int = 4) -> npt.NDArray[np.uint8]:
    """The sample portrait at ``size`` x ``size``, read-only and cached; with ``channels=3``,
    a C-contiguous copy of its RGB channels (a photo has no alpha)."""
    if size not in _IMAGES:
        provide_image(recolor.sample_image(size, size))
    if channels == 4:
        return _IMAGES[size]
    if size not in _RGB_IMAGES:
        rgb = np.ascontiguousarray(_IMAGES[size][:, :, :channels])
        rgb.flags.writeable = False
        _RGB_IMAGES[size] = rgb
    return _RGB_IMAGES[size]


def provide_image(image: npt.NDArray[np.uint8]) -> None:
    """Make ``image`` the one :func:`image_for` returns at its size.

    A worker gets its image from the process that started it
    (benchmarks/measure.py says why).
    """
    image.flags.writeable = False
    _IMAGES[image.shape[0]] = image
    _RGB_IMAGES.pop(image.shape[0], None)


def load_technique(case: Case) -> None:
    """Call the case's technique once on a 4x4 image, before the case's image exists.

    What a first call loads (OpenCV, numba's kernels) then sits in memory
    before the image, whether a commit loads it when imported or when first
    called, so two commits that differ only there are measured on alike heaps.
    """
    if case.technique != COPY:
        tiny = np.zeros((4, 4, case.channels), dtype=np.uint8)
        old, new = case.colours
        recolor.TECHNIQUES[case.technique].func(tiny, old, new, tolerance=case.tolerance)


def call_for(case: Case) -> Callable[[], Any]:
    """A no-argument call that runs the case once, slowed down if asked.

    In place, the call recolours a copy of the image of its own, from OLD to
    NEW and back on alternate calls: the image holds no NEW pixel, so every
    call recolours exactly the pixels the first one did, and no call pays for
    restoring the image. (So only exact matches are raced in place.)
    """
    image = image_for(case.size, case.channels)
    if case.technique == COPY:
        return lambda: np.copy(image)
    func = slowed(case.technique, recolor.TECHNIQUES[case.technique].func)
    tolerance = case.tolerance
    old, new = case.colours
    if not case.in_place:
        return lambda: func(image, old, new, tolerance=tolerance)
    buffer = image.copy()
    colours = [old, new]

    def recolor_in_place() -> Any:
        result = func(buffer, colours[0], colours[1], tolerance=tolerance, out=buffer)
        colours.reverse()
        return result

    return recolor_in_place


def copy_call(case: Case) -> Callable[[], Any]:
    """numpy.copy of the case's image: the reference the tables read "x copy" by.

    numpy.copy reads and writes every byte once, the floor for any technique
    that returns a new image.
    """
    return call_for(Case(COPY, case.size, channels=case.channels))


def measured_calls(case: Case, *, against_copy: bool = False) -> dict[str, Callable[[], Any]]:
    """What a worker times in alternating rounds: the case, its yardstick, and the probe.

    With ``against_copy``, the yardstick is numpy.copy of the same image,
    whatever the case's own: the "x copy" the tables and the history show.
    The probe (numpy.copyto into a ready buffer) is there when the yardstick
    copies the image, so that the worker reports this machine's copy
    bandwidth beside the yardstick's.
    """
    image = image_for(case.size, case.channels)
    name = COPY if against_copy else yardstick_name(case.technique)
    old, new = case.colours
    yardstick = copy_call(case) if against_copy else yardstick_call(case.technique, image, old, new)
    calls = {"yardstick": yardstick, "case": call_for(case)}
    if moves_memory(name):
        calls["probe"] = bandwidth_probe(image)
    return calls


def worker_calls(
    spec: Mapping[str, Any], payload: io.BufferedIOBase, *, against_reference: bool
) -> dict[str, Callable[[], Any]]:
    """The calls a wall-clock worker times, on the image it was sent.

    The technique runs once before the image exists (:func:`load_technique`),
    and the image is read into a buffer of its own, so both trees of an A/B
    comparison measure the very same pixels on alike heaps.
    """
    case = Case(**spec)
    load_technique(case)
    image = np.empty((case.size, case.size, 4), dtype=np.uint8)
    if payload.readinto(image.reshape(-1).data) != image.nbytes:
        raise SystemExit(f"benchmark worker: the {case.key} image on stdin is incomplete")
    provide_image(image)
    return measured_calls(case, against_copy=against_reference)


def worker_threads(spec: Mapping[str, Any]) -> contextlib.AbstractContextManager[None]:
    """The case's thread cap while a worker times it."""
    return case_threads(Case(**spec))


def counted_call(spec: Mapping[str, Any]) -> Callable[[], Any]:
    """The call a cost worker counts: the case on the sample image, built in the worker."""
    return call_for(Case(**spec))


def versions() -> dict[str, str | None]:
    """recolor's version and those of the libraries its techniques call, as imported here."""
    found: dict[str, str | None] = {"recolor": recolor.__version__, "numpy": np.__version__}
    for name, module in (("opencv", "cv2"), ("pillow", "PIL"), ("numba", "numba")):
        try:
            found[name] = importlib.import_module(module).__version__
        except ImportError:
            found[name] = None
    return found


def measured_file() -> str:
    """Where the recolor a worker measures was imported from."""
    return str(recolor.__file__)


def slowdowns() -> dict[str, float]:
    """The slowdown factors asked for in RECOLOR_BENCH_SLOWDOWN."""
    spec = os.environ.get(SLOWDOWN_ENV_VAR, "").strip()
    factors: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, factor = item.partition("=")
        if name not in recolor.TECHNIQUES or not factor:
            raise ValueError(
                f"{SLOWDOWN_ENV_VAR} must be name=factor[,name=factor...] with names from "
                f"{sorted(recolor.TECHNIQUES)}, got {spec!r}"
            )
        factors[name] = float(factor)
    return factors


def slowed(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func``, busy-waiting ``(factor - 1)`` times its own duration after each call."""
    factor = slowdowns().get(name)
    if factor is None:
        return func

    def slow(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = func(*args, **kwargs)
        deadline = time.perf_counter() + (factor - 1) * (time.perf_counter() - start)
        while time.perf_counter() < deadline:
            pass
        return result

    return slow


if TYPE_CHECKING:  # mypy checks that this module is the worker side the instrument imports
    import benchmarks.calls as _this
    from benchmarks.instrument.adapter import WorkerSide

    _checked: WorkerSide = _this
