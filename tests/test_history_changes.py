"""python -m benchmarks.instrument.history changes: change points of the stored history."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.instrument import gitref
from benchmarks.instrument.history import __main__ as command
from benchmarks.instrument.history import changes, datajs

#: The Otava the history job installs (its package pins numpy 2.2.0, so it is put beside
#: this environment's packages without its dependencies: the detector needs numpy and scipy).
OTAVA = "apache-otava==0.8.0"
MACHINE = "AMD EPYC, 2 cores, Linux x86_64, AVX2"


@pytest.fixture(scope="session", autouse=True)
def otava(tmp_path_factory: pytest.TempPathFactory) -> None:
    try:
        import otava.analysis  # noqa: F401
    except ImportError:
        target = tmp_path_factory.mktemp("otava")
        installed = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(target),
                OTAVA,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0:
            pytest.skip(f"needs {OTAVA} (pip could not install it: {installed.stderr[-300:]})")
        sys.path.insert(0, str(target))


def _extra(**world: str) -> str:
    machine = world.pop("machine", MACHINE)
    versions = " ".join(f"{name}={version}" for name, version in sorted(world.items()))
    return f"group 998x998; on {machine}; versions {versions}"


def _data_js(
    series: dict[str, dict[str, list[float]]],
    worlds: list[dict[str, str]] | None = None,
    tool: str = "customSmallerIsBetter",
) -> str:
    """A data.js as the action writes it: one push per point, commit i's subject "commit i"."""
    length = max(len(values) for cases in series.values() for values in cases.values())
    worlds = worlds or [{"numpy": "2.4.6", "opencv": "5.1.0"}] * length
    entries: dict[str, list[dict[str, Any]]] = {}
    for name, cases in series.items():
        entries[name] = [
            {
                "commit": {
                    "id": _sha(index),
                    "message": f"commit {index}\n\nits body",
                    "timestamp": f"2026-11-{1 + index % 28:02d}T10:00:00Z",
                    "url": f"https://github.com/o/r/commit/{_sha(index)}",
                },
                "date": 1_761_991_200_000 + index,
                "tool": tool,
                "benches": [
                    {
                        "name": case,
                        "value": values[index],
                        "unit": "x copy",
                        "extra": _extra(**worlds[index]),
                    }
                    for case, values in cases.items()
                    if index < len(values)
                ],
            }
            for index in range(length)
        ]
    return datajs.PREFIX + json.dumps({"lastUpdate": 0, "repoUrl": "", "entries": entries})


def _sha(index: int) -> str:
    return f"{index:02x}" + "c" * 38


def _noisy(length: int, seed: int, spread: float = 0.01) -> list[float]:
    rng = random.Random(seed)
    return [1.0 + rng.uniform(-spread, spread) for _ in range(length)]


@given(at=st.integers(6, 54), step=st.sampled_from([1.1, 1.2, 1.5, 0.8]), seed=st.integers(0, 99))
def test_a_step_is_found_at_its_commit_with_its_means_and_direction(
    at: int, step: float, seed: int
) -> None:
    values = _noisy(60, seed)
    values[at:] = [value * step for value in values[at:]]
    (series,) = datajs.load(_data_js({"recolor x copy": {"998x998-numpy_packed": values}}))
    found = changes.find(series, changes.Settings())
    # At the defaults (p <= 0.001, any magnitude) a shift within the noise may be kept too.
    (change,) = [change for change in found if abs(change.ratio - 1) > 0.02]
    assert change.index == at
    assert change.first.subject == f"commit {at}"
    assert change.ratio == pytest.approx(step, rel=0.02)
    assert change.regression is (step > 1)
    assert change.pvalue <= 0.001


def test_no_step_no_change_point() -> None:
    (series,) = datajs.load(_data_js({"recolor x copy": {"a": _noisy(60, 3)}}))
    assert changes.find(series, changes.Settings()) == []


def test_the_report_puts_regressions_first_and_names_the_commit() -> None:
    worse, better = _noisy(40, 1), _noisy(40, 2)
    worse[30:] = [value * 1.1 for value in worse[30:]]
    better[10:] = [value * 0.5 for value in better[10:]]  # larger, but an improvement
    text = changes.report(
        datajs.load(_data_js({"recolor x copy": {"better": better, "worse": worse}})),
        changes.Settings(),
    )
    lines = text.splitlines()
    assert lines[0].startswith("Change points (Apache Otava 0.8.0")
    assert "2 in 2 case series" in lines[0]
    assert lines[2].startswith("REGRESSION: recolor x copy / worse: ")
    assert re.search(r"x copy \(mean before and after\), 1\.(09|10)\dx", lines[2]), lines[2]
    assert lines[3] == (
        f"    first commit after it: {_sha(30)[:9]} 'commit 30' 2026-11-03T10:00:00Z "
        f"https://github.com/o/r/commit/{_sha(30)}"
    )
    assert lines[5].startswith("improvement: recolor x copy / better: ")


def test_a_change_where_a_version_or_the_machine_changed_says_so() -> None:
    values = _noisy(30, 5)
    values[20:] = [value * 1.3 for value in values[20:]]
    old, new = {"numpy": "2.4.6", "opencv": "5.0.0"}, {"numpy": "2.4.6", "opencv": "5.1.0"}
    moved = {**new, "machine": "Intel Xeon, 2 cores, Linux x86_64, AVX512"}
    worlds = [old] * 20 + [moved] * 10
    text = changes.report(datajs.load(_data_js({"s": {"c": values}}, worlds)), changes.Settings())
    assert (
        f"also changed at this point: machine {MACHINE} -> Intel Xeon, 2 cores, Linux x86_64, "
        "AVX512, opencv 5.0.0 -> 5.1.0: the code is not the only suspect"
    ) in text


def test_a_change_where_nothing_else_changed_names_only_the_code() -> None:
    values = _noisy(30, 6)
    values[12:] = [value * 1.3 for value in values[12:]]
    text = changes.report(datajs.load(_data_js({"s": {"c": values}})), changes.Settings())
    assert "REGRESSION" in text
    assert "also changed" not in text


def test_a_series_too_short_to_judge_says_so() -> None:
    text = changes.report(
        datajs.load(_data_js({"s": {"long": _noisy(30, 7), "short": [1.0, 2.0, 3.0]}})),
        changes.Settings(),
    )
    assert f"Too short to judge (fewer than {changes.MIN_POINTS} points): s / short (3)" in text
    assert "0 in 1 case series, 1 too short to judge" in text


def test_a_bigger_is_better_series_calls_a_drop_the_regression() -> None:
    values = _noisy(30, 8)
    values[15:] = [value * 0.7 for value in values[15:]]
    (series,) = datajs.load(_data_js({"s": {"c": values}}, tool="customBiggerIsBetter"))
    (change,) = changes.find(series, changes.Settings())
    assert change.regression


def test_the_command_reads_a_file_and_a_branch_of_the_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    values = _noisy(30, 9)
    values[18:] = [value * 1.2 for value in values[18:]]
    text = _data_js({"recolor x copy": {"c": values}})
    path = tmp_path / "data.js"
    path.write_text(text)
    assert command.main(["changes", str(path)]) == 0
    from_file = capsys.readouterr().out
    assert f"first commit after it: {_sha(18)[:9]} 'commit 18'" in from_file

    repository = tmp_path / "repository"
    repository.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "--quiet", "-b", "main"], cwd=repository, check=True)
    subprocess.run(
        [*git, "commit", "--quiet", "--allow-empty", "-m", "m"], cwd=repository, check=True
    )
    subprocess.run(
        [*git, "checkout", "--quiet", "--orphan", "gh-pages"], cwd=repository, check=True
    )
    (repository / "dev" / "bench").mkdir(parents=True)
    (repository / "dev" / "bench" / "data.js").write_text(text)
    subprocess.run([*git, "add", "dev"], cwd=repository, check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "data"], cwd=repository, check=True)
    subprocess.run([*git, "checkout", "--quiet", "main"], cwd=repository, check=True)
    monkeypatch.setattr(gitref, "ROOT", repository)
    assert command.main(["changes", "gh-pages:dev/bench/data.js"]) == 0
    assert capsys.readouterr().out == from_file


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["changes", "nowhere.js"], "nowhere.js: no such file (a path, or REF:PATH"),
        (["changes", "no-such-branch:dev/bench/data.js"], "git fetch origin no-such-branch"),
        (["changes", "README.md"], "README.md: not github-action-benchmark's data.js"),
    ],
)
def test_what_cannot_be_read_is_one_line(
    arguments: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(gitref.ROOT)
    assert command.main(arguments) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert message in line


@pytest.mark.parametrize(
    ("option", "value"), [("--max-pvalue", "0"), ("--min-magnitude", "-1"), ("--window", "2")]
)
def test_settings_out_of_range_are_usage_errors(
    option: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        command.main(["changes", str(tmp_path / "data.js"), option, value])
    assert exited.value.code == 2
    assert option in capsys.readouterr().err
