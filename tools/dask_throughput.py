"""recolor on Dask, measured: ``python -m tools.dask_throughput`` (needs ``recolor[dask]``).

Two benchmarks, each printed with the CPU model and the cores this process
may use:

- ``batch``: ``recolor apply`` on a batch of copies of the 998x998 sample
  portrait (200 by default) into ``--out-dir``, in fresh processes as a user
  runs it, interleaved round by round: in the command's own process, and on
  local Dask clusters of 1, 2 and all cores' worker processes (cluster start
  included). Prints images per second, and each against the single process.
- ``array``: a 16384x16384 RGBA Dask array in 2048x2048 chunks (1 GiB)
  recoloured with the default choice per chunk, against a copy of every chunk
  (``numpy.copy`` by ``map_blocks``), on Dask's threaded scheduler. Each chunk
  is reduced to one pixel as soon as it is made, so that neither result is
  ever whole in memory; the input is one chunk repeated, so that making it
  costs nothing. Prints megapixels per second, and each against the copy.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import recolor
from recolor.core.colors import BACKGROUND, ORIGINAL_REPLACEMENT
from recolor.core.cpu import cpu_kind, cpu_model
from recolor.core.threads import available_cores
from tools.portraits import portrait_batch


def batch(images: int, rounds: int) -> dict[str, float]:
    """Images per second of each way to run the batch: the median of ``rounds``."""
    cores = available_cores()
    workers = sorted({1, 2, cores})
    with tempfile.TemporaryDirectory(prefix="recolor-dask-batch-") as folder:
        work = Path(folder)
        _, inputs = portrait_batch(work, images)
        command = [sys.executable, "-m", "recolor", "apply", *inputs]
        runs = {"one process, no Dask": [*command, "--out-dir", str(work / "out"), "--force"]}
        for count in workers:
            name = f"Dask, {count} worker{'s' if count > 1 else ''}"
            runs[name] = [
                *command,
                "--out-dir",
                str(work / "out"),
                "--force",
                "--workers",
                str(count),
            ]
        seconds: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(rounds):
            for name, run in runs.items():
                start = time.perf_counter()
                subprocess.run(run, check=True, capture_output=True)
                seconds[name].append(time.perf_counter() - start)
    return {name: images / statistics.median(samples) for name, samples in seconds.items()}


def array(side: int, chunk: int, rounds: int) -> tuple[dict[str, float], str]:
    """Megapixels per second of the recolouring and of the copy, and the technique chosen."""
    import dask
    import dask.array as da

    tile = da.from_array(recolor.sample_image(chunk, chunk), chunks=(chunk, chunk, 4))
    row = da.concatenate([tile] * (side // chunk), axis=1)
    image = da.concatenate([row] * (side // chunk), axis=0)

    def one_pixel(block: Any) -> Any:
        return block[:1, :1, :1]

    def reduced(result: Any) -> Any:
        return result.map_blocks(one_pixel, chunks=(1, 1, 1))

    computations = {
        "copy of every chunk": reduced(image.map_blocks(np.copy, dtype=np.uint8)),
        "recolor.recolor": reduced(recolor.recolor(image, BACKGROUND, ORIGINAL_REPLACEMENT)),
    }
    with dask.config.set(scheduler="threads"):
        # Warm up until the default choice has settled (its rent-or-buy rule
        # buys the faster techniques after enough chunks).
        for _ in range(3):
            computations["recolor.recolor"].compute()
        seconds: dict[str, list[float]] = {name: [] for name in computations}
        for _ in range(rounds):
            for name, computation in computations.items():
                start = time.perf_counter()
                computation.compute()
                seconds[name].append(time.perf_counter() - start)
    chosen = recolor.fastest_technique(
        recolor.sample_image(chunk, chunk), BACKGROUND, ORIGINAL_REPLACEMENT
    ).name
    megapixels = side * side / 1e6
    return {name: megapixels / statistics.median(s) for name, s in seconds.items()}, chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.dask_throughput", description=__doc__)
    parser.add_argument("--only", choices=["batch", "array"], help="run one (default: both)")
    parser.add_argument("--images", type=int, default=200, help="images in the batch (200)")
    parser.add_argument("--side", type=int, default=16384, help="the array's side (16384)")
    parser.add_argument("--chunk", type=int, default=2048, help="its chunks' side (2048)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    args = parser.parse_args(argv)
    which = [args.only] if args.only else ["batch", "array"]
    print(
        f"{cpu_model()} ({cpu_kind()}), {available_cores()} cores; medians of {args.rounds} rounds"
    )
    if "batch" in which:
        rates = batch(args.images, args.rounds)
        base = rates["one process, no Dask"]
        print(f"recolor apply, {args.images} files of 998x998:")
        for name, rate in rates.items():
            print(f"  {name:<24} {rate:7.1f} images/s  {rate / base:5.2f}x one process")
    if "array" in which:
        rates, chosen = array(args.side, args.chunk, args.rounds)
        base = rates["copy of every chunk"]
        print(
            f"a {args.side}x{args.side} RGBA Dask array in {args.chunk}x{args.chunk} chunks"
            f" (threaded scheduler; the default choice settled on {chosen}):"
        )
        for name, rate in rates.items():
            print(f"  {name:<24} {rate:8.1f} MP/s  {rate / base:5.2f}x the copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
