"""What a stored figure depends on: one decision for the wall-clock and the cost gate."""

from __future__ import annotations

import pytest

from benchmarks import adapter as suite_adapter
from benchmarks.cases import COPY, Case
from benchmarks.instrument import dependencies
from benchmarks.instrument.cost import decision as cost_gate
from benchmarks.instrument.cost.callgrind import Cost
from benchmarks.instrument.verdict import Status

THERE = {"python": "3.11.7", "numpy": "2.4.6", "opencv": "5.0.0", "pillow": "13.0.0"}
HERE = {**THERE, "opencv": "5.1.0"}


def test_only_what_the_figure_depends_on_is_compared() -> None:
    assert dependencies.differences(THERE, HERE, ["python", "numpy"]) == []
    assert dependencies.differences(THERE, HERE, ["python", "opencv"]) == [
        "opencv 5.0.0 there, 5.1.0 here"
    ]
    assert dependencies.differences(None, HERE, ["numpy"]) == [
        "numpy not recorded there, 2.4.6 here"
    ]


def test_the_reason_names_the_package_both_versions_and_both_ways_forward() -> None:
    reason = dependencies.unjudged_reason(
        THERE, HERE, ["python", "opencv"], lock="benchmarks/constraints.txt", record="REC -k key"
    )
    assert reason == (
        "measured with other versions of what it depends on (opencv 5.0.0 there, 5.1.0 here): "
        "not judged. Install the versions it was measured with (python -m pip install -r "
        "benchmarks/constraints.txt), or re-record it with these: REC -k key"
    )
    assert dependencies.unjudged_reason(THERE, HERE, ["numpy"], lock="l", record="r") is None


@pytest.mark.parametrize(
    ("technique", "depends"),
    [
        ("numpy_packed", ("numpy",)),
        ("opencv_native", ("numpy", "opencv")),
        ("pil_band_masks", ("numpy", "pillow")),
        ("numba_serial", ("numpy", "numba")),
        (COPY, ("numpy",)),
    ],
)
def test_the_suite_says_what_each_case_depends_on_from_the_registry(
    technique: str, depends: tuple[str, ...]
) -> None:
    assert suite_adapter.depends_on(Case(technique, 256)) == depends


def test_a_cost_figure_is_judged_when_its_dependencies_match_whatever_else_changed() -> None:
    here = cost_gate.versions(suite_adapter, "X86_V3")
    there = {**here, "opencv": "0.0.1"}
    cost = Cost(1000, 10, 1)
    entry = cost_gate.entry(suite_adapter, cost, there)
    packed = cost_gate.judge_against_baseline(
        suite_adapter, Case("numpy_packed", 256), cost, here, entry
    )
    assert packed.status is Status.PASSED
    native = cost_gate.judge_against_baseline(
        suite_adapter, Case("opencv_native", 256), cost, here, entry
    )
    assert native.status is Status.NOT_JUDGED
    assert f"opencv 0.0.1 there, {here['opencv']} here" in native.reason
    assert "python -m pip install -r benchmarks/constraints.txt" in native.reason


def test_two_environments_side_by_side_say_what_changed_for_the_case() -> None:
    both = dependencies.Environments(HERE, THERE, ("python", "numpy", "opencv"))
    assert both.describe_change(1.07) == "1.07 times with opencv 5.1.0 than with 5.0.0"
    packed = dependencies.Environments(HERE, THERE, ("python", "numpy"))
    assert packed.describe_change(0.99) == (
        "0.99 times here than with the other interpreter; nothing it depends on differs "
        "(python, numpy)"
    )
    two = dependencies.Environments({**HERE, "numpy": "2.5.0"}, THERE, ("numpy", "opencv"))
    assert two.describe_change(1.2) == (
        "1.20 times with numpy 2.5.0, opencv 5.1.0 than with numpy 2.4.6, opencv 5.0.0"
    )


def test_a_case_whose_libraries_are_the_same_on_both_sides_is_withheld_not_failed() -> None:
    same = dependencies.Environments(HERE, THERE, ("python", "numpy"))
    assert same.withheld(1.10) == (
        "1.10 times here than with the other interpreter; nothing it depends on differs "
        "(python, numpy): the same code and libraries on both sides, so the difference is the "
        "two environments' processes, not an upgrade; not judged"
    )
    assert dependencies.Environments(HERE, THERE, ("numpy", "opencv")).withheld(1.10) is None


def _pins() -> dict[str, str]:
    """The lock's versions, by the name the versions tables give each package."""
    names = {"numpy": "numpy", "opencv-python": "opencv", "pillow": "pillow", "numba": "numba"}
    pins = {}
    for line in suite_adapter.about.lock_path.read_text().splitlines():
        requirement = line.partition(";")[0].strip()
        if requirement and not requirement.startswith("#"):
            name, _, version = requirement.partition("==")
            if name in names:
                pins[names[name]] = version
    return pins


def test_the_lock_pins_what_every_stored_figure_was_measured_with() -> None:
    """One lock: a figure measured with other versions than it pins is judged by nobody."""
    from benchmarks.instrument.wallclock import storage

    pins = _pins()
    assert set(pins) == {"numpy", "opencv", "pillow", "numba"}
    stored = {
        f"{machine}: {key}": (case.versions, suite_adapter.depends_on(Case.from_key(key)))
        for machine, baseline in storage.load(suite_adapter.about.baseline_path).items()
        for key, case in baseline.cases.items()
        if case.versions is not None  # before format 4: judged by nobody until re-recorded
    }
    for key, entry in cost_gate.load(suite_adapter.about.cost_baseline_path).items():
        stored[f"cost: {key}"] = (entry["versions"], suite_adapter.depends_on(Case.from_key(key)))
    assert stored
    for where, (versions, depends) in stored.items():
        for name in depends:
            assert pins[name].startswith(versions[name]), (where, name, versions[name], pins[name])
