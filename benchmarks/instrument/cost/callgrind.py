"""A deterministic cost per call: instructions and simulated cache misses under callgrind.

A simulated CPU does not care about neighbours: the same call executes the
same instructions on every run. Each case is counted in a fresh process of
its own, ``python -m benchmarks.instrument.cost.worker`` under ``valgrind
--tool=callgrind --instr-atstart=no``. The worker imports, warms up and only
then switches instrumentation on around each call it counts (through
pytest-codspeed's compiled callgrind hooks), so start-up, imports, numba's
cache load and warm-up never enter the count.

What would make a count move between runs is fixed here, not left to the
user:

- hash seed: ``PYTHONHASHSEED=0``; address-space layout: ``setarch -R``;
- the environment: the worker gets a small fixed one, not the caller's, since
  even its size moves the stack and so the heap;
- threads: every pool (OpenBLAS, OpenMP, numba, OpenCV) has one thread, set
  before any work. Idle pool threads would otherwise spin inside the counted
  window, and threads that allocate in a racy order change every later
  address, which CPython's dicts and type cache hash;
- the CPU: valgrind presents the same synthetic x86-64 CPU (AVX2, no AVX-512)
  whatever the host, so numpy's and OpenCV's dispatch are the same on AMD and
  Intel hosts. numba is told to compile for that CPU by name
  (``NUMBA_CPU_NAME=haswell``), so its kernels do not depend on the host
  either, and can be compiled natively, outside valgrind, into a cache of
  the cost mode's own;
- the allocator: glibc moves its threshold between heap and ``mmap`` with
  the history of frees, so whether a large buffer comes from one or the
  other (a few percent of some counts) depended on what the process did
  before; ``GLIBC_TUNABLES`` fixes the threshold at glibc's default, 128 KiB;
- the garbage collector: a full collection walks every live object, so its
  cost grew with what the process had imported (6% of a list-building
  technique's count after one more import in the worker). The worker freezes
  what exists before it counts (:mod:`benchmarks.instrument.cost.worker`);
- the caches: callgrind would size its simulated caches from the host's;
  :data:`CACHE_MODEL` fixes them.

What remains is CPython hashing some objects by address: one more import in
the worker moved counts by at most 0.4% of instructions and 0.7% of
estimated cycles.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from benchmarks.instrument import protocol
from benchmarks.instrument.adapter import Case, Suite

#: The folder the instrument's package is imported from: workers start there.
ROOT = Path(__file__).resolve().parents[len(__name__.split(".")) - 1]
_WORKER = f"{__name__.rpartition('.')[0]}.worker"
#: The modules whose code decides what a count is: the worker, this module and
#: the slowdown's filler; the suite's calls join them (its ``protocol_files``).
COST_MODULES = tuple(
    Path(__file__).with_name(name) for name in ("worker.py", "callgrind.py", "slowdown.py")
)

#: The simulated caches: size in bytes, associativity, line size. A common
#: x86-64 shape, fixed so that a count does not depend on the host's caches.
CACHE_MODEL = {"I1": (32768, 8, 64), "D1": (32768, 8, 64), "LL": (8388608, 16, 64)}
#: Estimated cycles = instructions + 10 per L1 miss + 100 per last-level miss
#: (a last-level miss is also an L1 miss, so it weighs 110 in all).
L1_MISS_CYCLES = 10
LL_MISS_CYCLES = 100
#: Calls counted per case, after WARMUP_CALLS uncounted ones. The case's
#: figure is the counted call with the median estimated cycles.
COUNTED_CALLS = 3
WARMUP_CALLS = 2
#: The CPU numba compiles for in the cost mode: the one valgrind presents.
NUMBA_CPU = "haswell"
#: numba's kernels for the cost mode, compiled for NUMBA_CPU, apart from the
#: wall-clock suite's.
NUMBA_CACHE = ROOT / ".benchmarks" / "cost-numba-cache"

INSTALL_VALGRIND = (
    "the cost mode needs valgrind (with callgrind) and setarch: install them with "
    "'sudo apt-get install valgrind util-linux' (Debian, Ubuntu) or 'sudo dnf install "
    "valgrind util-linux' (Fedora); valgrind does not run on Windows or recent macOS"
)


class CostError(Exception):
    """A case could not be counted; the message says why."""


@dataclass(frozen=True)
class Cost:
    """What one call costs on the simulated CPU."""

    instructions: int
    l1_misses: int  # instruction and data, reads and writes
    ll_misses: int  # last level, likewise

    @property
    def estimated_cycles(self) -> int:
        return self.instructions + L1_MISS_CYCLES * self.l1_misses + LL_MISS_CYCLES * self.ll_misses

    def as_dict(self) -> dict[str, int]:
        return {
            "instructions": self.instructions,
            "l1_misses": self.l1_misses,
            "ll_misses": self.ll_misses,
            "estimated_cycles": self.estimated_cycles,
        }


def missing_tools() -> str | None:
    """None when the cost mode can run here, else the one line that says what to install."""
    if shutil.which("valgrind") is None or shutil.which("setarch") is None:
        return INSTALL_VALGRIND
    try:
        import pytest_codspeed  # noqa: F401  # its compiled callgrind hooks
    except ImportError:
        return (
            "the cost mode needs pytest-codspeed's callgrind hooks: "
            'python -m pip install -e ".[cost]"'
        )
    return None


@cache
def valgrind_version() -> str:
    """valgrind's version, or "not installed": it is recorded beside every count."""
    if shutil.which("valgrind") is None:
        return "not installed"
    completed = subprocess.run(
        ["valgrind", "--version"], capture_output=True, text=True, check=True
    )
    return completed.stdout.strip().removeprefix("valgrind-")


def worker_environment(suite: Suite, interpreter: str | None = None) -> dict[str, str]:
    """The small fixed environment every worker runs in (see the module's docstring).

    Under another ``interpreter`` (another environment, maybe another numba),
    numba's kernels go to a cache of that interpreter's own.
    """
    cache = NUMBA_CACHE
    if interpreter is not None:
        cache = cache.with_name(
            f"{cache.name}-{hashlib.sha256(interpreter.encode()).hexdigest()[:8]}"
        )
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=131072",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "OMP_WAIT_POLICY": "PASSIVE",
        "NUMBA_NUM_THREADS": "1",
        suite.about.threads_env_var: "1",
        "NUMBA_CPU_NAME": NUMBA_CPU,
        "NUMBA_CPU_FEATURES": "",
        "NUMBA_CACHE_DIR": str(cache),
    }


#: Entries of the worker's environment that name this machine's folders, not a setting.
_LOCAL_ENVIRONMENT = ("PATH", "HOME", "NUMBA_CACHE_DIR")


@cache
def cost_protocol(suite: Suite) -> dict[str, Any]:
    """This tree's cost protocol: its counting code, the worker's environment and the calls."""
    settings = {
        "environment": {
            name: value
            for name, value in worker_environment(suite).items()
            if name not in _LOCAL_ENVIRONMENT
        },
        "warmup_calls": WARMUP_CALLS,
        "counted_calls": COUNTED_CALLS,
    }
    return protocol.protocol(ROOT, (*COST_MODULES, *suite.about.protocol_files), settings)


def valgrind_command(out_dir: Path, interpreter: str | None = None) -> list[str]:
    caches = [f"--{name}={','.join(map(str, shape))}" for name, shape in CACHE_MODEL.items()]
    return [
        "setarch",
        "-R",
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--cache-sim=yes",
        *caches,
        f"--callgrind-out-file={out_dir}/callgrind.out.%p",
        interpreter or sys.executable,
        "-m",
        _WORKER,
    ]


def _request(suite: Suite, case: Case | None, root: Path | None, **extra: Any) -> str:
    return json.dumps(
        {
            "worker_module": suite.about.worker_module,
            "case": None if case is None else dict(suite.facts(case).spec),
            "root": None if root is None else str(root),
            "warmup_calls": WARMUP_CALLS,
            "counted_calls": COUNTED_CALLS,
            **extra,
        }
    )


def warm_up(
    suite: Suite,
    cases: Iterable[Case],
    root: Path | None = None,
    interpreter: str | None = None,
) -> None:
    """Run one case of each of the suite's warm-up groups natively, to fill numba's cache.

    Compiling under valgrind takes minutes; natively, a second or two. The
    kernels are built for NUMBA_CPU either way, so valgrind's workers find
    them in the cache.
    """
    groups = {suite.facts(case).warm_up_group: case for case in cases}
    for group, case in groups.items():
        if group is None:
            continue
        _run(
            [interpreter or sys.executable, "-m", _WORKER],
            _request(suite, case, root, warm_only=True),
            f"warming up for {case.key}",
            worker_environment(suite, interpreter),
        )


def measure(
    suite: Suite,
    case: Case | None,
    root: Path | None = None,
    *,
    filler_units: int = 0,
    interpreter: str | None = None,
) -> tuple[Cost, str]:
    """Count one call of ``case`` in a fresh worker under callgrind.

    Returns the cost and the CPU the worker's numpy saw (valgrind's, which
    should be the same on every host: recorded beside the count).

    ``root`` is a tree whose package to count (another commit's, for a
    comparison); the measuring code is always this tree's. ``filler_units``
    adds that much deterministic work after each call: the cost mode's
    slowdown (:mod:`benchmarks.instrument.cost.slowdown`). With
    ``case=None`` the worker counts the filler alone. ``interpreter`` is
    another Python (another environment) that runs the worker on this tree.
    """
    with tempfile.TemporaryDirectory(prefix="cost-worker-") as folder:
        dumps, simulated_cpu = count_into(
            suite, Path(folder), case, root, filler_units=filler_units, interpreter=interpreter
        )
    return median_cost(list(dumps.values())), simulated_cpu


def count_into(
    suite: Suite,
    folder: Path,
    case: Case | None,
    root: Path | None = None,
    *,
    filler_units: int = 0,
    interpreter: str | None = None,
) -> tuple[dict[Path, Cost], str]:
    """:func:`measure`'s count, its callgrind dumps written to ``folder``: each dump's cost."""
    what = case.key if case is not None else "the slowdown's filler"
    request = _request(suite, case, root, filler_units=filler_units)
    environment = worker_environment(suite, interpreter)
    output = _run(valgrind_command(folder, interpreter), request, f"counting {what}", environment)
    dumps = {path: _read_dump(path) for path in sorted(folder.glob("callgrind.out.*.*"))}
    if len(dumps) != COUNTED_CALLS:
        raise CostError(f"counting {what}: expected {COUNTED_CALLS} dumps, found {len(dumps)}")
    simulated_cpu: str = json.loads(output)["simulated_cpu"]
    return dumps, simulated_cpu


def median_cost(costs: Sequence[Cost]) -> Cost:
    """The cost whose estimated cycles are the median of ``costs`` (an odd number)."""
    middle = statistics.median_low(cost.estimated_cycles for cost in costs)
    return next(cost for cost in costs if cost.estimated_cycles == middle)


def _run(command: list[str], request: str, what: str, environment: dict[str, str]) -> str:
    completed = subprocess.run(
        command,
        input=request,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=environment,
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        raise CostError(f"{what} failed (exit {completed.returncode}):\n{tail}")
    return completed.stdout


_EVENTS = re.compile(r"^events:\s*(.+)$", re.MULTILINE)
_TOTALS = re.compile(r"^(?:totals|summary):\s*(.+)$", re.MULTILINE)


def _read_dump(path: Path) -> Cost:
    """The counts of one callgrind dump (one counted call)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    events_match = _EVENTS.search(text)
    totals = [match.group(1).split() for match in _TOTALS.finditer(text)]
    if events_match is None or not totals:
        raise CostError(f"{path.name} is not a callgrind dump with totals")
    events = events_match.group(1).split()
    # Dumps say "summary: 0" when the totals line carries the figures.
    figures = max(totals, key=len)
    values = dict(zip(events, (int(value) for value in figures), strict=False))
    return Cost(
        instructions=values.get("Ir", 0),
        l1_misses=values.get("I1mr", 0) + values.get("D1mr", 0) + values.get("D1mw", 0),
        ll_misses=values.get("ILmr", 0) + values.get("DLmr", 0) + values.get("DLmw", 0),
    )
