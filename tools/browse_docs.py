"""Open built docs in headless Chromium: ``python -m tools.browse_docs HTML_DIR [--shots DIR]``.

Each page of :data:`PAGES` is loaded from the built site with its scripts run,
and every console message Chromium logs is read: an uncaught exception, a
resource that failed to load, or a message that says error is a problem.
``--shots`` keeps a screenshot of each page there, to be looked at.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The front page, install, performance, the suite's how-to and history, the API reference.
PAGES = (
    "index.html",
    "install.html",
    "performance.html",
    "benchmarks/howto.html",
    "benchmarks/history.html",
    "api.html",
)
_CONSOLE = re.compile(r":CONSOLE[^\]]*\] (.*)")
_PROBLEM = re.compile(r"uncaught|error|failed to load|not found", re.IGNORECASE)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def browse(page: Path, screenshot: Path) -> list[str]:
    """The console messages of ``page`` that are problems; its screenshot goes to ``screenshot``."""
    browser = chromium()
    if browser is None:
        raise SystemExit("tools.browse_docs needs Chromium (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="browse-docs-") as profile:
        completed = subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={profile}",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1280,1600",
                "--virtual-time-budget=3000",
                f"--screenshot={screenshot}",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    messages = [m.group(1) for m in map(_CONSOLE.search, completed.stderr.splitlines()) if m]
    problems = [message for message in messages if _PROBLEM.search(message)]
    if completed.returncode != 0 or not screenshot.exists():
        problems.append(f"chromium exited with {completed.returncode}: {completed.stderr[-500:]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.browse_docs", description=__doc__)
    parser.add_argument("html", type=Path, help="the folder Sphinx built")
    parser.add_argument("--shots", type=Path, help="keep the screenshots here")
    args = parser.parse_args(argv)
    shots = args.shots or Path(tempfile.mkdtemp(prefix="docs-shots-"))
    shots.mkdir(parents=True, exist_ok=True)
    failed = False
    for name in PAGES:
        shot = shots / (name.replace("/", "-").removesuffix(".html") + ".png")
        problems = browse(args.html / name, shot)
        print(f"{name}: {'; '.join(problems) if problems else 'no console error'} ({shot})")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
