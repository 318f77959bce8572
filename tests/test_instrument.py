"""The instrument decides only on the code measured: its environment, its protocol, its yardstick.

These tests assert what is judged, what is named, and which tree's code ran;
no timing is asserted.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import adapter as suite_adapter
from benchmarks.cases import Case
from benchmarks.instrument import gitref, protocol
from benchmarks.instrument.wallclock import decision, environment, gate, measure, storage
from benchmarks.instrument.wallclock.measure import Measurement
from tests.project import copy_project

REPO = Path(__file__).resolve().parent.parent


# ------------------------------------------------------------ the environment


@pytest.mark.skipif(not environment.uses_glibc(), reason="the allocator is set on glibc only")
def test_workers_measure_with_the_malloc_tunables_and_keep_the_callers_others() -> None:
    caller = {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=0:glibc.cpu.hwcaps=-AVX512F"}
    worker = environment.worker_environment(caller)
    items = worker["GLIBC_TUNABLES"].split(":")
    assert "glibc.cpu.hwcaps=-AVX512F" in items
    assert "glibc.malloc.trim_threshold=0" not in items
    assert "glibc.malloc.mmap_max=0" in items
    assert f"glibc.malloc.trim_threshold={environment.TRIM_THRESHOLD}" in items
    assert environment.allocator_control().startswith("glibc glibc.malloc.mmap_max=0:")


def test_elsewhere_the_allocator_is_said_to_be_uncontrolled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(environment, "uses_glibc", lambda: False)
    assert environment.allocator_control().startswith("not controlled (")
    assert environment.worker_environment({"A": "1"}) == {"A": "1", "NUMPY_MADVISE_HUGEPAGE": "0"}


# ------------------------------------------------------------ the protocol


def test_the_code_digest_ignores_docstrings_and_comments_but_not_code(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('"""Doc."""\n\ndef f():\n    """Doc."""\n    return 1  # one\n')
    digest = protocol.code_digest(module)
    module.write_text('"""Other words."""\n\ndef f():\n    """Others."""\n    return 1  # two\n')
    assert protocol.code_digest(module) == digest
    module.write_text('"""Doc."""\n\ndef f():\n    """Doc."""\n    return 2\n')
    assert protocol.code_digest(module) != digest


def test_a_protocol_names_what_differs() -> None:
    current = measure.wall_clock_protocol(suite_adapter)
    assert set(current["code"]) == {
        "benchmarks/instrument/wallclock/worker.py",
        "benchmarks/instrument/wallclock/measure.py",
        "benchmarks/instrument/wallclock/timing.py",
        "benchmarks/instrument/wallclock/environment.py",
        "benchmarks/calls.py",
        "benchmarks/yardsticks.py",
    }
    worker = "benchmarks/instrument/wallclock/worker.py"
    stored = {**current, "code": {**current["code"], worker: "0" * 12}}
    stored["rounds"] = 5
    described = protocol.describe_differences(stored, current)
    assert described == f"it differs in {worker}, rounds (5 there, 7 here)"
    assert "before figures recorded" in protocol.describe_differences(None, current)
    assert protocol.identity(stored) != protocol.identity(current)


def test_the_committed_baselines_name_todays_protocol_for_this_machine_or_another() -> None:
    identity = protocol.identity(measure.wall_clock_protocol(suite_adapter))
    for machine in storage.load(suite_adapter.about.baseline_path).values():
        named = {case.protocol for case in machine.cases.values()}
        assert len(named) == 1, machine.name  # each machine recorded whole, by one protocol
        (one,) = named
        assert one is None or one in machine.protocols
        if one == identity:
            assert all(case.yardstick_seconds for case in machine.cases.values())


# ------------------------------------------------------- the yardstick's checks


def _measurement(ratio: float, yardstick: float, probe: float | None = 1e-4) -> Measurement:
    return Measurement((ratio,) * 7, yardstick, probe, copy_bytes=2_000_000)


def test_a_yardstick_far_slower_than_the_copy_bandwidth_is_named_with_its_figures() -> None:
    problem = decision.yardstick_problem([_measurement(1.5, 1e-3, 1e-4)])
    assert problem is not None
    assert "ran 10.0x as long as copying into a ready buffer (2 GB/s against 20 GB/s" in problem
    assert decision.yardstick_problem([_measurement(1.5, 1.05e-4)]) is None


def test_a_yardstick_that_spreads_across_processes_is_named() -> None:
    steady = [_measurement(1.5, 1.0e-4), _measurement(1.5, 1.1e-4)]
    assert decision.yardstick_problem(steady, stored_seconds=[1.05e-4]) is None
    problem = decision.yardstick_problem(steady, stored_seconds=[2.0e-4])
    assert problem is not None
    assert "spread 2.00x across the processes compared (100 to 200 us a call" in problem


@pytest.mark.parametrize(
    ("case", "ratio", "excess", "fault"),
    [
        (Case("numpy_packed", 256), 0.38, 1.0, True),  # a copy in the slow mode
        (Case("numpy_packed", 256), 1.2, 1.0, False),
        (Case("numpy_packed", 4096), 0.9, 2.3, False),  # numpy.copy maps fresh pages there
        (Case("numpy_packed", 998, in_place=True), 0.4, 1.0, False),  # writes only matches
        (Case("numba_parallel", 998, threads=1), 0.7, 1.0, True),
        (Case("numba_serial", 4096), 0.9, 1.0, False),  # memory-bound: level with the probe
    ],
)
def test_an_impossible_reading_is_a_measuring_fault(
    case: Case, ratio: float, excess: float, fault: bool
) -> None:
    measurement = _measurement(ratio, 1e-4 * excess, 1e-4)
    assert (
        decision.floor_fault(suite_adapter.facts(case), measurement, "copy") is not None
    ) == fault


def _baseline(yardstick_seconds: tuple[float, ...] = (1e-4,) * 5) -> storage.CaseBaseline:
    return storage.CaseBaseline(
        "numpy_packed",
        "copy",
        "256x256-numpy_packed",
        ((2.0,) * 7,) * 5,
        yardstick_seconds=yardstick_seconds,
    )


def _workers_returning(
    monkeypatch: pytest.MonkeyPatch, *measurements: Measurement
) -> list[Measurement]:
    handed: list[Measurement] = []

    def run_worker(suite: Any, case: Case, **_: Any) -> Measurement:
        handed.append(measurements[len(handed) % len(measurements)])
        return handed[-1]

    monkeypatch.setattr(gate, "run_worker", run_worker)
    monkeypatch.setattr(
        gate,
        "measure_in_workers",
        lambda suite, cases, workers: {
            cases[0].key: [run_worker(suite, cases[0]) for _ in range(workers)]
        },
    )
    return handed


@pytest.mark.parametrize(
    ("measurement", "reason"),
    [
        # 3x the baseline's ratio, but the copy ran at a tenth of the bandwidth.
        (_measurement(6.0, 1e-3, 1e-4), "as long as copying into a ready buffer"),
        # The copy in another mode than the baseline's, as a heap's luck can make it.
        (_measurement(0.5, 2.5e-4, 2.0e-4), "spread 2.50x"),
    ],
)
def test_a_reading_through_an_unhealthy_yardstick_is_not_judged_never_passed_or_failed(
    monkeypatch: pytest.MonkeyPatch, measurement: Measurement, reason: str
) -> None:
    _workers_returning(monkeypatch, measurement)
    judgement = gate.judge(suite_adapter, Case("numpy_packed", 256), _baseline())
    assert not judgement.regressed
    assert judgement.not_judged is not None
    assert reason in judgement.not_judged


def test_a_healthy_slowdown_still_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    _workers_returning(monkeypatch, _measurement(6.0, 1e-4))
    judgement = gate.judge(suite_adapter, Case("numpy_packed", 256), _baseline())
    assert judgement.regressed
    assert judgement.not_judged is None


def test_an_ab_whose_sides_ran_their_yardsticks_in_different_modes_is_not_judged(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    handed = _workers_returning(monkeypatch, _measurement(3.0, 1e-4), _measurement(1.0, 3e-4, 1e-4))
    verdict = gate.compare_side_by_side(
        suite_adapter, Case("numpy_packed", 256), root=tmp_path, against="main"
    )
    assert len(handed) == 2 * decision.AB_PROCESSES
    assert not verdict.regressed
    assert verdict.not_judged is not None


# ------------------------------------------------------- which tree's code ran


def test_ref_with_a_broken_timing_module_is_measured_by_this_trees_loop(tmp_path: Path) -> None:
    ref = tmp_path / "ref"
    shutil.copytree(REPO / "recolor", ref / "recolor", ignore=shutil.ignore_patterns("__pycache__"))
    (ref / "recolor" / "timing.py").write_text(
        'raise RuntimeError("REF\'s timing loop was imported")\n'
    )
    measurement = measure.run_worker(suite_adapter, Case("numpy_packed", 16), root=ref)
    assert Path(measurement.measured_file).is_relative_to(ref)  # REF's recolor was measured
    assert len(measurement.ratios) == measure.ROUNDS
    assert measurement.probe_seconds is not None


def test_ref_with_no_private_modules_the_suite_once_used_is_still_measured(
    tmp_path: Path,
) -> None:
    ref = tmp_path / "ref"
    shutil.copytree(REPO / "recolor", ref / "recolor", ignore=shutil.ignore_patterns("__pycache__"))
    # The parts of recolor a worker never needs: recolor bench, the files, the command line.
    for folder in ("bench", "files", "cli"):
        shutil.rmtree(ref / "recolor" / folder)
    (ref / "recolor" / "testing.py").unlink()
    measurement = measure.run_worker(
        suite_adapter, Case("numpy_packed", 16, in_place=True), root=ref
    )
    assert Path(measurement.measured_file).is_relative_to(ref)


def test_collecting_the_suite_leaves_opencvs_threads_as_the_header_says() -> None:
    script = """
import contextlib, io, pytest, cv2
output = io.StringIO()
with contextlib.redirect_stdout(output):
    pytest.main(["--benchmark-only", "--collect-only", "-p", "no:cacheprovider"])
print(output.getvalue())
print("opencv threads after collection:", cv2.getNumThreads())
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    header = re.search(r"threads capped at all (\d+) cores", completed.stdout)
    after = re.search(r"opencv threads after collection: (\d+)", completed.stdout)
    assert header is not None, completed.stdout[-2000:]
    assert after is not None, completed.stdout[-2000:]
    assert int(after.group(1)) == int(header.group(1))


def test_collecting_the_benchmarks_imports_neither_opencv_nor_numba() -> None:
    # Every pytest run with the plugin names the machine; the versions of the libraries the
    # suite measures are read only where a figure is stored or compared. Their imports cost
    # 0.3 s a run here, and one run of the tests starts some 80 such runs.
    script = """
import contextlib, io, sys, pytest
with contextlib.redirect_stdout(io.StringIO()):
    pytest.main(["--benchmark-only", "--collect-only", "-p", "no:cacheprovider",
                 "benchmarks/bench_threads.py"])
print(sorted(name for name in ("cv2", "numba") if name in sys.modules))
"""
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert completed.stdout.splitlines()[-1] == "[]", completed.stdout[-2000:]


# ------------------------------------------------- a protocol change, end to end

TINY_BENCH = """
from benchmarks.cases import Case

def test_small(race):
    race.run(Case("numpy_packed", 64))
"""


def test_a_one_line_change_to_the_worker_makes_every_stored_figure_not_judged(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = pytester.path
    copy_project(root, TINY_BENCH)
    monkeypatch.setenv("PYTHONPATH", str(root))
    options = (
        "benchmarks/bench_tiny.py",
        "--benchmark-only",
        "--benchmark-max-time=0.02",
        "--recolor-round-seconds=0.005",
        f"--recolor-baseline={root / 'baseline.json'}",
    )
    pytester.runpytest_subprocess(*options, "--recolor-record-baseline").assert_outcomes(passed=1)
    judged = pytester.runpytest_subprocess(*options)
    judged.assert_outcomes(passed=1)
    assert "another protocol" not in judged.stdout.str()
    assert "gate against this machine's baseline" in judged.stdout.str()

    worker = root / "benchmarks" / "instrument" / "wallclock" / "worker.py"
    worker.write_text(worker.read_text().replace("import sys\n", "import sys\n\nLINE = 1\n"))
    changed = pytester.runpytest_subprocess(*options)
    changed.assert_outcomes(passed=1)
    changed.stdout.fnmatch_lines(
        [
            "recolor benchmarks: NO GATE: this machine's baseline in * was measured by another "
            "protocol (it differs in benchmarks/instrument/wallclock/worker.py). Nothing is judged*"
            "--recolor-record-baseline (or compare with a git ref on this machine: "
            "--recolor-compare main)",
        ]
    )


# ------------------------------------------- a stored figure confirmed against its commit


def _sides(monkeypatch: pytest.MonkeyPatch, here: float, there: float) -> list[Path | None]:
    """Workers that read ``here`` in this tree and ``there`` in another; the roots they got."""
    roots: list[Path | None] = []

    def run_worker(suite: Any, case: Case, *, root: Path | None = None, **_: Any) -> Measurement:
        roots.append(root)
        return _measurement(there if root is not None else here, 1e-4)

    monkeypatch.setattr(gate, "run_worker", run_worker)
    monkeypatch.setattr(
        gate,
        "measure_in_workers",
        lambda suite, cases, workers: {
            cases[0].key: [run_worker(suite, cases[0]) for _ in range(workers)]
        },
    )
    monkeypatch.setattr(gitref, "has_commit", lambda commit: commit == COMMIT)
    return roots


COMMIT = "a" * 40


def _committed(commit: str | None = COMMIT) -> storage.CaseBaseline:
    return dataclasses.replace(_baseline(), commit=commit)


def test_a_slower_case_is_failed_only_when_slower_than_its_commit_measured_beside_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    roots = _sides(monkeypatch, here=3.0, there=2.0)  # the stored figure is 2.0: 1.5x
    checked_out: list[str] = []

    def commit_tree(commit: str) -> Path:
        checked_out.append(commit)
        return tmp_path

    judgement = gate.judge(
        suite_adapter, Case("numpy_packed", 256), _committed(), commit_tree=commit_tree
    )
    assert checked_out == [COMMIT]
    assert roots.count(tmp_path) == 2 * decision.AB_PROCESSES  # a suspect, measured twice over
    assert judgement.regressed
    assert judgement.against_commit is not None
    assert judgement.against_commit.change == pytest.approx(1.5)
    assert judgement.against_commit.against == f"its baseline's commit {COMMIT[:9]}"
    assert not judgement.does_not_reproduce


def test_a_stored_figure_that_does_not_reproduce_passes_with_its_note(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _sides(monkeypatch, here=3.0, there=3.0)  # this host: 3.0 for the same code
    judgement = gate.judge(
        suite_adapter, Case("numpy_packed", 256), _committed(), commit_tree=lambda _: tmp_path
    )
    assert not judgement.regressed
    assert judgement.does_not_reproduce
    note = decision.not_reproduced(
        judgement, ["cpu_id family 6 model 167 there, family 6 model 207 here"], "record"
    )
    assert note == (
        "the stored figure does not reproduce here (1.50x against the baseline, 1.00x against "
        "its commit measured beside it): the host or the versions differ (cpu_id family 6 "
        "model 167 there, family 6 model 207 here); re-record with: record -k "
        "256x256-numpy_packed"
    )


@pytest.mark.parametrize(
    ("commit", "says"),
    [
        (None, "the figure names no commit"),
        ("b" * 40, f"its commit {'b' * 9} is not in this clone (a shallow clone?)"),
    ],
)
def test_a_slower_case_whose_commit_cannot_be_had_is_not_failed_and_says_how(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, commit: str | None, says: str
) -> None:
    _sides(monkeypatch, here=3.0, there=2.0)
    judgement = gate.judge(
        suite_adapter, Case("numpy_packed", 256), _committed(commit), commit_tree=lambda _: tmp_path
    )
    assert not judgement.regressed
    assert judgement.not_judged is not None
    assert judgement.not_judged.startswith(decision.UNCONFIRMED)
    assert says in judgement.not_judged


def test_a_case_within_its_stored_figure_never_checks_its_commit_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    roots = _sides(monkeypatch, here=2.1, there=2.0)

    def commit_tree(commit: str) -> Path:
        raise AssertionError("checked out for a case that passed the screen")

    assert not gate.judge(
        suite_adapter, Case("numpy_packed", 256), _committed(), commit_tree=commit_tree
    ).regressed
    assert roots == [None]


@pytest.mark.parametrize(
    ("module", "error"),
    [
        (
            "import sys\nsys.exit(0)\n",
            "it exited while being imported, before listing its techniques",
        ),
        ("import sys\nsys.exit('stop here')\n", "stop here"),
        ("raise ImportError('broken')\n", "ImportError: broken"),
    ],
)
def test_a_refs_package_that_exits_at_import_is_one_line(
    tmp_path: Path, module: str, error: str
) -> None:
    (tmp_path / "recolor").mkdir()
    (tmp_path / "recolor" / "__init__.py").write_text(module)
    with pytest.raises(
        RuntimeError, match=f"cannot import recolor from {tmp_path}: .*{re.escape(error)}"
    ):
        suite_adapter.reference_subjects(tmp_path)


def test_a_refs_package_that_prints_on_import_is_still_read(tmp_path: Path) -> None:
    (tmp_path / "recolor").mkdir()
    (tmp_path / "recolor" / "__init__.py").write_text(
        "print('welcome to recolor')\nprint('[1, 2]')\nTECHNIQUES = {'numpy_mask': None}\n"
    )
    assert suite_adapter.reference_subjects(tmp_path) == {"copy", "numpy_mask"}
