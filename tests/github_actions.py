"""A small stand-in for a GitHub runner, to run a released action's real code on our files.

It does what the runner does for a JavaScript action, as ../shared/actions/README.md
describes: every input as an ``INPUT_<NAME>`` variable (``action.yml``'s
defaults for those a step leaves out), the ``GITHUB_*`` context and an event
file, a local bare repository standing in for ``github.com/<owner>/<repo>``
(git's ``url.<base>.insteadOf``), and an HTTP server on 127.0.0.1 standing in
for the API. Workflow expressions (``${{ ... }}``) are evaluated for the few
forms a workflow of ours uses: context paths, ``==``, ``!=``, ``&&``, ``||``,
``!``, string literals, ``hashFiles`` and ``cancelled()``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

# PyYAML comes with the test extra, not the bench extra: the README's bench
# command collects this module too, and must skip it rather than stop.
yaml = pytest.importorskip("yaml", reason='reads workflows with PyYAML: pip install -e ".[test]"')

OWNER, REPO = "octo", "recolor"
TOKEN = "test-token"
SERVER = "https://github.com"

_EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
_STRING = re.compile(r"('[^']*')")
_PATH = re.compile(r"\b(github|env|secrets|needs|matrix)((?:\.[A-Za-z_][\w-]*)+)")


def evaluate(expression: str, context: Mapping[str, Any], workspace: Path) -> Any:
    """The value of one expression (without its ``${{ }}``) in ``context``."""
    parts = []
    for index, part in enumerate(_STRING.split(expression)):
        if index % 2:  # a string literal, as Python writes it too
            parts.append(part)
            continue
        part = _PATH.sub(lambda m: f"_get({m.group(1) + m.group(2)!r})", part)
        part = part.replace("&&", " and ").replace("||", " or ")
        part = re.sub(r"!(?!=)", " not ", part)
        parts.append(part)

    def get(path: str) -> Any:
        value: Any = context
        for key in path.split("."):
            value = value.get(key) if isinstance(value, Mapping) else None
        return value

    def hash_files(name: str) -> str:
        return "hash" if (workspace / name).exists() else ""

    namespace = {"_get": get, "hashFiles": hash_files, "cancelled": lambda: False}
    return eval(" ".join(parts), {"__builtins__": {}}, namespace)  # our own workflow's text


def render(value: Any, context: Mapping[str, Any], workspace: Path) -> str:
    """A ``with:`` or ``env:`` value as the runner passes it: a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    whole = _EXPRESSION.fullmatch(text.strip())
    if whole:
        result = evaluate(whole.group(1), context, workspace)
        return render(result, {}, workspace) if isinstance(result, bool) else str(result or "")
    return _EXPRESSION.sub(lambda m: str(evaluate(m.group(1), context, workspace) or ""), text)


@dataclass
class ApiStandIn:
    """What the action asked of the GitHub API: method, path and body of each request."""

    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    url: str = ""


@contextmanager
def api_stand_in() -> Iterator[ApiStandIn]:
    """An HTTP server on 127.0.0.1 that records every request and answers as GitHub would."""
    record = ApiStandIn()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            record.requests.append(("GET", self.path, None))
            self._answer(200, [])  # no reviews yet

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"null")
            record.requests.append(("POST", self.path, body))
            self._answer(201, {"id": len(record.requests), "html_url": f"{SERVER}/comment"})

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


def git(folder: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    completed = subprocess.run(
        ["git", *args], cwd=folder, capture_output=True, text=True, check=True, env=env
    )
    return completed.stdout.strip()


def git_environment(home: Path, origin: Path) -> dict[str, str]:
    """An environment whose git sends github.com/<owner>/<repo> to the bare ``origin``."""
    home.mkdir(exist_ok=True)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = runner\n\temail = runner@example.com\n"
        "[init]\n\tdefaultBranch = main\n"
        f'[url "{origin}"]\n'
        f"\tinsteadOf = https://x-access-token:{TOKEN}@github.com/{OWNER}/{REPO}.git\n"
        f"\tinsteadOf = {SERVER}/{OWNER}/{REPO}.git\n"
    )
    return {
        "HOME": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }


def job_steps(workflow: Path, job: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The job's ``env`` and its steps, as the workflow file says."""
    document = yaml.safe_load(workflow.read_text())
    spec = document["jobs"][job]
    return spec.get("env", {}), spec["steps"]


def action_defaults(action: Path) -> dict[str, str]:
    inputs = yaml.safe_load((action / "action.yml").read_text())["inputs"]
    return {
        name: render(spec["default"], {}, action)
        for name, spec in inputs.items()
        if "default" in spec
    }


@dataclass
class StepRun:
    name: str
    returncode: int
    output: str


def _runner_environment(
    *, workspace: Path, context: Mapping[str, Any], runner_files: Path
) -> dict[str, str]:
    """The ``GITHUB_*`` and ``RUNNER_*`` variables a runner gives every step."""
    event = runner_files / "event.json"
    event.write_text(json.dumps(context["github"]["event"]))
    summary, output = runner_files / "summary.md", runner_files / "output"
    summary.touch()
    output.touch()
    github = context["github"]
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": github["event_name"],
        "GITHUB_EVENT_PATH": str(event),
        "GITHUB_REPOSITORY": github["repository"],
        "GITHUB_REPOSITORY_OWNER": OWNER,
        "GITHUB_SHA": github["sha"],
        "GITHUB_REF": github["ref"],
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_API_URL": github["api_url"],
        "GITHUB_SERVER_URL": SERVER,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(runner_files),
    }


def run_action_step(
    step: Mapping[str, Any],
    *,
    action: Path,
    workspace: Path,
    context: Mapping[str, Any],
    base_environment: Mapping[str, str],
    runner_files: Path,
) -> StepRun:
    """Run one ``uses:`` step of the action with ``node``, as the runner would."""
    inputs = {**action_defaults(action)}
    inputs.update({key: render(value, context, workspace) for key, value in step["with"].items()})
    environment = {
        **base_environment,
        **{f"INPUT_{name.replace(' ', '_').upper()}": value for name, value in inputs.items()},
        **_runner_environment(workspace=workspace, context=context, runner_files=runner_files),
    }
    completed = subprocess.run(
        ["node", str(action / "dist" / "src" / "index.js")],
        cwd=workspace,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    return StepRun(
        step.get("name", step["uses"]), completed.returncode, completed.stdout + completed.stderr
    )


def run_script_step(
    step: Mapping[str, Any],
    *,
    workspace: Path,
    context: Mapping[str, Any],
    base_environment: Mapping[str, str],
    runner_files: Path,
) -> StepRun:
    """Run one ``run:`` step with bash, as the runner would: the job's and the step's ``env``."""
    step_environment = {
        key: render(value, context, workspace) for key, value in step.get("env", {}).items()
    }
    environment = {
        **base_environment,
        **context.get("env", {}),
        **step_environment,
        **_runner_environment(workspace=workspace, context=context, runner_files=runner_files),
    }
    completed = subprocess.run(
        [
            "bash",
            "--noprofile",
            "--norc",
            "-eo",
            "pipefail",
            "-c",
            render(step["run"], context, workspace),
        ],
        cwd=workspace,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return StepRun(
        step.get("name", "run"), completed.returncode, completed.stdout + completed.stderr
    )


def read_data_js(origin: Path, path: str = "dev/bench/data.js") -> dict[str, Any]:
    """What the history holds: ``window.BENCHMARK_DATA = {...}`` on gh-pages of ``origin``."""
    text = git(origin, "show", f"gh-pages:{path}")
    data: dict[str, Any] = json.loads(text.split("=", 1)[1])
    return data
