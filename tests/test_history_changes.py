"""python -m benchmarks.instrument.history changes: change points of the stored history."""

from __future__ import annotations

import json
import random
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.instrument import gitref
from benchmarks.instrument.history import __main__ as command
from benchmarks.instrument.history import changes, datajs, full, job

MACHINE = "AMD EPYC, 2 cores, Linux x86_64, AVX2"
pytestmark = pytest.mark.usefixtures("otava_path")


def _extra(**world: str) -> str:
    machine = world.pop("machine", MACHINE)
    versions = " ".join(f"{name}={version}" for name, version in sorted(world.items()))
    return f"group 998x998; on {machine}; versions {versions}"


def _data_js(
    series: dict[str, dict[str, list[float]]],
    worlds: list[dict[str, str]] | None = None,
    tool: str = "customSmallerIsBetter",
    unit: str = "x copy",
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
                        "unit": unit,
                        "extra": _extra(**worlds[index]),
                    }
                    for case, values in cases.items()
                    if index < len(values)
                ],
            }
            for index in range(length)
        ]
    return datajs.PREFIX + json.dumps({"lastUpdate": 0, "repoUrl": "", "entries": entries})


def _report(every: list[datajs.Series]) -> str:
    """What ``changes`` prints for ``every``, at the default settings."""
    settings = changes.Settings()
    return changes.report(changes.find_all(every, settings), settings)


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
    # At the defaults (p < 0.001, any magnitude) a shift within the noise may be kept too.
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
    text = _report(datajs.load(_data_js({"recolor x copy": {"better": better, "worse": worse}})))
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
    text = _report(datajs.load(_data_js({"s": {"c": values}}, worlds)))
    assert (
        f"also changed at this point: machine {MACHINE} -> Intel Xeon, 2 cores, Linux x86_64, "
        "AVX512, opencv 5.0.0 -> 5.1.0: the code is not the only suspect"
    ) in text


def test_a_change_where_nothing_else_changed_names_only_the_code() -> None:
    values = _noisy(30, 6)
    values[12:] = [value * 1.3 for value in values[12:]]
    text = _report(datajs.load(_data_js({"s": {"c": values}})))
    assert "REGRESSION" in text
    assert "also changed" not in text


def test_what_one_side_did_not_record_is_not_called_a_change() -> None:
    values = _noisy(30, 14)
    values[15:] = [value * 1.3 for value in values[15:]]
    text = _data_js({"s": {"c": values}})
    document = json.loads(text.removeprefix(datajs.PREFIX))
    for push in document["entries"]["s"][15:]:  # an older format: no versions named
        push["benches"][0]["extra"] = f"group 998x998; on {MACHINE}"
    (series,) = datajs.load(datajs.PREFIX + json.dumps(document))
    (change,) = changes.find(series, changes.Settings())
    assert change.world_changes() == []


def test_a_series_too_short_to_judge_says_so() -> None:
    text = _report(datajs.load(_data_js({"s": {"long": _noisy(30, 7), "short": [1.0, 2.0, 3.0]}})))
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
    monkeypatch.chdir(repository)
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


# ------------------------------------------------------------------ the whole history


def _window(text: str, start: int, stop: int) -> str:
    """The data.js ``text`` with only its pushes start..stop, as max-items-in-chart keeps."""
    document = json.loads(text.removeprefix(datajs.PREFIX))
    for name, pushes in document["entries"].items():
        document["entries"][name] = pushes[start:stop]
    return datajs.PREFIX + json.dumps(document)


def test_the_full_history_keeps_what_the_dashboard_drops_and_each_point_once(
    tmp_path: Path,
) -> None:
    values = _noisy(50, 10)
    values[10:] = [value * 1.3 for value in values[10:]]
    text = _data_js({"recolor x copy": {"c": values}})
    path = tmp_path / "full-history.json"
    stored = full.load(path)
    assert full.merge(stored, datajs.load(_window(text, 0, 30))) == 30
    assert full.merge(stored, datajs.load(_window(text, 0, 30))) == 0  # a re-run: nothing new
    full.save(stored, path)
    stored = full.load(path)
    # Later the dashboard holds only the last 25 pushes: the first 25 are kept here only.
    assert full.merge(stored, datajs.load(_window(text, 25, 50))) == 20
    (whole,) = full.series_of(stored)
    assert [point.subject for point in whole.points] == [f"commit {i}" for i in range(50)]
    assert whole.points == datajs.load(text)[0].points
    # The step at push 10 is out of the dashboard's window, and found over the whole history.
    (windowed,) = datajs.load(_window(text, 25, 50))
    assert changes.find(windowed, changes.Settings()) == []
    assert [change.index for change in changes.find(whole, changes.Settings())] == [10]


def test_a_full_history_of_another_format_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "full-history.json"
    path.write_text('{"format": 99}')
    with pytest.raises(datajs.DataJsError, match="format 99, and this code reads 1; restore"):
        full.load(path)


@pytest.mark.parametrize("pushes", [30, 31, 32, 40])
def test_a_regression_is_new_on_the_push_that_brings_it_only(pushes: int) -> None:
    values = _noisy(40, 11)
    values[30:] = [value * 1.5 for value in values[30:]]
    (series,) = datajs.load(_data_js({"s": {"c": values[:pushes]}}))
    found = changes.find_all([series], changes.Settings(), newest=True)
    assert [change.index for change in found.new] == ([30] if pushes == 31 else [])
    assert [change.index for change in found.changes] == ([] if pushes == 30 else [30])


def test_the_job_writes_the_summary_the_full_history_and_a_picture_per_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed, native = _noisy(20, 12), _noisy(20, 13)
    packed[19:] = [value * 1.5 for value in packed[19:]]  # this push brings it
    data = tmp_path / "data.js"
    data.write_text(
        _data_js(
            {"recolor cost": {"998x998-numpy_packed": packed, "256x256-numpy_packed": native}},
            unit="estimated cycles",
        )
    )
    summary = tmp_path / "summary.md"
    summary.write_text("earlier steps' lines\n")
    arguments = [
        "job",
        str(data),
        "--full",
        str(tmp_path / "full.json"),
        "--summary",
        str(summary),
        "--plots",
        str(tmp_path / "plots"),
        "--pages-url",
        "https://p/",
    ]
    assert command.main(arguments) == 0
    assert "REGRESSION: recolor cost / 998x998-numpy_packed" in capsys.readouterr().out
    text = summary.read_text()
    assert text.startswith("earlier steps' lines\n\n## Change points\n")
    assert "over the whole history (20 pushes)" in text
    assert "this push brought 1." in text
    assert "| **new** REGRESSION | recolor cost / 998x998-numpy_packed |" in text
    assert (
        f"`python -m benchmarks.instrument.cost.bisect {_sha(18)} 998x998-numpy_packed "
        f"--bad {_sha(19)}`" in text
    )
    assert sorted(path.name for path in (tmp_path / "plots").iterdir()) == [
        "recolor-cost-256x256.png",
        "recolor-cost-998x998.png",
    ]
    assert "[recolor cost, 998x998](https://p/recolor-cost-998x998.png)" in text


def test_the_detectors_race_prints_every_rule_of_every_noise(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools import change_detection

    monkeypatch.setattr(change_detection, "LENGTH", 20)  # its pool's processes are forks
    assert change_detection.main(["--histories", "1", "--jobs", "1"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| noise | rule | false alarms / 100 pushes | 1.05x: found, delay")
    rules = [tuple(cell.strip() for cell in row.split("|")[1:3]) for row in rows[1:]]
    assert rules == [
        ("wall clock", "single point > 1.60x (x copy)"),
        ("wall clock", "single point > 2.50x (seconds)"),
        ("wall clock", "single point > 1.30x (lower)"),
        *(("wall clock", f"Otava {name}") for name in _OTAVA_RULES),
        ("cost", "single point > 1.01x (cost)"),
        *(("cost", f"Otava {name}") for name in _OTAVA_RULES),
    ]


_OTAVA_RULES = ("p < 0.001", "p < 0.0001", "p < 0.0001, change > 1%")


def test_a_comment_without_the_runners_variables_or_its_api_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    values = _noisy(20, 15)
    values[19:] = [value * 1.5 for value in values[19:]]  # a new regression: a comment is due
    data = tmp_path / "data.js"
    data.write_text(_data_js({"s": {"c": values}}))
    arguments = ["job", str(data), "--full", str(tmp_path / "full.json"), "--comment"]
    for name in job.COMMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert command.main(arguments) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "python -m benchmarks.instrument.history: error: --comment needs GITHUB_API_URL, "
        "GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_TOKEN (set by a GitHub runner)"
    )
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/recolor")
    monkeypatch.setenv("GITHUB_SHA", _sha(19))
    monkeypatch.setenv("GITHUB_TOKEN", "t")
    assert command.main(arguments) == 2
    (line,) = capsys.readouterr().err.splitlines()[-1:]
    assert line.startswith(
        f"python -m benchmarks.instrument.history: error: the comment on {_sha(19)} failed: "
    )
