"""Seeding a history: a range of commits counted and written as github-action-benchmark's data.js."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from benchmarks.instrument.cost import callgrind
from benchmarks.instrument.cost.history import PREFIX
from tests.project import ScratchRepository


@pytest.mark.skipif(callgrind.missing_tools() is not None, reason=str(callgrind.missing_tools()))
def test_a_range_of_commits_becomes_a_series_and_a_picture(pytester: pytest.Pytester) -> None:
    pytest.importorskip("matplotlib")
    if shutil.which("git") is None:
        pytest.skip("needs git")
    repository = ScratchRepository(pytester.path)
    root, commit = repository.root, repository.commit
    first = commit("first")
    repository.add_a_pass()
    second = commit("second: an extra pass")
    (root / "NOTES.txt").write_text("third\n")
    third = commit("third")
    command = [sys.executable, "-m", "benchmarks.instrument.cost.history", f"{first}..HEAD"]
    command += ["--out", "data.js", "--case", "256x256-numpy_packed"]
    command += ["--plot", "pictures", "--repo-url", "https://github.com/octo/recolor"]
    environment = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        command, cwd=root, capture_output=True, text=True, check=False, env=environment
    )
    assert done.returncode == 0, done.stderr[-2000:]
    text = (root / "data.js").read_text()
    assert text.startswith(PREFIX)
    data = json.loads(text.removeprefix(PREFIX))
    points = data["entries"]["recolor cost"]
    assert [point["commit"]["id"] for point in points] == [first, second, third]
    assert points[1]["commit"]["url"] == f"https://github.com/octo/recolor/commit/{second}"
    cycles = [{b["name"]: b["value"] for b in point["benches"]} for point in points]
    assert cycles[1]["256x256-numpy_packed"] > 1.05 * cycles[0]["256x256-numpy_packed"]
    assert cycles[2]["256x256-numpy_packed"] == pytest.approx(
        cycles[1]["256x256-numpy_packed"], rel=0.005
    )
    assert (root / "pictures" / "256x256.png").stat().st_size > 1000
    refused = subprocess.run(
        command, cwd=root, capture_output=True, text=True, check=False, env=environment
    )
    assert refused.returncode == 2
    assert "data.js exists" in refused.stderr
