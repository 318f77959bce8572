"""The command line's wall time, side by side with Pillow's: ``python -m tools.cli_timing``.

Times, in interleaved rounds of fresh processes:

- ``recolor apply in.png out.png --force`` on one 998x998 RGBA PNG,
- Pillow alone on the same file: open, copy, save (the floor for any tool
  that rewrites a PNG),
- ``recolor apply`` on a batch of images into ``--out-dir``, per image.

``--png-figure`` measures instead, in this process, what recolor's PNG
writer saves per pixel against Pillow's encoder on the 998x998 portrait:
the ``png_saved_seconds_per_pixel`` of :mod:`recolor.core.choice_figures`.

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


def png_saving(rounds: int) -> None:
    """Print Pillow's and recolor's PNG encoding of the portrait, and the saving per pixel."""
    import io

    from PIL import Image

    import recolor
    from recolor.files.png import write_png

    image = Image.fromarray(recolor.sample_image(998, 998))

    def pillows(file: io.BytesIO) -> None:
        image.save(file, format="PNG")

    def recolors(file: io.BytesIO) -> None:
        write_png(image, file, {})

    writers = {"Pillow's encoder": pillows, "recolor.files.png": recolors}
    timed: dict[str, list[float]] = {name: [] for name in writers}
    sizes = {}
    for _ in range(rounds):
        for name, write in writers.items():
            buffer = io.BytesIO()
            start = time.perf_counter()
            write(buffer)
            timed[name].append(time.perf_counter() - start)
            sizes[name] = len(buffer.getvalue())
    medians = {name: statistics.median(samples) for name, samples in timed.items()}
    for name, median in medians.items():
        print(f"{name:<20} {median * 1e3:7.1f} ms  {sizes[name]:>9,} bytes")
    saved = (medians["Pillow's encoder"] - medians["recolor.files.png"]) / (998 * 998)
    print(f"png_saved_seconds_per_pixel={saved:.3g}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.cli_timing", description=__doc__)
    parser.add_argument("--tree", type=Path, action="append", help="a tree to time (default: .)")
    parser.add_argument("--rounds", type=int, default=9, help="interleaved rounds (default 9)")
    parser.add_argument("--batch", type=int, default=100, help="images in the batch (100)")
    parser.add_argument(
        "--png-figure", action="store_true", help="measure the PNG writer's saving per pixel"
    )
    args = parser.parse_args(argv)
    if args.png_figure:
        png_saving(args.rounds)
        return 0
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
