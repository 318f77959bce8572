"""``recolor apply`` against its peers on one batch of files: ``python -m tools.peer_race``.

The peers are what people already use to replace a colour in files:
pyvips (libvips) from a Python loop, and ImageMagick, one ``convert`` per
file. Each command recolours the same batch (998x998 RGBA PNGs, the
sample portrait shifted per file) from the transparent background
``(0, 0, 0, 0)`` to ``(5, 3, 192, 255)``, as a whole process, in rounds
that alternate the commands, so that each round's ratios are paired.
Every output is decoded and checked against recolor's reference
implementation, pixel by pixel, and the sizes are added up.

Prints a Markdown table: the median wall time of each command, its median
ratio to ``recolor apply`` over the rounds, the output size and the wrong
pixels, with the machine and versions above it. A peer that is not
installed is named, not timed (``pip install pyvips pyvips-binary``;
``apt-get install imagemagick``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import PIL
from PIL import Image

import recolor
from recolor.files.display import shown
from recolor.testing import reference_recolor
from tools.machine import describe_machine

__all__ = ["main"]

OLD, NEW = (0, 0, 0, 0), (5, 3, 192, 255)

_PYVIPS_LOOP = """
import sys
from pathlib import Path
import pyvips
old, new = [0, 0, 0, 0], [5, 3, 192, 255]
out = Path(sys.argv[1])
for name in sys.argv[2:]:
    image = pyvips.Image.new_from_file(name, access="sequential")
    (image == old).bandand().ifthenelse(new, image).write_to_file(str(out / Path(name).name))
"""

#: A command for a batch: (inputs, output folder) -> the argv to run.
Command = Callable[[list[Path], Path], list[str]]


def _recolor_apply(tree: Path | None) -> Command:
    """``recolor apply`` of this environment, or of the source ``tree`` (a git worktree)."""
    start = [sys.executable, "-m", "recolor", "apply"]
    if tree is not None:
        code = f"import sys; sys.path.insert(0, {str(tree)!r}); from recolor.cli import command"
        start = [sys.executable, "-c", f"{code}; sys.argv[0] = 'recolor'; command()", "apply"]

    def command(inputs: list[Path], out: Path) -> list[str]:
        colours = ["--old", ",".join(map(str, OLD)), "--new", ",".join(map(str, NEW))]
        return [*start, *map(str, inputs), "--out-dir", str(out), *colours]

    return command


def _pyvips_loop(inputs: list[Path], out: Path) -> list[str]:
    return [sys.executable, "-c", _PYVIPS_LOOP, str(out), *map(str, inputs)]


def _imagemagick(inputs: list[Path], out: Path) -> list[str]:
    # One process per file, as a shell loop over `convert` does.
    fill, opaque = "rgba(5,3,192,1)", "rgba(0,0,0,0)"
    loop = "; ".join(
        f"convert '{path}' -channel RGBA -fill '{fill}' -opaque '{opaque}' '{out / path.name}'"
        for path in inputs
    )
    return ["sh", "-c", f"set -e; {loop}"]


def _peers(trees: list[Path]) -> dict[str, tuple[Command, str | None]]:
    """Each command's name, how to run it, and why it cannot run here (None: it can)."""
    try:
        import pyvips  # a peer, when installed

        vips: str | None = None
        vips_name = f"pyvips {pyvips.__version__} (libvips {pyvips.version(0)}.{pyvips.version(1)})"
    except (ImportError, OSError):
        vips_name = "pyvips"
        vips = "not installed: pip install pyvips pyvips-binary"
    magick = shutil.which("convert")
    magick_name = "ImageMagick convert"
    magick_missing: str | None = "not installed: apt-get install imagemagick"
    if magick is not None:
        version = subprocess.run([magick, "-version"], capture_output=True, text=True).stdout
        if version.startswith("Version: ImageMagick"):  # not a stand-in of that name
            magick_name = f"ImageMagick {version.split()[2]}, convert per file"
            magick_missing = None
    recolors: dict[str, tuple[Command, str | None]] = {
        f"recolor apply ({shown(tree)})": (_recolor_apply(tree), None) for tree in trees
    }
    if not trees:
        recolors = {f"recolor apply {recolor.__version__}": (_recolor_apply(None), None)}
    return {
        **recolors,
        f"{vips_name}, a Python loop": (_pyvips_loop, vips),
        magick_name: (_imagemagick, magick_missing),
    }


def write_batch(folder: Path, count: int, side: int) -> list[Path]:
    """``count`` RGBA PNGs of ``side`` square: the sample portrait, shifted 7 pixels per file."""
    folder.mkdir(parents=True)
    portrait = recolor.sample_image(side, side)
    paths = []
    for index in range(count):
        path = folder / f"{index:03}.png"
        Image.fromarray(np.roll(portrait, 7 * index, axis=1)).save(path)
        paths.append(path)
    return paths


def wrong_pixels(inputs: list[Path], out: Path) -> int:
    """Pixels of the outputs in ``out`` that differ from recolor's reference recolouring."""
    wrong = 0
    for path in inputs:
        with Image.open(path) as before, Image.open(out / path.name) as after:
            expected = reference_recolor(np.asarray(before.convert("RGBA")), OLD, NEW)
            got = np.asarray(after.convert("RGBA"))
        wrong += int(np.count_nonzero((expected != got).any(axis=2)))
    return wrong


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.peer_race", description=__doc__)
    parser.add_argument("--images", type=int, default=30, help="files in the batch (30)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (5)")
    parser.add_argument("--side", type=int, default=998, help="the images' side (998)")
    parser.add_argument(
        "--out", type=Path, help="also write the table here (docs/measured/peer_race.md)"
    )
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        default=[],
        help="a source tree whose recolor to race too (repeat; the first is the reference)",
    )
    args = parser.parse_args(argv)
    peers = _peers([tree.resolve() for tree in args.tree])
    runnable = {name: command for name, (command, missing) in peers.items() if missing is None}
    with tempfile.TemporaryDirectory(prefix="recolor-peer-race-") as folder:
        work = Path(folder)
        inputs = write_batch(work / "in", args.images, args.side)
        input_bytes = sum(path.stat().st_size for path in inputs)
        seconds: dict[str, list[float]] = {name: [] for name in runnable}
        sizes: dict[str, int] = {}
        wrong: dict[str, int] = {}
        for round_index in range(args.rounds):
            for index, (name, command) in enumerate(runnable.items()):
                out = work / f"out-{round_index}-{index}"
                out.mkdir()
                start = time.perf_counter()
                subprocess.run(command(inputs, out), check=True, capture_output=True)
                seconds[name].append(time.perf_counter() - start)
                if round_index == 0:
                    sizes[name] = sum(path.stat().st_size for path in out.iterdir())
                    wrong[name] = wrong_pixels(inputs, out)
                shutil.rmtree(out)
    first = next(iter(runnable))
    lines: list[str] = []
    say = lines.append  # the report, for stdout and --out
    say(
        f"{describe_machine()}; {args.images} PNGs of {args.side}x{args.side} RGBA "
        f"({input_bytes / 1e6:.1f} MB), {args.rounds} rounds alternated; "
        f"Pillow {PIL.__version__}, numpy {np.__version__}"
    )
    say("")
    say("| command | wall, median | recolor's wall over this, paired | output | wrong pixels |")
    say("|---|---:|---:|---:|---:|")
    ratios = {
        name: statistics.median(
            mine / theirs for mine, theirs in zip(seconds[first], seconds[name], strict=True)
        )
        for name in runnable
    }
    for name, (_, missing) in peers.items():
        if missing is not None:
            say(f"| {name} | {missing} | | | |")
            continue
        say(
            f"| {name} | {statistics.median(seconds[name]):.2f} s | {ratios[name]:.2f} | "
            f"{sizes[name] / 1e6:.1f} MB | {wrong[name]:,} |"
        )
    peer_ratios = {name: ratio for name, ratio in ratios.items() if "recolor" not in name}
    if peer_ratios:
        fastest = max(peer_ratios, key=peer_ratios.__getitem__)  # recolor over it: the most
        say("")
        say(f"{first}: {peer_ratios[fastest]:.2f}x the wall time of the fastest peer, {fastest}")
    report = "\n".join(lines) + "\n"
    sys.stdout.write(report)
    if args.out is not None:
        invoked = " ".join(["python -m tools.peer_race", *(argv or sys.argv[1:])])
        args.out.write_text(f"Measured by `{invoked}`:\n\n{report}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
