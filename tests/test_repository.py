"""What the repository holds: sources and small data, never build outputs or packages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
#: Larger than this, a tracked file is a build output, a package or data that belongs elsewhere.
LARGEST_TRACKED_BYTES = 1_000_000


def _tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")  # an unpacked sdist has nothing tracked to check
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout
    return [REPO / name for name in listed.decode().split("\0") if name]


def test_no_tracked_file_is_larger_than_a_megabyte() -> None:
    large = {
        str(path.relative_to(REPO)): path.stat().st_size
        for path in _tracked_files()
        if path.exists() and path.stat().st_size > LARGEST_TRACKED_BYTES
    }
    assert not large, f"tracked files over {LARGEST_TRACKED_BYTES} bytes: {large}"


@pytest.mark.parametrize(
    "name", ["numpy-2.4.6-cp311-linux_x86_64.whl", "benchmark.json", "x-copy.json", "race.png"]
)
def test_build_outputs_and_what_the_readme_commands_write_are_ignored(name: str) -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", name], cwd=REPO, check=False
    )
    assert ignored.returncode == 0, f"{name} is not in .gitignore"


def test_the_wheel_ships_the_public_list_its_types_and_the_license(tmp_path: Path) -> None:
    """Type checkers read recolor/__init__.pyi only where py.typed is installed beside it."""
    import sys
    import zipfile

    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("recolor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"recolor/py.typed", "recolor/__init__.pyi"} <= names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), sorted(names)
    assert not any(name.startswith(("benchmarks/", "tools/", "tests/", "docs/")) for name in names)
