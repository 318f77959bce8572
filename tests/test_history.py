"""The performance history, end to end: the history job's steps, run with the real action.

The steps come from .github/workflows/benchmarks.yml itself; the action is the
github-action-benchmark release that workflow pins, run with node
(tests/github_actions.py): the checkout named by ``GITHUB_ACTION_BENCHMARK``
(the tests workflow checks it out there), else ../shared/actions/ beside
this clone. A bare repository stands in for GitHub's, a server
on 127.0.0.1 for its API. The events: a push to main, a second push with one
case 2% slower and one 70% slower, a same-repository pull request and a
pull request from a fork.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks.instrument import report
from tests import github_actions
from tests.github_actions import OWNER, REPO, TOKEN, git

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "benchmarks.yml"
ACTION_REF = "benchmark-action/github-action-benchmark@"
#: Our step after the action's, run with bash as the runner would (its detector's install is
#: this environment: tests/conftest.py's otava_path).
CHANGE_POINTS_STEP = "Change points over the whole history"
#: Where the released action is: a checkout of benchmark-action/github-action-benchmark at
#: the commit the workflow pins (its release tree, dist/ and node_modules/ included).
ACTION_ENV_VAR = "GITHUB_ACTION_BENCHMARK"
ACTION = Path(
    os.environ.get(ACTION_ENV_VAR)
    or ROOT.parent / "shared" / "actions" / "github-action-benchmark-v1.22.0"
)
#: The commit the workflow pins (tests/test_workflows.py checks that it does).
PINNED = json.loads((ROOT / "tests" / "data" / "github-action-benchmark-inputs.json").read_text())[
    "commit"
]
HOW_TO_SUPPLY = (
    f"the released action is not at {ACTION}: clone "
    f"https://github.com/benchmark-action/github-action-benchmark, check out {PINNED} "
    f"(the commit .github/workflows/benchmarks.yml pins) and set {ACTION_ENV_VAR} to that folder"
)

pytestmark = [
    pytest.mark.skipif(shutil.which("node") is None, reason="the action runs on node, not here"),
    pytest.mark.skipif(not (ACTION / "dist" / "src" / "index.js").exists(), reason=HOW_TO_SUPPLY),
    pytest.mark.skipif(shutil.which("git") is None, reason="the history lives in git"),
]

MACHINE = {"cpu_model": "AMD EPYC", "cores": 2, "platform": "Linux x86_64"}
#: Each case's seconds per call and x copy, and its estimated cycles, in the first push.
CASES = {
    "998x998-numpy_packed": (8e-4, 2.9, 3_000_000),
    "998x998-opencv_native": (6e-4, 2.3, 2_000_000),
    "256x256-numpy_mask": (1.5e-3, 240.0, 9_000_000),
}
#: The second push: one case 2% slower, one 70% slower.
SLOWER = {"998x998-opencv_native": 1.02, "256x256-numpy_mask": 1.70}
SERIES = {
    "recolor seconds": "seconds.json",
    "recolor x copy": "x-copy.json",
    "recolor cost": "cost.json",
}


def _artifacts(workspace: Path, factors: dict[str, float]) -> dict[str, list[dict[str, Any]]]:
    """What the bench and cost jobs would upload, made by benchmarks.report from a run's JSON."""
    run = {
        "machine_info": {"recolor": MACHINE},
        "benchmarks": [
            {
                "name": key,
                "group": key.split("-")[0],
                "stats": {"median": seconds * factors.get(key, 1.0), "rounds": 100},
                "extra_info": {"x_copy": x_copy * factors.get(key, 1.0), "cpu_utilization": 1.0},
            }
            for key, (seconds, x_copy, _) in CASES.items()
        ],
    }
    cost = [
        {
            "name": key,
            "unit": "estimated cycles",
            "value": round(cycles * factors.get(key, 1.0)),
            "extra": "counted under callgrind",
        }
        for key, (_, _, cycles) in CASES.items()
    ]
    (workspace / "benchmark.json").write_text(json.dumps(run))
    series = {
        "seconds.json": report.seconds_series(run),
        "x-copy.json": report.x_copy_series(run),
        "cost.json": cost,
    }
    for name, entries in series.items():
        (workspace / name).write_text(json.dumps(entries))
    return series


class History:
    """The bare repository, the API stand-in, and each event's run of the history job."""

    def __init__(self, tmp_path: Path, api: github_actions.ApiStandIn, otava_path: str) -> None:
        self.tmp = tmp_path
        self.api = api
        self.otava_path = otava_path
        self.summary = ""
        self.origin = tmp_path / "origin.git"
        self.environment = github_actions.git_environment(tmp_path / "home", self.origin)
        git(tmp_path, "init", "--quiet", "--bare", str(self.origin), env=self.environment)
        seed = tmp_path / "seed"
        git(tmp_path, "clone", "--quiet", str(self.origin), str(seed), env=self.environment)
        (seed / "README.md").write_text("recolor\n")
        git(seed, "add", ".", env=self.environment)
        git(seed, "commit", "--quiet", "-m", "first", env=self.environment)
        git(seed, "push", "--quiet", "origin", "HEAD:main", env=self.environment)
        # gh-pages must exist before the first run: the README's one line.
        git(seed, "switch", "--quiet", "--orphan", "gh-pages", env=self.environment)
        git(seed, "commit", "--quiet", "--allow-empty", "-m", "history", env=self.environment)
        git(seed, "push", "--quiet", "origin", "gh-pages", env=self.environment)
        git(seed, "switch", "--quiet", "main", env=self.environment)
        self.seed = seed
        self.runs = 0

    def commit(self, branch: str, message: str) -> str:
        git(self.seed, "switch", "--quiet", "-C", branch, "main", env=self.environment)
        (self.seed / "change.txt").write_text(message)
        git(self.seed, "add", ".", env=self.environment)
        git(self.seed, "commit", "--quiet", "-m", message, env=self.environment)
        git(self.seed, "push", "--quiet", "--force", "origin", branch, env=self.environment)
        sha = git(self.seed, "rev-parse", "HEAD")
        git(self.seed, "switch", "--quiet", "main", env=self.environment)
        return sha

    def gh_pages(self) -> str:
        return git(self.origin, "rev-parse", "gh-pages")

    def run(self, event_name: str, sha: str, ref: str, event: dict[str, Any], factors: dict[str, float]) -> tuple[list[github_actions.StepRun], dict[str, list[dict[str, Any]]]]:  # fmt: skip
        """The history job's steps for one event, in a fresh checkout of every branch."""
        self.runs += 1
        workspace = self.tmp / f"workspace-{self.runs}"
        git(self.tmp, "clone", "--quiet", str(self.origin), str(workspace), env=self.environment)
        git(workspace, "checkout", "--quiet", "--detach", sha, env=self.environment)
        series = _artifacts(workspace, factors)
        runner_files = self.tmp / f"runner-{self.runs}"
        runner_files.mkdir()
        github = {
            "event_name": event_name,
            "event": {
                **event,
                "repository": {
                    "name": REPO,
                    "full_name": f"{OWNER}/{REPO}",
                    "owner": {"login": OWNER},
                    "html_url": f"{github_actions.SERVER}/{OWNER}/{REPO}",
                    "private": False,
                },
            },
            "repository": f"{OWNER}/{REPO}",
            "sha": sha,
            "ref": ref,
            "api_url": self.api.url,
        }
        job_env, steps = github_actions.job_steps(WORKFLOW, "history")
        context: dict[str, Any] = {
            "github": github,
            "secrets": {"GITHUB_TOKEN": TOKEN},
            "needs": {"bench": {"result": "success"}, "cost": {"result": "success"}},
        }
        context["env"] = {
            key: github_actions.render(value, context, workspace) for key, value in job_env.items()
        }
        runs = []
        # The change-point detector's environment is this one (tests/conftest.py: otava_path).
        environment = {
            **self.environment,
            "CHANGES_PYTHON": sys.executable,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), self.otava_path])),
        }
        for step in steps:
            uses = step.get("uses", "")
            if not uses.startswith(ACTION_REF) and step.get("name") != CHANGE_POINTS_STEP:
                continue  # checkout, the downloads and the detector's install: done above
            condition = step.get("if")
            if condition and github_actions.render(condition, context, workspace) != "true":
                continue
            if uses:
                runs.append(
                    github_actions.run_action_step(
                        step,
                        action=ACTION,
                        workspace=workspace,
                        context=context,
                        base_environment=self.environment,
                        runner_files=runner_files,
                    )
                )
            else:
                runs.append(
                    github_actions.run_script_step(
                        step,
                        workspace=workspace,
                        context=context,
                        base_environment=environment,
                        runner_files=runner_files,
                    )
                )
        self.summary = (runner_files / "summary.md").read_text()
        return runs, series


def _push_event(sha: str, message: str) -> dict[str, Any]:
    person = {"name": "dev", "username": "dev", "email": "dev@example.com"}
    return {
        "head_commit": {
            "id": sha,
            "message": message,
            "timestamp": "2026-12-01T10:00:00Z",
            "url": f"{github_actions.SERVER}/{OWNER}/{REPO}/commit/{sha}",
            "author": person,
            "committer": person,
        }
    }


def _pull_request_event(sha: str, number: int, head_repository: str) -> dict[str, Any]:
    return {
        "number": number,
        "pull_request": {
            "number": number,
            "title": f"pull request {number}",
            "html_url": f"{github_actions.SERVER}/{OWNER}/{REPO}/pull/{number}",
            "head": {
                "sha": sha,
                "user": {"login": "dev"},
                "repo": {"full_name": head_repository, "updated_at": "2026-12-01T11:00:00Z"},
            },
        },
    }


def _values(data: dict[str, Any], series: str) -> list[dict[str, float]]:
    return [
        {bench["name"]: bench["value"] for bench in entry["benches"]}
        for entry in data["entries"][series]
    ]


def _assert_no_step_failed(runs: list[github_actions.StepRun]) -> None:
    assert [run.name for run in runs if run.returncode != 0] == [], "\n".join(
        run.output[-3000:] for run in runs if run.returncode != 0
    )


def test_the_history_job_with_the_real_action(tmp_path: Path, otava_path: str) -> None:
    with github_actions.api_stand_in() as api:
        history = History(tmp_path, api, otava_path)

        first = history.commit("main", "first push")
        runs, first_series = history.run("push", first, "refs/heads/main", _push_event(first, "first push"), {})  # fmt: skip
        _assert_no_step_failed(runs)
        assert [run.name for run in runs] == [
            "Seconds per call (median), history and alerts",
            "Times x copy, history and alerts",
            "Estimated cycles per call, history and alerts",
            CHANGE_POINTS_STEP,
        ]
        assert "## Change points" in history.summary
        assert "Too short to judge (fewer than 6 points)" in history.summary
        data = github_actions.read_data_js(history.origin)
        assert set(data["entries"]) == set(SERIES)
        for series, file in SERIES.items():
            (point,) = data["entries"][series]
            assert point["commit"]["id"] == first
            assert [bench["name"] for bench in point["benches"]] == list(CASES)
            assert point["benches"] == [
                {"name": e["name"], "value": e["value"], "unit": e["unit"], "extra": e["extra"]}
                for e in first_series[file]
            ]
        assert api.requests == []  # nothing to alert on yet

        second = history.commit("main", "second push")
        runs, _ = history.run("push", second, "refs/heads/main", _push_event(second, "second push"), SLOWER)  # fmt: skip
        _assert_no_step_failed(runs)
        data = github_actions.read_data_js(history.origin)
        for series in SERIES:
            assert [point["commit"]["id"] for point in data["entries"][series]] == [first, second]
        seconds = _values(data, "recolor seconds")
        assert seconds[1]["256x256-numpy_mask"] == pytest.approx(1.5e-3 * 1.7)
        assert seconds[1]["998x998-opencv_native"] == pytest.approx(6e-4 * 1.02)
        # Alerts at our thresholds: seconds 250% (none), x copy 160% (the 70% case),
        # cost 101% (both): commit comments on the second push.
        comments = [(path, body["body"]) for method, path, body in api.requests]
        assert [path for path, _ in comments] == [
            f"/repos/{OWNER}/{REPO}/commits/{second}/comments"
        ] * 2
        x_copy_alert, cost_alert = (body for _, body in comments)
        assert "recolor x copy" in x_copy_alert
        assert "256x256-numpy_mask" in x_copy_alert
        assert "998x998-opencv_native" not in x_copy_alert
        assert "recolor cost" in cost_alert
        assert "256x256-numpy_mask" in cost_alert
        assert "998x998-opencv_native" in cost_alert
        pushed = history.gh_pages()

        # A same-repository pull request, slower again: alerts as reviews, nothing pushed.
        api.requests.clear()
        head = history.commit("feature", "a pull request")
        event = _pull_request_event(head, 7, f"{OWNER}/{REPO}")
        runs, _ = history.run("pull_request", head, "refs/pull/7/merge", event, {"256x256-numpy_mask": 1.7 * 1.7})  # fmt: skip
        _assert_no_step_failed(runs)
        assert history.gh_pages() == pushed
        # Its change points are in its summary; pictures only where they are published.
        assert "## Change points" in history.summary
        assert "Pictures:" not in history.summary
        reviews = [(method, path) for method, path, _ in api.requests]
        assert ("POST", f"/repos/{OWNER}/{REPO}/pulls/7/reviews") in reviews
        assert all(path.startswith(f"/repos/{OWNER}/{REPO}/pulls/7/") for _, path in reviews)

        # A pull request from a fork: its token may not write, so no comment is tried.
        api.requests.clear()
        fork = history.commit("fork-feature", "a fork's pull request")
        event = _pull_request_event(fork, 8, "someone/recolor")
        runs, _ = history.run("pull_request", fork, "refs/pull/8/merge", event, {"256x256-numpy_mask": 1.7 * 1.7})  # fmt: skip
        _assert_no_step_failed(runs)
        assert history.gh_pages() == pushed
        assert api.requests == []


def test_the_expression_forms_our_workflow_uses() -> None:
    context = {
        "github": {
            "event_name": "pull_request",
            "ref": "refs/pull/1/merge",
            "repository": "o/r",
            "event": {"pull_request": {"head": {"repo": {"full_name": "o/r"}}}},
        },
        "env": {"PUSH": "false"},
    }
    here = Path(".")
    render = github_actions.render
    assert render("${{ github.event_name == 'push' && github.ref == 'refs/heads/main' }}", context, here) == "false"  # fmt: skip
    assert render("${{ github.event_name == 'pull_request' }}", context, here) == "true"
    assert render("${{ github.event_name == 'push' || github.event.pull_request.head.repo.full_name == github.repository }}", context, here) == "true"  # fmt: skip
    assert (
        render("${{ !cancelled() && hashFiles('no-such-file') != '' }}", context, here) == "false"
    )
    assert render("${{ env.PUSH }}", context, here) == "false"


def _seeded_points(commits: list[str]) -> list[dict[str, Any]]:
    """Points as `python -m benchmarks.instrument.cost.history` writes them, one per commit."""
    import benchmarks.adapter
    from benchmarks.instrument.cost.callgrind import Cost
    from benchmarks.instrument.cost.decision import series_point
    from benchmarks.instrument.cost.history import TOOL

    person = {"name": "dev", "email": "dev@example.com", "username": "dev"}
    return [
        {
            "commit": {
                "author": person,
                "committer": person,
                "distinct": True,
                "id": sha,
                "message": f"old commit {index}",
                "timestamp": "2026-11-01T10:00:00+00:00",
                "tree_id": sha,
                "url": "",
            },
            "date": 1_761_991_200_000 + index,
            "tool": TOOL,
            "benches": [
                series_point(benchmarks.adapter, key, Cost(cycles // 2, 1_000 + index, 100))
                for key, (_, _, cycles) in CASES.items()
            ],
        }
        for index, sha in enumerate(commits)
    ]


def test_a_seeded_history_is_appended_to_by_the_real_action(
    tmp_path: Path, otava_path: str
) -> None:
    from benchmarks.instrument.cost.history import data_js

    with github_actions.api_stand_in() as api:
        history = History(tmp_path, api, otava_path)
        old = [history.commit("main", f"old commit {index}") for index in range(10)]
        # The seed, put on gh-pages before the workflow's first run.
        pages = tmp_path / "pages"
        git(tmp_path, "clone", "--quiet", "--branch", "gh-pages", str(history.origin), str(pages), env=history.environment)  # fmt: skip
        (pages / "dev" / "bench").mkdir(parents=True)
        seeded = data_js({"recolor cost": _seeded_points(old)}, "", 1_761_991_200_000)
        (pages / "dev" / "bench" / "data.js").write_text(seeded)
        git(pages, "add", ".", env=history.environment)
        git(pages, "commit", "--quiet", "-m", "seed the history", env=history.environment)
        git(pages, "push", "--quiet", "origin", "gh-pages", env=history.environment)

        first = history.commit("main", "first push")
        runs, _ = history.run("push", first, "refs/heads/main", _push_event(first, "first push"), {})  # fmt: skip
        _assert_no_step_failed(runs)
        data = github_actions.read_data_js(history.origin)
        points = data["entries"]["recolor cost"]
        assert [point["commit"]["id"] for point in points] == [*old, first]
        for case in CASES:
            assert sum(case in {b["name"] for b in point["benches"]} for point in points) == 11
        assert len(data["entries"]["recolor seconds"]) == 1  # the other series start now

        # The seed held each count at half of this push's: a step this push brought, a
        # change point found over the whole history and commented on this commit.
        summary = history.summary
        assert "## Change points" in summary
        assert "this push brought 3." in summary
        for case in CASES:
            assert f"| **new** REGRESSION | recolor cost / {case} |" in summary
            assert (
                f"`python -m benchmarks.instrument.cost.bisect {old[-1]} {case} --bad {first}`"
                in summary
            )
        # The action's own single-point alert on the cost (101%), then the change point's.
        ours = [
            (method, path)
            for method, path, body in api.requests
            if body["body"].startswith("A change point: this push brought a regression")
        ]
        assert ours == [("POST", f"/repos/{OWNER}/{REPO}/commits/{first}/comments")]
        # The whole history and the pictures, beside the dashboard's data.js.
        stored = json.loads(git(history.origin, "show", "gh-pages:dev/bench/full-history.json"))
        # Each series' entry of a push is its own (the action dates each), one commit for all.
        assert list(dict.fromkeys(push[0] for push in stored["pushes"])) == [*old, first]
        pictures = git(history.origin, "ls-tree", "--name-only", "gh-pages", "dev/bench/changes/")
        assert "dev/bench/changes/recolor-cost-998x998.png" in pictures.splitlines()
        assert (
            "https://octo.github.io/recolor/dev/bench/changes/recolor-cost-998x998.png" in summary
        )
