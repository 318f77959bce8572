"""The inputs the command-line timings share: the 998x998 sample portrait as a PNG, and copies."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from recolor import sample_image

__all__ = ["portrait_batch"]


def portrait_batch(work: Path, count: int) -> tuple[Path, list[str]]:
    """Write ``work/portrait.png`` and ``count`` copies of it in ``work/batch``.

    Returns the portrait's path and the copies' paths, sorted.
    """
    source = work / "portrait.png"
    Image.fromarray(sample_image(998, 998)).save(source)
    data = source.read_bytes()
    batch = work / "batch"
    batch.mkdir()
    for index in range(count):
        (batch / f"{index:03}.png").write_bytes(data)
    return source, sorted(str(path) for path in batch.iterdir())
