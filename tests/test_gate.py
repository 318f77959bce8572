"""The benchmark regression gate, down to whole pytest runs driven by pytester."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks import adapter as suite_adapter
from benchmarks import calls, cases, checks
from benchmarks.calls import SLOWDOWN_ENV_VAR, slowdowns
from benchmarks.cases import Case
from benchmarks.instrument import machine, protocol
from benchmarks.instrument.machine import machine_facts
from benchmarks.instrument.wallclock import decision, gate, measure, storage
from benchmarks.instrument.wallclock.timing import ROUND_SECONDS_ENV_VAR, ROUNDS
from tests.across_workers import made_once
from tests.deterministic_source import HOST_ENV_VAR, SOURCE, SOURCE_ENV_VAR
from tests.project import ScratchRepository, copy_project

REPO = Path(__file__).resolve().parent.parent

# The end-to-end runs race 256x256 images: a copy of a few microseconds. A 64x64
# copy (0.5 us) is mostly call overhead, whose jitter across processes reached
# 1.56x under load, and the gate rightly leaves such a yardstick unjudged.
BENCH_FILE = """
from benchmarks.cases import Case

def test_small(race):
    race.run(Case("numpy_packed", 256))
"""


def test_the_test_sees_a_shift_and_not_noise() -> None:
    reference = [1.0, 1.1, 0.9, 1.05, 0.95]
    slower = [x * 1.5 for x in reference]
    assert decision.larger_p_value(slower, reference) < decision.ALPHA
    assert decision.larger_p_value(reference, reference) > 0.3
    assert decision.larger_p_value(reference, slower) > 0.99
    assert decision.larger_p_value([], reference) == 1.0


def test_five_processes_a_side_can_reach_significance_and_four_against_five_too() -> None:
    # Exact one-sided p for fully separated samples: 1/C(10,5) and 1/C(9,4).
    assert decision.larger_p_value([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]) == pytest.approx(1 / 252)
    assert decision.larger_p_value([6, 7, 8, 9], [1, 2, 3, 4, 5]) == pytest.approx(1 / 126)
    assert decision.ALPHA > 1 / 126


def test_the_unit_is_the_process_not_the_round() -> None:
    # Seven rounds a process: pooled rounds would call this shift significant;
    # as two processes against two it cannot be.
    here = [[1.3] * 7, [1.31] * 7]
    there = [[1.0] * 7, [1.01] * 7]
    medians = decision.process_medians(here)
    assert medians == [1.3, 1.31]
    assert decision.larger_p_value(medians, decision.process_medians(there)) > decision.ALPHA


def test_a_worker_measures_the_image_it_is_sent() -> None:
    # Both trees of an A/B must time the same pixels, whatever REF's sample_image does.
    case = Case("numpy_packed", 16)
    measurement = measure.run_worker(suite_adapter, case)
    assert len(measurement.ratios) == ROUNDS
    assert all(ratio > 0 for ratio in measurement.ratios)

    request = {
        "worker_module": "benchmarks.calls",
        "case": case.__dict__,
        "against_reference": False,
        "rounds": 1,
        "min_round_seconds": 0,
        "copy_bytes": 0,
    }
    truncated = json.dumps(request).encode() + b"\n" + bytes(10)
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.instrument.wallclock.worker"],
        input=truncated,
        capture_output=True,
        check=False,
        cwd=REPO,
    )
    assert completed.returncode != 0
    assert b"the 16x16-numpy_packed image on stdin is incomplete" in completed.stderr


def test_an_image_provided_is_the_one_handed_out_read_only() -> None:
    image = np.full((12, 12, 4), 7, dtype=np.uint8)
    calls.provide_image(image)
    try:
        assert calls.image_for(12) is image
        assert not image.flags.writeable
    finally:
        calls._IMAGES.pop(12)


#: The rounds the end-to-end runs below time (``--recolor-round-seconds``).
ROUND_SECONDS = "0.005"


def _runs_protocol() -> dict[str, Any]:
    """The protocol of the end-to-end runs below: today's, with their shorter rounds, fed by
    the deterministic source."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ROUND_SECONDS_ENV_VAR, ROUND_SECONDS)
        patch.setenv(SOURCE_ENV_VAR, SOURCE)
        return measure.wall_clock_protocol(suite_adapter)


#: The protocols a baseline written by the tests names.
PROTOCOLS = {protocol.identity(_runs_protocol()): _runs_protocol()}


def _case_baseline(*processes: list[float], technique: str = "numpy_mask") -> Any:
    """A case measured by the runs' protocol, with a steady yardstick."""
    return storage.CaseBaseline(
        technique,
        "copy",
        f"998x998-{technique}",
        tuple(tuple(p) for p in processes),
        versions=VERSIONS,
        protocol=next(iter(PROTOCOLS)),
        yardstick_seconds=(1e-4,) * len(processes),
    )


#: What this environment measures with, as a baseline records it.
VERSIONS = {**suite_adapter.versions(), "python": machine_facts(suite_adapter)["python"]}


def test_baseline_spread_is_slowest_process_over_fastest() -> None:
    spread = decision.baseline_spread(_case_baseline([1.0, 1.0], [1.6, 1.6], [1.2, 1.2]))
    assert spread == pytest.approx(1.6)


def test_a_comparison_names_subject_figures_threshold_and_processes() -> None:
    case = Case("numpy_mask", 998)
    facts = suite_adapter.facts(case)
    verdict = decision.Comparison(case, facts, True, 2.0, 3.1, 1.25, 0.004, "main", 10)
    message = verdict.describe()
    for part in [
        "numpy_mask",
        "998x998",
        "3.1x",
        "against 2x in main",
        "1.55 times",
        "threshold of 1.25",
        "10 fresh processes",
        "p = 0.004",
    ]:
        assert part in message
    assert "across machines" not in message
    across = decision.Comparison(case, facts, True, 2.0, 3.1, 1.25, across_machines=True)
    assert across.describe().endswith("[across machines]")


def test_machines_are_named_by_cpu_cores_system_and_simd() -> None:
    facts = {"cpu_model": "AMD EPYC", "cores": 2, "platform": "Linux x86_64"}
    with_avx512 = {**facts, "opencv_cpu_features": "SSE *AVX2 *AVX512-SKX"}
    without = {**facts, "opencv_cpu_features": "SSE *AVX2 *AVX512-SKX?"}
    assert machine.machine_name(with_avx512) == "AMD EPYC, 2 cores, Linux x86_64, AVX512"
    assert machine.machine_name(without) == "AMD EPYC, 2 cores, Linux x86_64, AVX2"


def test_missing_baseline_says_how_to_record_one(tmp_path: Path) -> None:
    with pytest.raises(storage.BaselineMissing, match=r"--recolor-record-baseline"):
        storage.load(tmp_path / "none.json")


def _written(tmp_path: Path, machine: str = "m1", **cases: Any) -> Path:
    path = tmp_path / "baseline.json"
    storage.write(
        path, machine, {"cores": 2}, cases or {"a": _case_baseline([1.0, 1.1])}, PROTOCOLS
    )
    return path


@pytest.mark.parametrize(
    "content",
    [
        "{",
        "[]",
        '{"format": 99, "machines": {}}',
        '{"format": 1, "cases": {}}',
        '{"format": 2, "machines": {}}',
    ],
)
def test_an_unreadable_baseline_says_how_to_restore_it(tmp_path: Path, content: str) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(content)
    with pytest.raises(
        storage.BaselineError, match=r"unusable.*git checkout -- .*re-record it with"
    ):
        storage.load(path)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("processes", [[1.0, float("nan")]]),
        ("processes", [[1.0, float("inf")]]),
        ("processes", [[1.0, -1.0]]),
        ("processes", [[0.0]]),
        ("processes", [["1.0"]]),
        ("processes", [[True]]),
        ("processes", [[]]),
        ("processes", []),
        ("processes", [[1e300]]),  # no yardstick allows it: a corrupt file, not trusted forever
        ("processes", [[1e-9]]),
        ("yardstick_seconds", [1e300]),
        ("commit", "main"),
        ("host", "a Xeon"),
        ("yardstick", None),
    ],
)
def test_every_ratio_is_checked_on_load(tmp_path: Path, field: str, value: Any) -> None:
    path = _written(tmp_path)
    data = json.loads(path.read_text())
    data["machines"]["m1"]["cases"]["a"][field] = value
    path.write_text(json.dumps(data))  # json writes NaN and Infinity, as a hand edit might
    with pytest.raises(storage.BaselineError, match="unusable"):
        storage.load(path)


def test_a_ratio_no_yardstick_allows_is_named_as_corrupt(tmp_path: Path) -> None:
    path = _written(tmp_path)
    data = json.loads(path.read_text())
    data["machines"]["m1"]["cases"]["a"]["processes"] = [[1.0, 1e300]]
    path.write_text(json.dumps(data))
    with pytest.raises(
        storage.BaselineError, match=r"got 1e\+300, which no yardstick allows: the file is corrupt"
    ):
        storage.load(path)


def test_a_baseline_nested_deeper_than_json_can_follow_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(storage.BaselineError, match=r"nested too deeply to be a baseline"):
        storage.load(path)


@pytest.mark.parametrize("code", [["worker.py"], "abc", {"worker.py": 3}])
def test_a_protocol_whose_code_is_not_a_table_of_digests_is_refused(
    tmp_path: Path, code: Any
) -> None:
    path = _written(tmp_path)
    data = json.loads(path.read_text())
    (identity,) = data["machines"]["m1"]["protocols"]
    data["machines"]["m1"]["protocols"][identity]["code"] = code
    path.write_text(json.dumps(data))
    with pytest.raises(storage.BaselineError, match=r"code must be a table of module digests"):
        storage.load(path)


def test_recording_drops_stored_cases_the_suite_no_longer_has(tmp_path: Path) -> None:
    path = _written(tmp_path, "m1", gone=_case_baseline([1.0]), kept=_case_baseline([1.0]))
    storage.write(path, "m1", {}, {"new": _case_baseline([2.0])}, PROTOCOLS, keep={"kept", "new"})
    assert set(storage.load(path)["m1"].cases) == {"kept", "new"}


def test_an_old_format_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text('{"format": 1, "machine": {}, "cases": {"a": {"samples": [1.0]}}}')
    with pytest.raises(storage.BaselineError, match=r"format 1.*re-record it with"):
        storage.load(path)


def test_recording_merges_per_machine_and_never_replaces_an_unusable_file(tmp_path: Path) -> None:
    path = _written(tmp_path, "m1", a=_case_baseline([1.0]))
    _written(tmp_path, "m1", b=_case_baseline([2.0]))
    old_numpy = dataclasses.replace(_case_baseline([1.0]), versions={"numpy": "1.26"})
    new_numpy = dataclasses.replace(_case_baseline([1.0]), versions={"numpy": "2.4"})
    _written(tmp_path, "m3", a=old_numpy)
    _written(tmp_path, "m3", b=new_numpy)  # a partial re-record: a keeps its versions
    m3 = storage.load(path)["m3"].cases
    assert (m3["a"].versions, m3["b"].versions) == ({"numpy": "1.26"}, {"numpy": "2.4"})
    _written(tmp_path, "m2", a=_case_baseline([3.0]))
    machines = storage.load(path)
    assert set(machines["m1"].cases) == {"a", "b"}
    assert set(machines["m2"].cases) == {"a"}
    assert set(machines) == {"m1", "m2", "m3"}
    assert [p.name for p in tmp_path.iterdir()] == ["baseline.json"]
    path.write_text('{"format": 2, "machines": {"m1": ')
    with pytest.raises(storage.BaselineError):
        _written(tmp_path, "m1", c=_case_baseline([1.0]))
    assert path.read_text() == '{"format": 2, "machines": {"m1": '


def test_the_committed_baseline_is_readable_and_kept_for_its_machine() -> None:
    machines = storage.load(suite_adapter.about.baseline_path)
    for name, stored in machines.items():
        assert machine.machine_name(stored.facts) == name
        assert len(stored.cases) >= 38


def test_slowdown_spec_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_mask=1.5, numba_serial=2")
    assert slowdowns() == {"numpy_mask": 1.5, "numba_serial": 2.0}
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "no_such_technique=2")
    with pytest.raises(ValueError, match="name=factor"):
        slowdowns()


def _deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers fed by the tests' deterministic source (tests/deterministic_source.py)."""
    monkeypatch.setenv(SOURCE_ENV_VAR, SOURCE)
    monkeypatch.delenv(SLOWDOWN_ENV_VAR, raising=False)
    monkeypatch.delenv(HOST_ENV_VAR, raising=False)


@pytest.fixture
def bench_dir(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    _deterministic(monkeypatch)
    pytester.makepyfile(test_bench=BENCH_FILE)
    return pytester


_RUN_OPTIONS = (
    "-p",
    "benchmarks.instrument.plugin",
    "--benchmark-only",
    "--benchmark-max-time=0.05",
    f"--recolor-round-seconds={ROUND_SECONDS}",
)


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*_RUN_OPTIONS, *args)


@pytest.fixture
def gate_repository(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> ScratchRepository:
    """The project as a git repository of its own, one tiny benchmark committed, its workers
    fed by the deterministic source: a stored figure names this repository's commit."""
    return _tiny_repository(pytester.path, monkeypatch)


def _tiny_repository(root: Path, monkeypatch: pytest.MonkeyPatch) -> ScratchRepository:
    """The project under ``root`` with the tiny benchmark committed; the pytest runs started
    from here import it, and their workers are fed by the deterministic source."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    repository = ScratchRepository(root)
    (repository.root / "benchmarks" / "bench_tiny.py").write_text(BENCH_FILE)
    repository.commit("base")
    monkeypatch.setenv("PYTHONPATH", str(repository.root))
    _deterministic(monkeypatch)
    return repository


def _run_tiny(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return _run(pytester, "benchmarks/bench_tiny.py", *args)


@pytest.fixture
def recorded_baseline(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """What ``--recolor-record-baseline`` writes for the tiny benchmark, deterministic source.

    Recorded once in the run, by the first worker that asks, for the tests that judge a run
    against a recorded figure (recording itself is what test_gate_end_to_end tests); each
    writes it beside a commit of its own with :func:`_recorded_in`. A test's fixture, so
    that its pytest run gets the environment the autouse fixtures give every test's own.
    """

    def record() -> str:
        with pytest.MonkeyPatch.context() as patch:
            repository = _tiny_repository(tmp_path_factory.mktemp("recorded"), patch)
            baseline = repository.root / "baseline.json"
            recorded = subprocess.run(
                [
                    *(sys.executable, "-m", "pytest", *_RUN_OPTIONS, "benchmarks/bench_tiny.py"),
                    *("--recolor-record-baseline", f"--recolor-baseline={baseline}"),
                ],
                cwd=repository.root,
                capture_output=True,
                text=True,
                check=False,
            )
        assert recorded.returncode == 0, recorded.stdout[-3000:] + recorded.stderr
        return baseline.read_text()

    return made_once("gate-recorded-baseline.json", record, request.config, tmp_path_factory)


def _recorded_in(repository: ScratchRepository, recorded: str) -> Path:
    """The recorded baseline in ``repository``, its figure naming that repository's HEAD."""
    baseline = repository.root / "baseline.json"  # untracked: the tree stays clean
    baseline.write_text(recorded)
    _edit_case(baseline, "256x256-numpy_packed", commit=repository.git("rev-parse", "HEAD"))
    return baseline


def test_gate_end_to_end(
    pytester: pytest.Pytester, gate_repository: ScratchRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = gate_repository.root / "baseline.json"  # untracked: the tree stays clean
    head = gate_repository.git("rev-parse", "HEAD")

    recorded = _run_tiny(pytester, "--recolor-record-baseline", f"--recolor-baseline={baseline}")
    recorded.assert_outcomes(passed=1)
    (stored,) = storage.load(baseline).values()
    assert stored.name == machine.machine_name(machine_facts(suite_adapter))
    recorded_case = stored.cases["256x256-numpy_packed"]
    assert len(recorded_case.processes) == decision.RECORD_WORKERS
    assert recorded_case.versions == VERSIONS
    assert recorded_case.commit == head
    assert recorded_case.host == machine.host_facts()

    unchanged = _run_tiny(pytester, f"--recolor-baseline={baseline}")
    unchanged.assert_outcomes(passed=1)

    # 3x slower than the stored figure, and than its commit measured beside it: failed.
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_packed=3")
    slowed = _run_tiny(pytester, f"--recolor-baseline={baseline}")
    slowed.assert_outcomes(failed=1)
    slowed.stdout.fnmatch_lines(
        [
            "numpy_packed at 256x256-numpy_packed got slower: 6x its copy yardstick, against 2x in "
            "the baseline, 3.00 times, above the threshold of 1.25 (4 fresh processes, p = *)",
            f"confirmed against the code it measured: numpy_packed at 256x256-numpy_packed got "
            f"slower: 6x its copy yardstick, against 2x in its baseline's commit {head[:9]}, "
            "3.00 times, above the threshold of 1.10 (10 fresh processes, p = *)",
            "FAILED benchmarks/bench_tiny.py::test_small - *numpy_packed*",
        ]
    )
    assert "Traceback" not in slowed.stdout.str()

    # The same code on a host 1.5x slower: the stored figure does not reproduce; passed.
    monkeypatch.delenv(SLOWDOWN_ENV_VAR)
    monkeypatch.setenv(HOST_ENV_VAR, "1.5")
    host = _run_tiny(pytester, f"--recolor-baseline={baseline}")
    host.assert_outcomes(passed=1)
    host.stdout.fnmatch_lines(
        [
            "recolor: passed, with a note: 256x256-numpy_packed: the stored figure does not "
            "reproduce here (1.50x against the baseline, 1.00x against its commit measured beside "
            "it): the host or the versions differ (nothing recorded differs); re-record with: "
            "python -m pytest --benchmark-only --recolor-record-baseline -k 256x256-numpy_packed"
        ]
    )
    worktrees = gate_repository.git("worktree", "list")
    assert len(worktrees.splitlines()) == 1, "the baseline commit's worktree was left behind"


def _edit_case(path: Path, key: str, **fields: Any) -> None:
    data = json.loads(path.read_text())
    for entry in data["machines"].values():
        entry["cases"][key].update(fields)
    path.write_text(json.dumps(data))


@pytest.mark.parametrize(
    ("commit", "says"),
    [
        (None, "the figure names no commit (recorded from a tree with changes*"),
        ("b" * 40, f"its commit {'b' * 9} is not in this clone (a shallow clone?)*git fetch*"),
    ],
)
def test_a_slower_case_whose_commit_cannot_be_had_passes_as_not_judged(
    pytester: pytest.Pytester,
    gate_repository: ScratchRepository,
    monkeypatch: pytest.MonkeyPatch,
    recorded_baseline: str,
    commit: str | None,
    says: str,
) -> None:
    baseline = _recorded_in(gate_repository, recorded_baseline)
    _edit_case(baseline, "256x256-numpy_packed", commit=commit)
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_packed=3")
    result = _run_tiny(pytester, f"--recolor-baseline={baseline}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "recolor: NOT JUDGED (1): 256x256-numpy_packed: slower than its stored figure, but not "
            f"confirmed against the code that figure measured: {says}"
        ]
    )


def test_a_figure_is_judged_only_with_the_versions_it_depends_on(
    pytester: pytest.Pytester,
    gate_repository: ScratchRepository,
    monkeypatch: pytest.MonkeyPatch,
    recorded_baseline: str,
) -> None:
    baseline = _recorded_in(gate_repository, recorded_baseline)
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_packed=3")
    # numpy_packed does not call OpenCV: another OpenCV changes nothing, and it is judged.
    _edit_case(baseline, "256x256-numpy_packed", versions={**VERSIONS, "opencv": "4.0.0"})
    _run_tiny(pytester, f"--recolor-baseline={baseline}").assert_outcomes(failed=1)
    # Another numpy is another figure: not judged, saying which and the two ways forward.
    _edit_case(baseline, "256x256-numpy_packed", versions={**VERSIONS, "numpy": "1.0.0"})
    other = _run_tiny(pytester, f"--recolor-baseline={baseline}")
    other.assert_outcomes(passed=1)
    other.stdout.fnmatch_lines(
        [
            "recolor: NOT JUDGED (1): 256x256-numpy_packed: measured with other versions of what "
            f"it depends on (numpy 1.0.0 there, {VERSIONS['numpy']} here): not judged. Install "
            "the versions it was measured with (python -m pip install -r "
            "benchmarks/constraints.txt), or re-record it with these: *"
        ]
    )


def test_a_stored_case_the_suite_no_longer_has_is_named(
    pytester: pytest.Pytester, gate_repository: ScratchRepository, recorded_baseline: str
) -> None:
    baseline = _recorded_in(gate_repository, recorded_baseline)
    data = json.loads(baseline.read_text())
    for entry in data["machines"].values():
        entry["cases"]["256x256-numpy_gone"] = entry["cases"]["256x256-numpy_packed"]
    baseline.write_text(json.dumps(data))
    result = _run_tiny(pytester, f"--recolor-baseline={baseline}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "recolor: the baseline holds 1 case(s) the suite no longer has, judged never: "
            "256x256-numpy_gone; recording any case drops them: *"
        ]
    )


def _another_machines_baseline(path: Path) -> None:
    """A baseline of an Intel Xeon whose ratios nothing here can match: judged, it fails."""
    facts = {**machine_facts(suite_adapter), "cpu_model": "Intel Xeon Gold 5220R"}
    case = dataclasses.replace(
        _case_baseline(*([0.01] * ROUNDS for _ in range(5)), technique="numpy_packed"),
        measured_as="256x256-numpy_packed",
        yardstick_seconds=None,
    )
    storage.write(
        path, machine.machine_name(facts), facts, {"256x256-numpy_packed": case}, PROTOCOLS
    )


def test_another_machines_baseline_judges_nothing_unless_asked_and_then_says_so(
    bench_dir: pytest.Pytester,
) -> None:
    baseline = bench_dir.path / "baseline.json"
    _another_machines_baseline(baseline)

    silent = _run(bench_dir, f"--recolor-baseline={baseline}")
    silent.assert_outcomes(passed=1)
    silent.stdout.fnmatch_lines(
        [
            "recolor benchmarks: NO GATE: * holds no baseline for this machine (*), only for: "
            "Intel Xeon Gold 5220R*--recolor-record-baseline*",
            "recolor: * holds no baseline for this machine*",
        ]
    )

    asked = _run(bench_dir, f"--recolor-baseline={baseline}", "--recolor-across-machines=Xeon")
    asked.assert_outcomes(failed=1)
    asked.stdout.fnmatch_lines(
        [
            "recolor benchmarks: gate ACROSS MACHINES against the baseline of Intel Xeon*",
            "numpy_packed at 256x256-numpy_packed got slower: * in the baseline of Intel "
            "Xeon*[[]across machines[]]",
            "ACROSS MACHINES: every vs ref figure compares this machine with another*",
        ]
    )
    unknown = _run(bench_dir, f"--recolor-baseline={baseline}", "--recolor-across-machines=ARM")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    unknown.stderr.fnmatch_lines(["*--recolor-across-machines 'ARM' must name one machine of*"])


def test_missing_baseline_passes_and_says_what_to_do(bench_dir: pytest.Pytester) -> None:
    result = _run(bench_dir, f"--recolor-baseline={bench_dir.path / 'none.json'}")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*no benchmark baseline at*--recolor-record-baseline*"])


def test_unreadable_baseline_fails_with_advice_not_exit_4(bench_dir: pytest.Pytester) -> None:
    broken = bench_dir.path / "broken.json"
    broken.write_text("{ not json")
    result = _run(bench_dir, f"--recolor-baseline={broken}")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*is unusable*re-record it with*"])


def test_comparing_without_a_mode_that_measures_is_a_usage_error(
    bench_dir: pytest.Pytester,
) -> None:
    result = bench_dir.runpytest_subprocess(
        "-p", "benchmarks.instrument.plugin", "--recolor-compare=main"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--recolor-compare measures: run python -m pytest --benchmark-only --recolor-compare*"]
    )


def test_recording_without_benchmark_only_is_a_usage_error(bench_dir: pytest.Pytester) -> None:
    result = bench_dir.runpytest_subprocess(
        "-p", "benchmarks.instrument.plugin", "--recolor-record-baseline"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*records timings: run python -m pytest --benchmark-only --recolor-record-baseline*"]
    )


# --------------------------------------------------------- against a git ref

TINY_BENCH = """
from benchmarks.cases import Case
import pytest

@pytest.mark.parametrize("technique", ["numpy_packed", "numpy_mask", "numpy_where"])
def test_small(race, technique):
    race.run(Case(technique, 256))
"""

NEW_TECHNIQUE = '''
"""A technique the second commit adds."""

import numpy as np

from recolor import register, validate_request


@register("numpy.where on a per-pixel match")
def numpy_where(image, old, new, *, tolerance=0):
    """Recolour with numpy.where.

    {contract}
    """
    request = validate_request(image, old, new, tolerance)
    pixels = request.pixels
    match = np.all((pixels >= request.lower) & (pixels <= request.upper), axis=-1)
    new = np.asarray(request.new, dtype=np.uint8)
    return request.finish(np.where(match[..., None], new, pixels))
'''


def _git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


@pytest.fixture
def tiny_repository(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project with two commits: the second slows numpy_packed and adds a technique."""
    if shutil.which("git") is None:
        pytest.skip("needs git")
    root = pytester.path
    copy_project(root, TINY_BENCH)
    _git(root, "init", "--quiet")
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "base")
    numpy_techniques = root / "recolor" / "techniques" / "numpy_techniques.py"
    text = numpy_techniques.read_text()
    marker = "def numpy_packed("
    body_start = text.index('"""', text.index('"""', text.index(marker)) + 3) + 3
    busy = "\n    sum(range(20000))  # the second commit's slowdown\n"
    numpy_techniques.write_text(text[:body_start] + busy + text[body_start:])
    (root / "recolor" / "techniques" / "numpy_where.py").write_text(NEW_TECHNIQUE)
    _git(root, "add", ".")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "--quiet", "-m", "head")
    monkeypatch.setenv("PYTHONPATH", str(root))
    monkeypatch.delenv(SLOWDOWN_ENV_VAR, raising=False)
    return root


def _compare_tiny(pytester: pytest.Pytester) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "benchmarks/bench_tiny.py",
        "--benchmark-only",
        "--benchmark-max-time=0.02",
        "--recolor-round-seconds=0.005",
        "--recolor-compare=HEAD~1",
    )


def test_compare_with_a_ref_fails_the_slowed_case_and_lists_the_new_one(
    pytester: pytest.Pytester, tiny_repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _deterministic(monkeypatch)
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_packed=3")  # this tree's side only
    result = _compare_tiny(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "recolor benchmarks: gate against HEAD~1, measured side by side here*",
            "numpy_packed at 256x256-numpy_packed got slower: 6x its copy yardstick, against 2x "
            "in HEAD~1, 3.00 times, above the threshold of 1.10 (10 fresh processes, p = *)",
            "recolor: NOT JUDGED (1): 256x256-numpy_where: only in this tree, not in HEAD~1",
            "FAILED benchmarks/bench_tiny.py::test_small[[]numpy_packed[]]*",
        ]
    )
    worktrees = subprocess.run(
        ["git", "worktree", "list"], cwd=tiny_repository, capture_output=True, text=True
    )
    assert len(worktrees.stdout.splitlines()) == 1, "the worktree of HEAD~1 was left behind"


@pytest.mark.real_timing
def test_a_real_slowdown_in_the_code_is_failed_or_left_unjudged_never_passed(
    pytester: pytest.Pytester, tiny_repository: Path
) -> None:
    """Timed for real: the machine's noise may withhold the verdict, never turn it."""
    result = _compare_tiny(pytester)
    output = result.stdout.str()
    failed = "numpy_packed at 256x256-numpy_packed got slower:" in output
    unjudged = re.search(r"NOT JUDGED.*256x256-numpy_packed", output) is not None
    assert failed or unjudged, output[-3000:]
    if failed:
        result.assert_outcomes(passed=2, failed=1)
    else:
        result.assert_outcomes(passed=3)


def test_a_ref_that_does_not_exist_is_one_line(
    pytester: pytest.Pytester, tiny_repository: Path
) -> None:
    result = pytester.runpytest_subprocess(
        "benchmarks/bench_tiny.py", "--benchmark-only", "--recolor-compare=no-such-ref"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --recolor-compare: no commit named 'no-such-ref'*"])


def test_without_git_a_comparison_is_one_line(
    bench_dir: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    result = _run(bench_dir, "--recolor-compare=main")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --recolor-compare main needs git*"])


def test_the_restore_advice_names_a_path_git_knows_from_the_repository_root() -> None:
    advice = storage._advice(suite_adapter.about.baseline_path)
    path = re.search(r"git checkout -- (\S+)'", advice)
    assert path, advice
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    known = subprocess.run(
        ["git", "ls-files", "--error-unmatch", path[1]], cwd=REPO, capture_output=True, check=False
    )
    assert known.returncode == 0, known.stderr


def test_thread_case_names_do_not_depend_on_the_core_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    here = [case.key for case in cases.thread_cases()]
    monkeypatch.setattr(calls, "available_cores", lambda: 64)
    assert [case.key for case in cases.thread_cases()] == here
    assert "998x998-numba_parallel-threadsall" in here


def test_a_baseline_measured_against_another_yardstick_says_to_re_record() -> None:
    stale = storage.CaseBaseline("numpy_mask", "python", "998x998-numpy_mask", ((1.0,),))
    with pytest.raises(
        decision.BaselineMismatch,
        match=r"against the python yardstick, which is now copy; re-record it: python -m pytest --benchmark-only --recolor-record-baseline -k 998x998-numpy_mask",
    ):
        gate.judge(suite_adapter, Case("numpy_mask", 998), stale)


def test_a_case_missing_from_this_machines_baseline_is_named_with_the_command(
    bench_dir: pytest.Pytester,
) -> None:
    baseline = bench_dir.path / "baseline.json"
    other_case = _case_baseline([1.0, 1.0], technique="numpy_mask")
    storage.write(
        baseline,
        machine.machine_name(machine_facts(suite_adapter)),
        machine_facts(suite_adapter),
        {"x": other_case},
        PROTOCOLS,
    )
    result = _run(bench_dir, f"--recolor-baseline={baseline}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "recolor: NOT JUDGED (1): 256x256-numpy_packed: not in the baseline; record them: "
            "python -m pytest --benchmark-only --recolor-record-baseline -k ..."
        ]
    )


def test_an_in_place_case_recolours_the_same_pixels_on_every_call() -> None:
    case = Case("numpy_packed", 64, in_place=True)
    assert case.key == "64x64-numpy_packed-inplace"
    assert case.group == "64x64 in place"
    image = calls.image_for(64)
    before = image.copy()
    call = calls.call_for(case)
    first = call().copy()
    second = call().copy()
    third = call().copy()
    np.testing.assert_array_equal(first, checks.expected_for(64, 0))
    np.testing.assert_array_equal(second, before)  # back again, ready for the next call
    np.testing.assert_array_equal(third, first)
    np.testing.assert_array_equal(image, before)  # the cached image is never touched


def test_a_ref_whose_techniques_take_no_out_is_recognised(tmp_path: Path) -> None:
    old = tmp_path / "recolor"
    old.mkdir()
    (old / "__init__.py").write_text(
        "def numpy_mask(image, old, new, *, tolerance=0):\n    return image.copy()\n"
    )
    assert not suite_adapter.takes_out(tmp_path)
    assert suite_adapter.takes_out(REPO)


# ----------------------------------------------------- against another environment


def another_python(folder: Path, *, numpy_version: str | None = None) -> Path:
    """A second virtual environment that sees this one's packages (a .pth file): a real other
    interpreter, with the same versions, so that what differs is only what a test makes differ:
    ``numpy_version``, what numpy says its version is there."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    lines = [path for path in sys.path if path.endswith("site-packages")]
    if numpy_version is not None:  # a .pth file runs its lines that start with "import"
        lines.append(f"import numpy; numpy.__version__ = {numpy_version!r}")
    (Path(site) / "ours.pth").write_text("\n".join(lines) + "\n")
    return python


def test_another_environment_is_measured_beside_this_one_and_named(
    bench_dir: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    other_numpy = f"{VERSIONS['numpy']}+other"
    python = another_python(tmp_path / "other-env", numpy_version=other_numpy)
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_packed=3")  # this interpreter's side only
    result = _run(bench_dir, f"--recolor-compare-env={python}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"recolor benchmarks: gate against this tree under {python}, measured side by side, "
            f"threshold 1.1; there: recolor *, numpy {other_numpy}, *",
            f"numpy_packed at 256x256-numpy_packed got slower: 6x its copy yardstick, against 2x "
            f"in the environment of {python}, 3.00 times, above the threshold of 1.10 (10 fresh "
            f"processes, p = *): 3.00 times with numpy {VERSIONS['numpy']} than with "
            f"{other_numpy}",
        ]
    )


def test_another_environment_that_differs_in_nothing_the_case_uses_cannot_fail_it(
    bench_dir: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Same versions of all it uses on both sides: a difference is the processes', not the code's.
    python = another_python(tmp_path / "other-env")
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_packed=3")
    result = _run(bench_dir, f"--recolor-compare-env={python}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "recolor: NOT JUDGED (1): 256x256-numpy_packed: 3.00 times here than with the other "
            "interpreter; nothing it depends on differs (python, numpy): the same code and "
            "libraries on both sides, so the difference is the two environments' processes, "
            "not an upgrade; not judged",
        ]
    )


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (["--recolor-compare-env=no-such-python-here"], "*no such Python interpreter*"),
        (["--recolor-compare-env=python3", "--recolor-compare=main"], "*give one*"),
        (["--recolor-compare-env=python3", "--recolor-record-baseline"], "*records no baseline*"),
    ],
)
def test_compare_env_usage_errors_are_one_line(
    bench_dir: pytest.Pytester, arguments: list[str], error: str
) -> None:
    result = _run(bench_dir, *arguments)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --recolor-compare*{error}"])


def test_an_interpreter_that_cannot_run_the_worker_is_one_line(
    bench_dir: pytest.Pytester, tmp_path: Path
) -> None:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "bare")], check=True
    )
    result = _run(bench_dir, f"--recolor-compare-env={tmp_path / 'bare' / 'bin' / 'python'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --recolor-compare-env: */bare/bin/python cannot run the benchmark worker here: *"]
    )
