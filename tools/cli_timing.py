"""The command line's wall time, side by side with Pillow's: ``python -m tools.cli_timing``.

Times, in interleaved rounds of fresh processes:

- ``recolor apply in.png out.png --force`` on one 998x998 RGBA PNG,
- Pillow alone on the same file: open, copy, save (the floor for any tool
  that rewrites a PNG),
- ``recolor apply`` on a batch of images into ``--out-dir``, per image.

``--tree`` (repeatable) names source trees whose ``recolor`` to time, such as
a git worktree of main, so a change and its base are measured side by side.
Prints the median of each and the ratios to Pillow's.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from recolor.cli.options import CommandError
from recolor.files.display import shown
from tools.portraits import portrait_batch

PILLOW_ALONE = (
    "import sys; from PIL import Image; "
    "image = Image.open(sys.argv[1]); image.load(); image.copy().save(sys.argv[2])"
)


def _seconds(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if completed.returncode != 0:
        raise CommandError(f"{' '.join(command)} failed: {completed.stderr.decode()[-500:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cli_timing", description=__doc__)
    parser.add_argument("--tree", type=Path, action="append", help="a tree to time (default: .)")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    parser.add_argument("--batch", type=int, default=100, help="images in the batch (100)")
    args = parser.parse_args(argv)
    trees = [tree.resolve() for tree in (args.tree or [Path.cwd()])]
    with tempfile.TemporaryDirectory(prefix="recolor-cli-timing-") as folder:
        work = Path(folder)
        source, inputs = portrait_batch(work, args.batch)
        python = sys.executable
        timed: dict[str, list[float]] = {}
        for _ in range(args.rounds):
            timed.setdefault("Pillow open, copy, save", []).append(
                _seconds([python, "-c", PILLOW_ALONE, str(source), str(work / "p.png")], work)
            )
            for tree in trees:
                one = [python, "-m", "recolor", "apply", str(source), str(work / "o.png")]
                timed.setdefault(f"recolor apply, one image ({shown(tree)})", []).append(
                    _seconds([*one, "--force"], tree)
                )
                many = [python, "-m", "recolor", "apply", *inputs, "--out-dir", str(work / "out")]
                per_image = _seconds([*many, "--force"], tree) / args.batch
                name = f"recolor apply, per image of {args.batch} ({shown(tree)})"
                timed.setdefault(name, []).append(per_image)
    floor = statistics.median(timed["Pillow open, copy, save"])
    for name, samples in timed.items():
        median = statistics.median(samples)
        print(f"{name:<70} {median * 1e3:8.1f} ms  {median / floor:5.2f}x Pillow's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
