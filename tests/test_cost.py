"""The deterministic cost mode: the decision, the baseline's checks, and whole runs under valgrind."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from benchmarks import adapter as suite_adapter
from benchmarks.calls import SLOWDOWN_ENV_VAR
from benchmarks.cases import Case
from benchmarks.instrument.config import Config
from benchmarks.instrument.cost import attribution, callgrind
from benchmarks.instrument.cost import decision as cost_gate
from benchmarks.instrument.cost import instrument as cost_instrument
from benchmarks.instrument.cost.slowdown import filler_units
from benchmarks.instrument.verdict import Status

REPO = Path(__file__).resolve().parent.parent

needs_valgrind = pytest.mark.skipif(
    callgrind.missing_tools() is not None, reason=str(callgrind.missing_tools())
)

COST_FILE = """
import pytest
from benchmarks.cases import Case

@pytest.mark.parametrize("case", [Case("numpy_packed", 64)], ids=lambda case: case.key)
def test_small(cost, case):
    cost.run(case)
"""

CASE = Case("numpy_packed", 998)
SUBJECT = "numpy_packed"


def _cost(cycles_scale: float = 1.0) -> callgrind.Cost:
    return callgrind.Cost(round(1_000_000 * cycles_scale), 1_000, 100)


def test_estimated_cycles_follow_the_stated_formula() -> None:
    assert callgrind.Cost(1_000, 20, 3).estimated_cycles == 1_000 + 10 * 20 + 100 * 3


@pytest.mark.parametrize(
    ("scale", "status"),
    [
        (1.0, Status.PASSED),
        (1.02, Status.PASSED),
        (1.05, Status.FAILED),
        (0.95, Status.IMPROVED),
        (0.98, Status.PASSED),
    ],
)
def test_judge_fails_a_rise_above_the_threshold_and_reports_a_fall(
    scale: float, status: Status
) -> None:
    verdict = cost_gate.judge(CASE, SUBJECT, _cost(scale), _cost(), threshold=3)
    assert verdict.status is status
    assert verdict.verdict().status is status


def test_the_threshold_is_an_option() -> None:
    assert (
        cost_gate.judge(CASE, SUBJECT, _cost(1.05), _cost(), threshold=10).status is Status.PASSED
    )


def test_failure_message_names_case_figures_change_and_threshold() -> None:
    message = cost_gate.judge(CASE, SUBJECT, _cost(1.10), _cost(), threshold=3).describe()
    current, reference = _cost(1.10).estimated_cycles, _cost().estimated_cycles
    for part in [
        "numpy_packed at 998x998-numpy_packed costs more",
        f"{current:,} estimated cycles",
        f"the baseline's {reference:,}",
        "times, above the threshold of 3%",
        "instructions 1.100x",
    ]:
        assert part in message


def _baseline(**versions: Any) -> dict[str, Any]:
    return cost_gate.entry(
        suite_adapter, _cost(), {**cost_gate.versions(suite_adapter, "X86_V3"), **versions}
    )


def test_other_versions_are_not_comparable_and_say_which() -> None:
    here = cost_gate.versions(suite_adapter, "X86_V3")
    verdict = cost_gate.judge_against_baseline(
        suite_adapter, CASE, _cost(2.0), here, _baseline(numpy="1.0.0")
    )
    assert verdict.status is Status.NOT_JUDGED
    assert f"numpy 1.0.0 there, {here['numpy']} here" in verdict.reason
    same = cost_gate.judge_against_baseline(suite_adapter, CASE, _cost(2.0), here, _baseline())
    assert same.status is Status.FAILED


def test_a_case_missing_from_the_baseline_says_how_to_record_it() -> None:
    verdict = cost_gate.judge_against_baseline(suite_adapter, CASE, _cost(), {}, None)
    assert verdict.status is Status.NOT_JUDGED
    assert verdict.reason.startswith("not in the baseline")
    assert cost_gate.RECORD_COMMAND in verdict.reason


def _write(path: Path, cases: dict[str, Any]) -> Path:
    cost_gate.write(suite_adapter, path, cases)
    return path


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("instructions", -1),
        ("instructions", "many"),
        ("instructions", True),
        ("instructions", 1.5),
        ("estimated_cycles", 0),
        ("estimated_cycles", 12345),  # does not follow from the counts
        ("versions", None),
    ],
)
def test_a_bad_entry_makes_the_baseline_unusable_with_advice(
    tmp_path: Path, field: str, value: Any
) -> None:
    path = _write(tmp_path / "cost.json", {"a": _baseline()})
    data = json.loads(path.read_text())
    data["cases"]["a"][field] = value
    path.write_text(json.dumps(data))
    with pytest.raises(cost_gate.CostBaselineError, match=r"unusable.*git checkout -- .*re-record"):
        cost_gate.load(path)


@pytest.mark.parametrize("text", ["{", "[]", '{"format": 99}', "NaN", '{"format": 1, "cases": {}}'])
def test_an_unreadable_baseline_is_unusable_with_advice(tmp_path: Path, text: str) -> None:
    path = tmp_path / "cost.json"
    path.write_text(text)
    with pytest.raises(cost_gate.CostBaselineError, match=r"Restore it with"):
        cost_gate.load(path)


def test_another_cache_model_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "cost.json", {"a": _baseline()})
    data = json.loads(path.read_text())
    data["cache_model"]["LL"] = [1024, 1, 64]
    path.write_text(json.dumps(data))
    with pytest.raises(cost_gate.CostBaselineError, match="another cache model"):
        cost_gate.load(path)


def test_recording_merges_and_never_replaces_an_unusable_baseline(tmp_path: Path) -> None:
    path = _write(tmp_path / "cost.json", {"a": _baseline()})
    _write(path, {"b": _baseline()})
    assert set(cost_gate.load(path)) == {"a", "b"}
    assert [p.name for p in tmp_path.iterdir()] == ["cost.json"]
    path.write_text('{"format": 1, "cases": {"a": ')
    with pytest.raises(cost_gate.CostBaselineError):
        cost_gate.write(suite_adapter, path, {"c": _baseline()})
    assert path.read_text() == '{"format": 1, "cases": {"a": '


def test_the_slowdown_adds_the_asked_share_of_the_reference_cost() -> None:
    assert filler_units(1.05, 1_000_000, 500.0) == 100
    assert filler_units(1.0, 1_000_000, 500.0) == 0


@pytest.fixture
def cost_dir(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.delenv(SLOWDOWN_ENV_VAR, raising=False)
    pytester.makepyfile(test_cost_small=COST_FILE)
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "benchmarks.instrument.plugin", *args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--recolor-record-cost-baseline"],
            "*belongs to the cost mode: run python -m pytest --recolor-cost*",
        ),
        (["--recolor-cost", "--benchmark-only"], "*leave out --benchmark-only*"),
        (
            ["--recolor-cost", "--recolor-cost-threshold", "0"],
            "*percentage between 0 and 100, got 0*",
        ),
    ],
)
def test_usage_errors_say_the_right_command(
    cost_dir: pytest.Pytester, args: list[str], message: str
) -> None:
    result = _run(cost_dir, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_without_valgrind_the_mode_stops_with_one_line_on_installing_it(
    cost_dir: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no valgrind, no setarch
    result = _run(cost_dir, "--recolor-cost")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.stderr.lines if line.strip()] == [
        f"ERROR: {callgrind.INSTALL_VALGRIND}"
    ]


def test_without_the_cost_mode_a_cost_case_is_a_smoke_test(cost_dir: pytest.Pytester) -> None:
    _run(cost_dir).assert_outcomes(passed=1)


def test_without_a_cost_baseline_nothing_is_judged_and_it_says_how_to_record(
    tmp_path: Path,
) -> None:
    unset = "compare compare_env record_baseline record_cost_baseline baseline cost_baseline"
    unset += " across_machines threads round_seconds cost_where cost_json"
    options = SimpleNamespace(
        benchmark_disable=True,
        benchmark_only=False,
        recolor_cost=True,
        recolor_cost_threshold=3.0,
        **{f"recolor_{name}": None for name in unset.split()},
    )
    config = Config.from_options(options, tmp_path / "none.json", tmp_path / "none.json")
    session = cost_instrument.CostSession(config, suite_adapter)
    cost_instrument.open_baseline(session, tmp_path / "none.json")
    assert session.baseline is None
    assert not session.baseline_unusable
    assert session.baseline_problem == (
        f"no cost baseline at {tmp_path / 'none.json'}, so nothing was judged. Record one "
        "with: python -m pytest --recolor-cost --recolor-record-cost-baseline"
    )


@needs_valgrind
def test_two_counts_of_the_same_call_agree_and_attribution_reads_the_kept_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = Case("numpy_packed", 64)
    monkeypatch.setattr(attribution, "DUMPS", tmp_path)
    first, cpu, reference = attribution.count_kept(suite_adapter, case, None)
    second, _, this_tree = attribution.count_kept(suite_adapter, case, None)
    assert reference.parent != this_tree.parent  # each count in a folder of its own
    assert first.estimated_cycles == pytest.approx(second.estimated_cycles, rel=0.005)
    assert first.instructions == pytest.approx(second.instructions, rel=0.005)
    assert cpu.startswith("X86_V")

    # Counts kept by the gate are what an attribution of them reads: no count again.
    def no_count(*args: object, **kwargs: object) -> None:
        raise AssertionError("counted again")

    monkeypatch.setattr(callgrind, "count_into", no_count)
    kept = {"reference": reference, attribution.THIS_TREE: this_tree}
    explained = attribution.explain(suite_adapter, case, REPO, kept=kept)
    folder = tmp_path / case.key  # kept where the message shows them, the same dumps
    assert explained.dumps == (folder / "reference" / reference.name,
                               folder / attribution.THIS_TREE / this_tree.name)  # fmt: skip
    assert not reference.parent.exists()
    assert not this_tree.parent.exists()
    assert (explained.total_before, explained.total_after) == (
        first.instructions,
        second.instructions,
    )


@needs_valgrind
def test_compare_with_a_git_ref_judges_without_a_baseline(
    cost_dir: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A temporary folder of its own: another run on this machine may have a worktree open.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    same = _run(cost_dir, "--recolor-cost", "--recolor-compare", "HEAD")
    same.assert_outcomes(passed=1)
    same.stdout.fnmatch_lines(["*judged against HEAD*", "*64x64-numpy_packed *passed"])
    # (A costlier commit failed against its ref:
    # test_a_costlier_commit_fails_against_its_ref_and_the_baseline_naming_the_function_that_grew.)
    assert not list(private_tmp.glob("recolor-ref-*")), "a worktree was left"


@needs_valgrind
def test_another_environment_is_counted_beside_this_one_and_named(
    cost_dir: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import numpy as np

    from tests.test_gate import another_python

    other_numpy = f"{np.__version__}+other"
    python = another_python(tmp_path / "other-env", numpy_version=other_numpy)
    monkeypatch.setenv(SLOWDOWN_ENV_VAR, "numpy_packed=1.10")  # this interpreter's side only
    slowed = _run(cost_dir, "--recolor-cost", f"--recolor-compare-env={python}")
    slowed.assert_outcomes(failed=1)
    slowed.stdout.fnmatch_lines(
        [
            f"*judged against this tree under {python}, threshold 3%; there: *",
            f"1.* times with numpy {np.__version__} than with {other_numpy}*",
            f"numpy_packed at 64x64-numpy_packed costs more: * against the environment of "
            f"{python}'s *",
        ]
    )


@needs_valgrind
def test_a_ref_that_does_not_exist_is_one_line(cost_dir: pytest.Pytester) -> None:
    result = _run(cost_dir, "--recolor-cost", "--recolor-compare", "no-such-ref-xyz")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --recolor-compare: no commit named 'no-such-ref-xyz'*"])


ATTRIBUTION_BENCH = """
import pytest
from benchmarks.cases import Case

@pytest.mark.parametrize("case", [Case("numpy_packed", 256)], ids=lambda case: case.key)
def test_small(cost, case):
    cost.run(case)
"""


@needs_valgrind
def test_a_costlier_commit_fails_against_its_ref_and_the_baseline_naming_the_function_that_grew(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost gate from record to verdict, on a commit whose only change is one more
    np.equal over the words in numpy_packed. (Unchanged code against its own count passes:
    test_compare_with_a_git_ref_judges_without_a_baseline; counted with other versions, a
    case is not judged: test_other_versions_are_not_comparable_and_say_which.)"""
    import shutil

    from tests.project import ScratchRepository

    if shutil.which("git") is None:
        pytest.skip("needs git")
    repository = ScratchRepository(pytester.path)
    root = repository.root
    (root / "benchmarks" / "bench_cost.py").write_text(ATTRIBUTION_BENCH)
    repository.commit("base")
    monkeypatch.setenv("PYTHONPATH", str(root))
    monkeypatch.delenv(SLOWDOWN_ENV_VAR, raising=False)  # the change is the code's alone
    baseline = f"--recolor-cost-baseline={root / 'cost.json'}"  # untracked: the tree is clean
    recorded = pytester.runpytest_subprocess(
        "benchmarks/bench_cost.py", "--recolor-cost", "--recolor-record-cost-baseline", baseline
    )
    recorded.assert_outcomes(passed=1)
    assert set(cost_gate.load(root / "cost.json")) == {"256x256-numpy_packed"}
    repository.add_a_pass()
    repository.commit("extra pass")

    result = pytester.runpytest_subprocess(
        "benchmarks/bench_cost.py", "--recolor-cost", "--recolor-compare", "HEAD~1"
    )
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "where the instructions changed" in output
    top = output.split("where the instructions changed", 1)[1].splitlines()[1]
    assert "equal" in top, top  # numpy's equal kernel, the function that grew
    assert "per-function data: callgrind_annotate" in output
    dumps = list(
        (root / ".benchmarks" / "callgrind" / "256x256-numpy_packed").rglob("callgrind.out.*")
    )
    assert dumps

    # Against the baseline: attributed against the commit it recorded.
    judged = pytester.runpytest_subprocess("benchmarks/bench_cost.py", "--recolor-cost", baseline)
    judged.assert_outcomes(failed=1)
    judged.stdout.fnmatch_lines(
        [
            "numpy_packed at 256x256-numpy_packed costs more: * estimated cycles against the "
            "baseline's *, 1.* times, above the threshold of 3% (instructions *",
            "FAILED benchmarks/bench_cost.py::test_small*",
        ]
    )
    assert "Traceback" not in judged.stdout.str()
    against_baseline = judged.stdout.str().split("where the instructions changed", 1)
    assert len(against_baseline) == 2, judged.stdout.str()[-2000:]
    assert "equal" in against_baseline[1].splitlines()[1]


def test_an_attribution_names_its_share_of_the_change_and_where_its_data_is() -> None:
    from benchmarks.instrument.cost.attribution import Attribution, FunctionChange, _short

    grew = FunctionChange("lib.so:simd_equal", 100, 190, 100, 190)
    shrank = FunctionChange("ceval.c:call", 50, 40, 900, 980)
    explained = Attribution((grew, shrank), 1_000, 1_100, (Path("ref.out"), Path("here.out")))
    assert explained.explained_share == pytest.approx(0.8)
    text = explained.describe()
    assert text.splitlines()[1] == "  +90 self (100 -> 190; inclusive 100 -> 190) lib.so:simd_equal"
    assert "explain 80%" in text
    assert "callgrind_annotate here.out (this tree), ref.out (the reference)" in text
    assert (
        _short("/build/Python/ceval.c:cfunction_call'2", "libpython.so") == "ceval.c:cfunction_call"
    )
    assert _short("???:simd_equal", "/site/numpy/_umath.so") == "_umath.so:simd_equal"


def test_environment_differences_are_named_alike_everywhere() -> None:
    there = {"numpy": "2.3.1", "valgrind": "3.19.0", "simulated_cpu": "X86_V3"}
    here = {"numpy": "2.4.6", "valgrind": "3.19.0", "simulated_cpu": "X86_V4"}
    assert cost_gate.environment_differences(there, here) == [
        "numpy 2.3.1 there, 2.4.6 here",
        "simulated_cpu X86_V3 there, X86_V4 here",
    ]
    verdict = cost_gate.judge(CASE, SUBJECT, _cost(1.2), _cost(), against="main")
    named = cost_gate.CostVerdict(**{**verdict.__dict__, "reason": "the environments differ: x"})
    assert named.describe().splitlines()[0] == "the environments differ: x"


def test_a_functions_first_line_is_read_from_the_dump_not_from_inlined_code(
    tmp_path: Path,
) -> None:
    from benchmarks.instrument.cost.attribution import function_lines

    dump = tmp_path / "callgrind.out.1.1"
    dump.write_text(
        "positions: line\nevents: Ir\n"
        "fl=(1) /src/Python/ceval.c\nfn=(1) eval_frame\n120 5\n+3 2\nfi=(2) /src/inline.h\n40 9\n"
        "fe=(1)\n+83 1\n"  # back in ceval.c at line 123: positions count on across files
        "fl=(3) ???\nfn=(2) no_debug_info\n0 7\n"
        "fl=(1)\nfn=(3) helper\ncfn=(1)\ncalls=1 120\n300 4\n"
    )
    assert function_lines(dump) == {"ceval.c:eval_frame": 120, "ceval.c:helper": 300}
