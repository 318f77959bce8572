"""recolor's adapter: what the benchmark instrument needs to know of recolor's cases.

The instrument (benchmarks/instrument/) imports nothing of recolor; it asks
this module (named by ``benchmark_adapter`` in pyproject.toml) how to build,
check and describe a :class:`~benchmarks.cases.Case`. Workers import
benchmarks/calls.py instead (``WORKER_MODULE``), which uses recolor's public
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
from benchmarks import calls, cases, checks
from benchmarks.cases import COPY, LOOP_CONFIRM_SIZE, NEW, OLD, ORIGINAL_SIZE, Case
from benchmarks.first_call import first_call_seconds
from benchmarks.instrument.environment import available_cores
from benchmarks.yardsticks import yardstick_name
from recolor.testing import assert_image_equal

_HERE = Path(__file__).resolve().parent

PACKAGE = "recolor"
WORKER_MODULE = "benchmarks.calls"
PROTOCOL_FILES: tuple[Path, ...] = (_HERE / "calls.py", _HERE / "yardsticks.py")
PROTOCOL_SETTINGS: dict[str, Any] = {"loop_confirm_size": LOOP_CONFIRM_SIZE}
BASELINE_PATH = _HERE / "baseline.json"
COST_BASELINE_PATH = _HERE / "cost_baseline.json"
LOCK_PATH = _HERE / "constraints.txt"
THREADS_ENV_VAR = calls.THREADS_ENV_VAR
SLOWDOWN_ENV_VAR = calls.SLOWDOWN_ENV_VAR
REFERENCE_NAME = "copy"

#: Below this many times the bandwidth probe's time, one thread, an out-of-place
#: call is impossible: the probe's read and write of every byte is the floor. The
#: margin is for memory-bound sizes, where a numba loop reads 0.9x the probe at
#: 4096x4096; the impossible readings this guards against were 0.17x and 0.38x.
COPY_FLOOR = 0.75
#: Memory of interpreted loops is traced on the gate's small image: tracemalloc
#: slows Python loops, and their memory per pixel does not depend on the size.
LOOP_MEMORY_SIZE = LOOP_CONFIRM_SIZE


def configure() -> None:
    """The session's thread cap (``--recolor-threads`` exports it) in this process too."""
    cap = os.environ.get(THREADS_ENV_VAR)
    if cap:
        recolor.set_thread_limit(int(cap))


def cost_cases() -> list[Case]:
    return cases.cost_cases()


def wall_clock_cases() -> list[Case]:
    return cases.wall_clock_cases()


def case_for(key: str) -> Case:
    return Case.from_key(key)


def subject(case: Case) -> str:
    return case.technique


def label(case: Case) -> str:
    cap = calls.thread_cap(case)
    return case.technique if cap is None else f"{case.technique} ({cap} thr)"


def is_reference(case: Case) -> bool:
    return case.technique == COPY


def is_slow(case: Case) -> bool:
    return case.per_pixel_loop


def measured_as(case: Case) -> Case:
    return case.confirm_case()


def spec(case: Case) -> dict[str, Any]:
    return dataclasses.asdict(case)


def payload(case: Case) -> bytes:
    return calls.image_for(case.size).tobytes()


def megapixels(case: Case) -> float:
    return case.size**2 / 1e6


def yardstick(case: Case) -> str:
    return yardstick_name(case.technique)


def yardstick_is_reference(case: Case) -> bool:
    return yardstick_name(case.technique) == COPY


def reference_floor(case: Case) -> float | None:
    """A call that returns a new image reads and writes every byte at least once.

    So on one thread it cannot take much less than the bandwidth probe, and
    on several a share of it each. In place, or for the copy itself, there
    is no such floor.
    """
    if is_reference(case) or case.in_place:
        return None
    return COPY_FLOOR / max(thread_count(case), 1)


def thread_count(case: Case) -> int:
    if is_reference(case) or not case.multithreaded:
        return 1
    cap = calls.thread_cap(case)
    if cap is None:  # the session's cap, which workers inherit
        return int(os.environ.get(THREADS_ENV_VAR) or available_cores())
    return cap


def call(case: Case) -> Callable[[], Any]:
    """The case's call; its input's digest is taken first, for :func:`check`."""
    if case.size not in _INPUT_DIGESTS:
        _INPUT_DIGESTS[case.size] = _digest(calls.image_for(case.size))
    return calls.call_for(case)


def memory_call(case: Case) -> tuple[Callable[[], Any], float]:
    size = LOOP_MEMORY_SIZE if case.per_pixel_loop else case.size
    return calls.call_for(dataclasses.replace(case, size=size)), float(size**2)


def check(case: Case, result: Any) -> None:
    image = calls.image_for(case.size)
    assert _digest(image) == _INPUT_DIGESTS[case.size], f"{case.technique} modified its input"
    if is_reference(case):
        return
    if case.in_place:  # the timed buffer went back and forth: check one call afresh
        result = image.copy()
        recolor.TECHNIQUES[case.technique].func(result, OLD, NEW, out=result)
    assert_image_equal(result, checks.expected_for(case.size, case.tolerance))


#: Each input's digest before its first call, by size: what check compares with.
_INPUT_DIGESTS: dict[int, bytes] = {}


def _digest(image: np.ndarray[Any, Any]) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(image).data).digest()


def skip_unless_runnable(case: Case) -> None:
    checks.skip_unless_available(case)


def runnable(case: Case) -> bool:
    return is_reference(case) or recolor.TECHNIQUES[case.technique].available


def threads(case: Case) -> contextlib.AbstractContextManager[None]:
    return calls.case_threads(case)


def versions() -> dict[str, str | None]:
    return calls.versions()


def depends_on(case: Case) -> tuple[str, ...]:
    """numpy, which every case uses, and the libraries its technique calls (the registry's)."""
    if is_reference(case):
        return ("numpy",)
    return ("numpy", *recolor.TECHNIQUES[case.technique].uses)


def extras(case: Case) -> dict[str, float]:
    """A compiled technique's first call in a fresh process, at the original size."""
    compiled = not is_reference(case) and recolor.TECHNIQUES[case.technique].requires == "numba"
    if compiled and case.key == Case(case.technique, ORIGINAL_SIZE).key:
        return {"first_call_seconds": first_call_seconds(case.technique)["first"]}
    return {}


#: Marks the line that lists REF's techniques, whatever else its recolor prints on import.
_LISTED = "recolor-techniques:"
_LIST_TECHNIQUES = (
    f"import json, recolor\nprint({_LISTED!r} + json.dumps(sorted(recolor.TECHNIQUES)), flush=True)"
)


def reference_subjects(root: Path) -> set[str]:
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
    return {COPY, *techniques}


def not_comparable(case: Case, root: Path, subjects: set[str], ref: str) -> str | None:
    if case.technique not in subjects:
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


def slowdown(case: Case) -> float | None:
    return calls.slowdowns().get(case.technique)


def warm_up_group(case: Case) -> Any:
    """numba's kernels, one compile per technique and tolerance path, natively (cost mode)."""
    if is_reference(case) or recolor.TECHNIQUES[case.technique].requires != "numba":
        return None
    return (case.technique, bool(case.tolerance))


if TYPE_CHECKING:  # mypy checks that this module is the adapter the instrument asks for
    import benchmarks.adapter as _this
    from benchmarks.instrument.adapter import Adapter

    _checked: Adapter = _this
