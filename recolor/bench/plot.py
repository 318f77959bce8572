"""``recolor bench --plot``: a PNG chart of the race. Needs matplotlib."""

from __future__ import annotations

import io
from pathlib import Path

from recolor.bench.race import RaceResult
from recolor.files.atomic import atomic_write

__all__ = ["plot_race"]


def plot_race(results: list[RaceResult], path: Path, *, overwrite: bool = True) -> None:
    """Time per technique on a log scale; and time against size when there are several sizes."""
    import matplotlib

    matplotlib.use("Agg")  # no screen needed
    import matplotlib.pyplot as plt

    sizes = list(dict.fromkeys((r.width, r.height) for r in results))
    several = len(sizes) > 1
    figure, axes = plt.subplots(
        1, 2 if several else 1, figsize=(13 if several else 7, 5), squeeze=False
    )
    largest = [r for r in results if (r.width, r.height) == sizes[-1]]
    bars = axes[0][0]
    names = [r.technique for r in largest]
    bars.barh(names, [r.median for r in largest], color="tab:blue")
    bars.set_xscale("log")
    bars.invert_yaxis()
    bars.set_xlabel("median time per call (s, log scale)")
    bars.set_title(f"recolor techniques at {sizes[-1][0]}x{sizes[-1][1]}")
    if several:
        lines = axes[0][1]
        for name in dict.fromkeys(r.technique for r in results):
            points = [(r.width * r.height / 1e6, r.median) for r in results if r.technique == name]
            lines.plot(*zip(*points, strict=True), marker="o", label=name)
        lines.set_xscale("log")
        lines.set_yscale("log")
        lines.set_xlabel("image size (megapixels)")
        lines.set_ylabel("median time per call (s)")
        lines.set_title("time against image size")
        lines.legend(fontsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    atomic_write(path, lambda file: file.write(buffer.getvalue()), overwrite=overwrite)
