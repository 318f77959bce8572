"""One count per code: a count asked for again, of the same code in the same environment, is
the one already made.

A count is deterministic (:mod:`benchmarks.instrument.cost.callgrind`): the same
worker, request and environment over the same files execute the same
instructions. So where two trees hold the same code (a bisection's commits that
change only the docs; ``--recolor-compare REF`` where REF's code is this tree's), the
second count would only repeat the first. Inside :func:`once_per_code`, a count is
made once per *what it depends on*: every file of the tree's packages (the
folders at its top with an ``__init__.py``, whatever git says of them), the
worker's request but for the tree's path, its environment, the valgrind
command and the interpreter. The dumps of the first count are copied into the
folder of the next, so that an attribution reads them as its own.

Outside the block every count runs: a test of the counting itself must not be
answered from memory. Only within one process: installed packages and system
libraries, which no key names, do not change under a running session.

Not part of the cost protocol (``callgrind.COST_MODULES``): it decides whether to
count, never what a count is.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.instrument.adapter import Case, Suite
from benchmarks.instrument.cost import callgrind

__all__ = ["Reused", "count_into", "measure", "once_per_code", "tree_digest"]


@dataclass(frozen=True)
class _Count:
    dumps: dict[str, tuple[bytes, callgrind.Cost]]  # by file name: its content and its cost
    simulated_cpu: str


@dataclass
class Reused:
    """How many counts a :func:`once_per_code` block answered from one already made."""

    counts: int = 0


_lock = threading.Lock()
_counts: dict[str, _Count] | None = None  # None: outside once_per_code, every count runs
_reused = Reused()


@contextmanager
def once_per_code() -> Iterator[Reused]:
    """Within the block, count each code in each environment once (see the module's docstring).

    A block inside another shares the outer one's counts.
    """
    global _counts, _reused
    with _lock:
        outer, outer_reused = _counts, _reused
        if outer is None:
            _counts, _reused = {}, Reused()
        reused = _reused
    try:
        yield reused
    finally:
        with _lock:
            _counts, _reused = outer, outer_reused


def count_into(
    suite: Suite,
    folder: Path,
    case: Case | None,
    root: Path | None = None,
    *,
    filler_units: int = 0,
    interpreter: str | None = None,
) -> tuple[dict[Path, callgrind.Cost], str]:
    """:func:`callgrind.count_into`, or, inside :func:`once_per_code`, the same code's count
    already made, its dumps copied into ``folder``."""
    counts = _counts
    if counts is None:
        return callgrind.count_into(
            suite, folder, case, root, filler_units=filler_units, interpreter=interpreter
        )
    key = _key(suite, case, root, filler_units, interpreter)
    with _lock:
        made = counts.get(key)
    if made is None:
        dumps, simulated_cpu = callgrind.count_into(
            suite, folder, case, root, filler_units=filler_units, interpreter=interpreter
        )
        made = _Count(
            {path.name: (path.read_bytes(), cost) for path, cost in dumps.items()}, simulated_cpu
        )
        with _lock:
            counts.setdefault(key, made)
        return dumps, simulated_cpu
    with _lock:
        _reused.counts += 1
    folder.mkdir(parents=True, exist_ok=True)
    copied = {}
    for name, (content, cost) in made.dumps.items():
        path = folder / name
        path.write_bytes(content)
        copied[path] = cost
    return copied, made.simulated_cpu


def measure(
    suite: Suite,
    case: Case | None,
    root: Path | None = None,
    *,
    filler_units: int = 0,
    interpreter: str | None = None,
) -> tuple[callgrind.Cost, str]:
    """:func:`callgrind.measure` through :func:`count_into`."""
    with tempfile.TemporaryDirectory(prefix="cost-worker-") as folder:
        dumps, simulated_cpu = count_into(
            suite, Path(folder), case, root, filler_units=filler_units, interpreter=interpreter
        )
    return callgrind.median_cost(list(dumps.values())), simulated_cpu


def _key(
    suite: Suite,
    case: Case | None,
    root: Path | None,
    filler_units: int,
    interpreter: str | None,
) -> str:
    facts = {
        "tree": tree_digest(root or callgrind.ROOT),
        "protocol": callgrind.cost_protocol(suite),
        "worker_module": suite.about.worker_module,
        "case": None if case is None else dict(suite.facts(case).spec),
        "calls": (callgrind.WARMUP_CALLS, callgrind.COUNTED_CALLS),
        "filler_units": filler_units,
        "environment": callgrind.worker_environment(suite, interpreter),
        "command": callgrind.valgrind_command(Path("OUT"), interpreter),
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()


def tree_digest(root: Path) -> str:
    """A digest of every file of ``root``'s packages, by path and content.

    Caches (``__pycache__``) and hidden files and folders are left out.
    """
    digest = hashlib.sha256()
    packages = sorted(path.parent for path in root.glob("*/__init__.py"))
    for package in packages:
        for path in sorted(package.rglob("*")):
            relative = path.relative_to(root)
            if not path.is_file() or any(
                part == "__pycache__" or part.startswith(".") for part in relative.parts
            ):
                continue
            digest.update(relative.as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()
