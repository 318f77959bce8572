"""The GitHub Actions workflows, checked offline.

actionlint and the GitHub workflow schema run in .ci/check-workflows; these
tests check what neither knows: the inputs of github-action-benchmark at the
commit the workflow pins, and the project's own rules for the workflows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = "benchmark-action/github-action-benchmark"
# The action's inputs, copied from its action.yml at the pinned commit.
ACTION_INPUTS = json.loads(
    (Path(__file__).parent / "data" / "github-action-benchmark-inputs.json").read_text()
)


def _load(path: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load(path.read_text())
    # PyYAML reads the key `on` as True (YAML 1.1); put it back.
    if True in workflow:
        workflow["on"] = workflow.pop(True)
    return workflow


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _benchmark_action_steps() -> list[dict[str, Any]]:
    return [
        step
        for path in WORKFLOWS
        for step in _steps(_load(path))
        if step.get("uses", "").startswith(f"{ACTION}@")
    ]


def test_there_are_tests_and_benchmarks_workflows() -> None:
    assert {path.stem for path in WORKFLOWS} >= {"tests", "benchmarks"}


def test_benchmark_action_is_pinned_to_the_commit_whose_inputs_we_know() -> None:
    steps = _benchmark_action_steps()
    assert [step["with"]["name"] for step in steps] == [
        "recolor seconds",
        "recolor x copy",
        "recolor cost",
    ]
    for step in steps:
        assert step["uses"] == f"{ACTION}@{ACTION_INPUTS['commit']}"


def test_every_benchmark_action_input_is_a_real_one() -> None:
    known = set(ACTION_INPUTS["inputs"])
    for step in _benchmark_action_steps():
        given = set(step["with"])
        assert given <= known, f"not inputs of {ACTION}: {sorted(given - known)}"
        assert (
            set(ACTION_INPUTS["required"]) - {"gh-pages-branch", "benchmark-data-dir-path", "name"}
            <= given
        )
        assert step["with"]["tool"] in ACTION_INPUTS["tools"]


def _history_job() -> dict[str, Any]:
    job: dict[str, Any] = _load(ROOT / ".github" / "workflows" / "benchmarks.yml")["jobs"][
        "history"
    ]
    return job


def test_history_is_pushed_from_main_only_and_never_fetched_into_a_pull_requests_branch() -> None:
    env = _history_job()["env"]
    assert env["PUSH"] == "${{ github.event_name == 'push' && github.ref == 'refs/heads/main' }}"
    assert env["SKIP_FETCH"] == "${{ github.event_name == 'pull_request' }}"
    for step in _benchmark_action_steps():
        assert step["with"]["auto-push"] == "${{ env.PUSH }}"
        assert step["with"]["skip-fetch-gh-pages"] == "${{ env.SKIP_FETCH }}"
        assert step["with"]["summary-always"] is True


def test_comments_go_only_where_the_token_may_write() -> None:
    assert " ".join(_history_job()["env"]["COMMENT"].split()) == (
        "${{ github.event_name == 'push' || "
        "github.event.pull_request.head.repo.full_name == github.repository }}"
    )
    for step in _benchmark_action_steps():
        assert step["with"]["comment-on-alert"] == "${{ env.COMMENT }}"


def test_the_history_job_checks_out_every_branch_before_the_action_switches() -> None:
    checkout = _history_job()["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_release_commit_with_its_tag_beside_it(path: Path) -> None:
    for line in path.read_text().splitlines():
        if "uses:" in line:
            match = re.search(r"uses: [\w./-]+@([0-9a-f]{40})  # v\d+\.\d+\.\d+$", line)
            assert match, line


def _series(name: str) -> dict[str, Any]:
    (step,) = [s for s in _benchmark_action_steps() if s["with"]["name"] == name]
    return step


def test_no_history_series_fails_a_pull_request_on_another_runners_figures() -> None:
    # The last point on gh-pages may come from another CPU; the judge is the A/B.
    for step in _benchmark_action_steps():
        assert step["with"]["fail-on-alert"] is False
        assert step["with"]["tool"] == "customSmallerIsBetter"
    assert _series("recolor seconds")["with"]["output-file-path"] == "seconds.json"


def test_every_history_is_bounded() -> None:
    for step in _benchmark_action_steps():
        assert int(step["with"]["max-items-in-chart"]) > 0


def test_cost_series_alerts_and_leaves_the_gate_to_the_cost_job() -> None:
    step = _series("recolor cost")
    assert step["with"]["tool"] == "customSmallerIsBetter"
    assert step["with"]["output-file-path"] == "cost.json"
    assert step["with"]["fail-on-alert"] is False


def test_bench_job_judges_pull_requests_against_their_base_on_the_same_runner() -> None:
    job = _load(ROOT / ".github" / "workflows" / "benchmarks.yml")["jobs"]["bench"]
    assert job["steps"][0]["with"]["fetch-depth"] == 0
    (pull_request,) = [
        s
        for s in job["steps"]
        if s.get("if") == "github.event_name == 'pull_request'" and "pytest" in s["run"]
    ]
    assert "--benchmark-only" in pull_request["run"]
    assert pull_request["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert '--recolor-compare="$BASE_SHA"' in pull_request["run"]
    (push,) = [s for s in job["steps"] if s.get("if") == "github.event_name != 'pull_request'"]
    assert "--recolor-compare" not in push["run"]


def test_cost_job_counts_pull_requests_against_their_base_with_pinned_versions() -> None:
    job = _load(ROOT / ".github" / "workflows" / "benchmarks.yml")["jobs"]["cost"]
    steps = job["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[0]["with"]["fetch-depth"] == 0  # the base commit must be there
    runs = [step.get("run", "") for step in steps]
    assert any("apt-get install --yes valgrind" in run for run in runs)
    assert any('".[cost,numba]" -c benchmarks/constraints.txt' in run for run in runs)
    (pull_request,) = [
        s
        for s in steps
        if s.get("if") == "github.event_name == 'pull_request'" and "pytest" in s["run"]
    ]
    assert "--recolor-cost" in pull_request["run"]
    assert pull_request["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    assert '--recolor-compare="$BASE_SHA"' in pull_request["run"]
    assert (
        "cost"
        in _load(ROOT / ".github" / "workflows" / "benchmarks.yml")["jobs"]["history"]["needs"]
    )


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda path: path.name)
def test_least_privilege_and_cancelled_superseded_runs(path: Path) -> None:
    workflow = _load(path)
    assert workflow["permissions"] == {"contents": "read"}
    assert "cancel-in-progress" in workflow["concurrency"]
    for name, job in workflow["jobs"].items():
        for scope, level in job.get("permissions", {}).items():
            assert level in ("read", "write", "none"), (name, scope)


def test_tests_workflow_covers_the_matrix_the_project_promises() -> None:
    matrix = _load(ROOT / ".github" / "workflows" / "tests.yml")["jobs"]["test"]["strategy"][
        "matrix"
    ]
    assert matrix["python"] == ["3.10", "3.11", "3.12", "3.13"]
    systems = {entry["os"]: entry.get("suite") for entry in matrix["include"]}
    assert systems["macos-latest"] == systems["windows-latest"] == "library"
    assert {entry["numba"] for entry in matrix["include"]} == {"installed", "absent"}


def _readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    command = readme.split("<!-- test-command -->")[1].split("<!-- /test-command -->")[0]
    return command.strip().strip("`").strip()


def _test_job_runs(numba: str) -> list[str]:
    """The commands the test job runs on the matrix entries with ``numba: <numba>``."""
    job = _load(ROOT / ".github" / "workflows" / "tests.yml")["jobs"]["test"]
    return [
        step.get("run", "")
        for step in job["steps"]
        if step.get("if", f"matrix.numba == '{numba}'").startswith(f"matrix.numba == '{numba}'")
    ]


def test_tests_workflow_runs_the_readme_test_command() -> None:
    assert _readme_test_command() in _test_job_runs("installed")


def test_the_job_without_numba_runs_the_readme_command_without_the_extras() -> None:
    command = _readme_test_command()
    assert ",numba" in command
    assert ",dask" in command
    assert command.replace(",numba", "").replace(",dask", "") in _test_job_runs("absent")
    assert command not in _test_job_runs("absent")


@pytest.mark.parametrize(
    ("job", "mode"), [("bench", "--benchmark-only"), ("cost", "--recolor-cost")]
)
def test_a_pull_request_that_changes_the_lock_is_measured_in_the_bases_environment_too(
    job: str, mode: str
) -> None:
    steps = _load(ROOT / ".github" / "workflows" / "benchmarks.yml")["jobs"][job]["steps"]
    (check,) = [s for s in steps if s.get("id") == "lock"]
    assert 'git diff --quiet "$BASE_SHA" HEAD -- benchmarks/constraints.txt' in check["run"]
    (both,) = [s for s in steps if s.get("if") == "steps.lock.outputs.changed == 'true'"]
    assert 'git show "$BASE_SHA:benchmarks/constraints.txt"' in both["run"]
    assert "python -m venv" in both["run"]
    assert f"python -m pytest {mode} --recolor-compare-env=" in both["run"]


def test_the_tests_workflow_runs_the_history_tests_with_the_action_benchmarks_yml_pins() -> None:
    """On GitHub the real-action tests run too: the workflow checks the pinned release out."""
    from tests.test_history import ACTION_ENV_VAR

    job = _load(ROOT / ".github" / "workflows" / "tests.yml")["jobs"]["test"]
    (checkout,) = [
        step for step in job["steps"] if step.get("with", {}).get("repository") == ACTION
    ]
    assert checkout["with"]["ref"] == ACTION_INPUTS["commit"]
    folder = checkout["with"]["path"]
    for step in job["steps"]:
        if "python -m pytest" in step.get("run", "") and "--collect-only" not in step["run"]:
            assert step["env"][ACTION_ENV_VAR] == f"${{{{ github.workspace }}}}/{folder}"
