"""recolor's adapter: what the benchmark instrument needs to know of recolor's cases.

The instrument (benchmarks/instrument/) imports nothing of recolor; it asks
this module (named by ``benchmark_adapter`` in pyproject.toml) how to build,
check and describe a :class:`~benchmarks.cases.Case`. Workers import
benchmarks/calls.py instead (``about.worker_module``), which uses recolor's public
names alone, so that another commit's tree is measured by this tree's code.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

import recolor
from benchmarks import calls, checks
from benchmarks import cases as benchmark_cases
from benchmarks.cases import COPY, LOOP_CONFIRM_SIZE, ORIGINAL_SIZE, Case
from benchmarks.first_call import first_call_seconds
from benchmarks.instrument.adapter import About, CaseFacts, Column
from benchmarks.instrument.machine import available_cores
from benchmarks.instrument.meters import peak_bytes
from benchmarks.yardsticks import yardstick_name
from recolor.testing import assert_image_equal

_HERE = Path(__file__).resolve().parent

#: Below this many times the bandwidth probe's time, one thread, an out-of-place
#: call is impossible: the probe's read and write of every byte is the floor. The
#: margin is for memory-bound sizes, where a numba loop reads 0.9x the probe at
#: 4096x4096; the impossible readings this guards against were 0.17x and 0.38x.
COPY_FLOOR = 0.75
#: Memory of interpreted loops is traced on the gate's small image: tracemalloc
#: slows Python loops, and their memory per pixel does not depend on the size.
LOOP_MEMORY_SIZE = LOOP_CONFIRM_SIZE

about = About(
    package="recolor",
    worker_module="benchmarks.calls",
    protocol_files=(_HERE / "calls.py", _HERE / "yardsticks.py"),
    protocol_settings={"loop_confirm_size": LOOP_CONFIRM_SIZE},
    baseline_path=_HERE / "baseline.json",
    cost_baseline_path=_HERE / "cost_baseline.json",
    lock_path=_HERE / "constraints.txt",
    threads_env_var=calls.THREADS_ENV_VAR,
    slowdown_env_var=calls.SLOWDOWN_ENV_VAR,
    reference_name="copy",
    # An image's figures: its throughput, its memory per pixel, a compiled kernel's first call.
    columns=(
        Column("megapixels_per_second", "MP/s", "{:9.1f}"),
        Column(
            "peak_bytes_per_pixel",
            "peak B/px",
            "{:9.1f}",
            "peak memory allocated per call per pixel, as tracemalloc sees it.",
        ),
        Column("first_call_seconds", "first call", "{:8.3f}s"),
    ),
)


def configure() -> None:
    """The session's thread cap (``--recolor-threads`` exports it) in this process too."""
    cap = os.environ.get(about.threads_env_var)
    if cap:
        recolor.set_thread_limit(int(cap))


def cost_cases() -> list[Case]:
    return benchmark_cases.cost_cases()


def case_for(key: str) -> Case:
    return Case.from_key(key)


def cases() -> list[Case]:
    return benchmark_cases.wall_clock_cases()


def facts(case: Case) -> CaseFacts:
    """What the instrument needs to know of ``case``."""
    reference = case.technique == COPY
    cap = calls.thread_cap(case)
    return CaseFacts(
        subject=case.technique,
        label=case.technique if cap is None else f"{case.technique} ({cap} thr)",
        yardstick=yardstick_name(case.technique),
        reference=reference,
        on_reference=yardstick_name(case.technique) == COPY,
        slow=case.per_pixel_loop,
        measured_as=case.confirm_case(),
        spec=dataclasses.asdict(case),
        threads=_thread_count(case),
        floor=_floor(case),
        depends_on=depends_on(case),
        slowdown=calls.slowdowns().get(case.technique),
        warm_up_group=_warm_up_group(case),
    )


def payload(case: Case) -> bytes:
    return calls.image_for(case.size).tobytes()


def _floor(case: Case) -> float | None:
    """A call that returns a new image reads and writes every byte at least once.

    So on one thread it cannot take much less than the bandwidth probe, and
    on several a share of it each. In place, or for the copy itself, there
    is no such floor.
    """
    if case.technique == COPY or case.in_place:
        return None
    return COPY_FLOOR / max(_thread_count(case), 1)


def _thread_count(case: Case) -> int:
    if case.technique == COPY or not case.multithreaded:
        return 1
    cap = calls.thread_cap(case)
    if cap is None:  # the session's cap, which workers inherit
        return int(os.environ.get(about.threads_env_var) or available_cores())
    return cap


def call(case: Case) -> Callable[[], Any]:
    """The case's call; its input's digest is taken first, for :func:`check`."""
    image = (case.size, case.channels)
    if image not in _INPUT_DIGESTS:
        _INPUT_DIGESTS[image] = _digest(calls.image_for(*image))
    return calls.call_for(case)


def check(case: Case, result: Any) -> None:
    image = calls.image_for(case.size, case.channels)
    digest = _INPUT_DIGESTS[(case.size, case.channels)]
    assert _digest(image) == digest, f"{case.technique} modified its input"
    if case.technique == COPY:
        return
    if case.in_place:  # the timed buffer went back and forth: check one call afresh
        result = image.copy()
        recolor.TECHNIQUES[case.technique].func(result, *case.colours, out=result)
    assert_image_equal(result, checks.expected_for(case.size, case.tolerance, case.channels))


#: Each input's digest before its first call, by size and channels: what check compares with.
_INPUT_DIGESTS: dict[tuple[int, int], bytes] = {}


def _digest(image: np.ndarray[Any, Any]) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(image).data).digest()


def unavailable(case: Case) -> str | None:
    """What to install for the case's technique, or None when it can run here."""
    if case.technique == COPY:
        return None
    technique = recolor.TECHNIQUES[case.technique]
    if technique.available:
        return None
    return (
        f"{technique.name} needs {technique.requires}: pip install 'recolor[{technique.requires}]'"
    )


def threads(case: Case) -> contextlib.AbstractContextManager[None]:
    return calls.case_threads(case)


def versions() -> dict[str, str | None]:
    return calls.versions()


def depends_on(case: Case) -> tuple[str, ...]:
    """numpy, which every case uses, and the libraries its technique calls (the registry's)."""
    if case.technique == COPY:
        return ("numpy",)
    return ("numpy", *recolor.TECHNIQUES[case.technique].uses)


def extras(case: Case, median_seconds: float) -> dict[str, Any]:
    """An image's figures of the case: its technique, throughput and memory per pixel,
    and a compiled technique's first call in a fresh process, at the original size."""
    memory_size = LOOP_MEMORY_SIZE if case.per_pixel_loop else case.size
    memory_call = calls.call_for(dataclasses.replace(case, size=memory_size))
    megapixels = case.size**2 / 1e6
    found: dict[str, Any] = {
        "technique": case.technique,
        "megapixels": megapixels,
        "megapixels_per_second": megapixels / median_seconds,
        "peak_bytes_per_pixel": peak_bytes(memory_call) / memory_size**2,
    }
    compiled = case.technique != COPY and recolor.TECHNIQUES[case.technique].requires == "numba"
    if compiled and case.key == Case(case.technique, ORIGINAL_SIZE).key:
        found["first_call_seconds"] = first_call_seconds(case.technique)["first"]
    return found


#: Marks the line that lists REF's techniques, whatever else its recolor prints on import.
_LISTED = "recolor-techniques:"
_LIST_TECHNIQUES = (
    f"import json, recolor\nprint({_LISTED!r} + json.dumps(sorted(recolor.TECHNIQUES)), flush=True)"
)


@cache
def reference_subjects(root: Path) -> frozenset[str]:
    """The techniques the ``recolor`` under ``root`` registers, and the copy reference.

    REF's package is another commit's code: it may print on import, or exit
    before it lists anything. Either is a one-line RuntimeError, never a
    traceback of the instrument's.
    """
    completed = subprocess.run(
        [sys.executable, "-c", _LIST_TECHNIQUES],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    listed = [line for line in completed.stdout.splitlines() if line.startswith(_LISTED)]
    if completed.returncode != 0 or not listed:
        last_line = (completed.stderr.strip().splitlines() or ["no message"])[-1]
        if completed.returncode == 0:
            last_line = "it exited while being imported, before listing its techniques"
        raise RuntimeError(f"cannot import recolor from {root}: {last_line}")
    try:
        techniques = json.loads(listed[-1].removeprefix(_LISTED))
    except json.JSONDecodeError:
        raise RuntimeError(f"recolor from {root} listed its techniques unreadably") from None
    return frozenset({COPY, *techniques})


def not_comparable(case: Case, root: Path, ref: str) -> str | None:
    if case.technique not in reference_subjects(root):
        return f"only in this tree, not in {ref}"
    if case.in_place and not takes_out(root):
        return f"{ref}'s techniques take no out="
    return None


_TAKES_OUT = """
import numpy, recolor
image = numpy.zeros((1, 1, 4), numpy.uint8)
recolor.numpy_mask(image, (0, 0, 0, 0), (1, 1, 1, 1), out=image)
"""


@cache
def takes_out(root: Path) -> bool:
    """Whether the techniques of the ``recolor`` under ``root`` take ``out=``."""
    completed = subprocess.run(
        [sys.executable, "-c", _TAKES_OUT], cwd=root, capture_output=True, check=False
    )
    return completed.returncode == 0


def _warm_up_group(case: Case) -> Any:
    """numba's kernels, one compile per technique and tolerance path, natively (cost mode)."""
    if case.technique == COPY or recolor.TECHNIQUES[case.technique].requires != "numba":
        return None
    return (case.technique, bool(case.tolerance) or case.channels != 4)


if TYPE_CHECKING:  # mypy checks that this module is the adapter the instrument asks for
    import benchmarks.adapter as _this
    from benchmarks.instrument.adapter import Suite

    _checked: Suite = _this
